//! `GET /audit/records`: the audit trail, newest first, for staff only, with its own
//! OpenAPI document at `/audit/openapi.json` (it belongs to neither API's root).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Principal, Scope};
use crate::http::extract::ApiQuery;
use crate::http::openapi::{ProblemSchemas, SecurityAddon, schema_type};
use crate::http::paging::{Page, PageQuery};
use crate::http::validation::text;
use crate::http::{ApiError, Errors};
use crate::state::AppState;
use crate::store::{AuditFilter, AuditRecord};

/// Where the audit trail lives.
pub const ROOT: &str = "/audit";

/// Longest `subject` or `target` filter: the longest a stored one can be matched by.
const MAX_FILTER: usize = 200;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Audit trail",
        version = "1.0",
        description = "Every changing request to either API, who made it and what it answered: for the bank's staff only."
    ),
    servers((url = "/audit")),
    modifiers(&SecurityAddon, &ProblemSchemas),
    security(("bearer" = [])),
    tags((name = "audit", description = "The audit trail"))
)]
struct AuditApi;

/// The audit trail's route, relative to [`ROOT`], with its OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(AuditApi::openapi()).routes(routes!(list_records))
}

schema_type!(
    /// A filter's text as documented: at most [`MAX_FILTER`] characters.
    FilterText => ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(MAX_FILTER))
);

/// Filters of the audit trail. A name it does not take is refused before it is read
/// ([`crate::http::query_names`]), which also lets the shaping parameters through.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct AuditQuery {
    /// Only this token subject's requests (exactly as in the token's `sub`).
    #[param(value_type = Option<FilterText>, inline)]
    subject: Option<String>,
    /// Only requests about this order number or event id.
    #[param(value_type = Option<FilterText>, inline)]
    target: Option<String>,
}

/// One record as staff see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AuditView {
    /// The record's number, rising with time.
    #[schema(format = Int64, minimum = 1, maximum = 9_007_199_254_740_991_i64)]
    audit_id: i64,
    /// When the request was answered.
    recorded_at: DateTime<Utc>,
    /// The token's subject (`sub`).
    #[schema(max_length = 255)]
    subject: String,
    /// The token's OAuth client, when it names one.
    #[schema(max_length = 255)]
    client: Option<String>,
    /// The customer a customer token acted for.
    #[schema(max_length = 35)]
    acting_for: Option<String>,
    /// The request's method.
    #[schema(max_length = 10)]
    method: String,
    /// The request's path.
    #[schema(max_length = 2048)]
    path: String,
    /// The order number or event id the request was about.
    #[schema(max_length = 200)]
    target: Option<String>,
    /// The status it was answered with.
    #[schema(minimum = 100, maximum = 599)]
    status: u16,
    /// The request's `x-request-id`.
    #[schema(max_length = 200)]
    request_id: Option<String>,
}

impl From<AuditRecord> for AuditView {
    fn from(r: AuditRecord) -> Self {
        Self {
            audit_id: r.id,
            recorded_at: r.recorded_at,
            subject: r.subject,
            client: r.client,
            acting_for: r.acting_for,
            method: r.method,
            path: r.path,
            target: r.target,
            status: r.status,
            request_id: r.request_id,
        }
    }
}

/// Lists the audit trail, newest first; for staff only.
#[utoipa::path(
    get,
    path = "/records",
    tag = "audit",
    params(AuditQuery, PageQuery),
    responses(
        (status = 200, description = "A page of audit records, newest first", body = Page<AuditView>),
        (status = 403, description = "The token is not a staff token (bank:staff)"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_records(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AuditQuery>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<AuditView>>, ApiError> {
    principal.require(Scope::Staff)?;
    let mut errors = Errors::new();
    let page = paging.read(&mut errors);
    for (tag, value) in [("subject", &query.subject), ("target", &query.target)] {
        if let Some(value) = value {
            errors.check(text(tag, value, MAX_FILTER));
        }
    }
    errors.finish()?;
    let filter = AuditFilter {
        subject: query.subject.clone(),
        target: query.target.clone(),
        page,
    };
    let (records, total) = state.stores.audit.list_audit(&filter).await?;
    let items = records.into_iter().map(AuditView::from).collect();
    Ok(Json(Page::new(page, total, items, |n| {
        state.links.with_query(
            &format!("{ROOT}/records"),
            &[
                ("page-size", Some(&page.size.to_string())),
                ("page-number", Some(&n.to_string())),
                ("subject", query.subject.as_deref()),
                ("target", query.target.as_deref()),
            ],
        )
    })))
}

//! What a customer does with a standing order once it is set up (API.md section 9):
//! `POST /standing-orders/{order-number}/nickname` renames it, `.../skip` skips its next
//! payment, and a cancel (on the kind's resource or `/orders/{n}/cancel`) ends it. Each
//! change is judged by the pure rules of `domain::standing_order` under the row's lock.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::get::load_visible;
use super::lookup::Lookup;
use super::model::OrderView;
use super::schema::OrderPath;
use super::standing_input::NICKNAME_MAX;
use super::standing_model::StandingOrderFields;
use crate::auth::{Principal, Scope};
use crate::domain::execution::Refusal;
use crate::domain::order::{Order, OrderKind, OrderStatus};
use crate::domain::standing_order::StandingOrder;
use crate::http::extract::ApiJson;
use crate::http::validation::required_text;
use crate::http::{ApiError, ErrorLiteral, FieldError};
use crate::state::AppState;
use crate::store::Decision;

/// A standing order's new name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewNickname {
    /// Required: 1 to 50 characters.
    #[schema(value_type = String, min_length = 1, max_length = 50, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$", example = "Rent, new flat")]
    nickname: Option<String>,
}

/// Changes the standing order set up by `order` with `rule`, answering the refusal as a
/// 409; an order that has not set one up (yet) is refused the same way.
async fn change(
    state: &AppState,
    order: &Order,
    rule: impl FnOnce(&StandingOrder) -> Result<StandingOrder, Refusal> + Send,
) -> Result<StandingOrder, ApiError> {
    let decision = state
        .stores
        .orders
        .change_standing_order(order.number, rule)
        .await?;
    match decision {
        Decision::Done(standing) => Ok(standing),
        Decision::Refused(refusal) => Err(ApiError::Conflict {
            problem: refusal.problem,
            detail: refusal.reason,
        }),
        Decision::NotFound => Err(ApiError::Conflict {
            problem: "standing-order-status-not-eligible",
            detail: format!(
                "order {} has not set up its standing order: it is {}",
                order.number,
                order.status.as_str()
            ),
        }),
    }
}

/// Ends the standing order that `order` set up, if it did: what a cancel means once the
/// order has completed. `None` for an order still under way (cancel the order itself).
pub(super) async fn end_if_set_up(
    state: &AppState,
    order: &Order,
) -> Option<Result<StatusCode, ApiError>> {
    if order.kind() != OrderKind::StandingOrder
        || order.status != OrderStatus::ExternalProcessingSucceeded
    {
        return None;
    }
    Some(
        change(state, order, StandingOrder::cancel)
            .await
            .map(|standing| {
                tracing::info!(standing_order = %standing.number, "standing order canceled");
                metrics::counter!("bankapi_standing_orders_canceled_total").increment(1);
                StatusCode::NO_CONTENT
            }),
    )
}

/// The view after a change.
async fn view(
    state: &AppState,
    order: &Order,
) -> Result<Json<OrderView<StandingOrderFields>>, ApiError> {
    Lookup::new(state.stores.orders.as_ref())
        .view(order)
        .await
        .map(Json)
}

/// Renames a standing order.
#[utoipa::path(
    post,
    path = "/standing-orders/{order-number}/nickname",
    tag = "standing-orders",
    params(OrderPath),
    request_body = NewNickname,
    responses(
        (status = 200, description = "Renamed; the standing order as it now stands", body = OrderView<StandingOrderFields>),
        (status = 400, description = "The number or the nickname is not valid"),
        (status = 403, description = "The token lacks customer-order:write"),
        (status = 404, description = "No such standing order, or not the caller's"),
        (status = 409, description = "`standing-order-status-not-eligible`: the order has not set up its standing order"),
    )
)]
#[tracing::instrument(skip_all, fields(order = %number))]
pub async fn rename_standing_order(
    State(state): State<AppState>,
    principal: Principal,
    Path(OrderPath { number }): Path<OrderPath>,
    body: ApiJson<NewNickname>,
) -> Result<Json<OrderView<StandingOrderFields>>, ApiError> {
    principal.require(Scope::OrderWrite)?;
    let tag = "nickname";
    let nickname = body
        .value
        .nickname
        .as_deref()
        .ok_or_else(|| FieldError::new(tag, ErrorLiteral::Required, "nickname is required"))
        .and_then(|raw| required_text(tag, raw, NICKNAME_MAX))
        .map_err(ApiError::field)?;
    let order = load_visible(&state, &principal, OrderKind::StandingOrder, &number).await?;
    change(&state, &order, |s| Ok(s.rename(nickname))).await?;
    view(&state, &order).await
}

/// Skips a standing order's next payment; the ones after it are made as usual.
#[utoipa::path(
    post,
    path = "/standing-orders/{order-number}/skip",
    tag = "standing-orders",
    params(OrderPath),
    responses(
        (status = 200, description = "The next payment is skipped; the standing order as it now stands", body = OrderView<StandingOrderFields>),
        (status = 400, description = "The number is not `WI` and ten digits"),
        (status = 403, description = "The token lacks customer-order:write"),
        (status = 404, description = "No such standing order, or not the caller's"),
        (status = 409, description = "`standing-order-status-not-eligible`: not set up, ended or canceled, no payment left, or the next one is already skipped"),
    )
)]
#[tracing::instrument(skip_all, fields(order = %number))]
pub async fn skip_standing_order(
    State(state): State<AppState>,
    principal: Principal,
    Path(OrderPath { number }): Path<OrderPath>,
) -> Result<Json<OrderView<StandingOrderFields>>, ApiError> {
    principal.require(Scope::OrderWrite)?;
    let order = load_visible(&state, &principal, OrderKind::StandingOrder, &number).await?;
    let standing = change(&state, &order, StandingOrder::skip).await?;
    tracing::info!(standing_order = %standing.number, "next standing-order payment skipped");
    view(&state, &order).await
}

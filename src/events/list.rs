//! `GET /events`: a page of one customer's events, newest first.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::LINK_ROOT;
use super::model::EventItem;
use crate::auth::{Principal, Scope};
use crate::domain::{CustomerNumber, EventKind};
use crate::http::cursor;
use crate::http::extract::ApiQuery;
use crate::http::paging::{Page, PageQuery, SortOrder};
use crate::http::time::parse_bound;
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};
use crate::state::AppState;
use crate::store::{EventFilter, EventKey};

/// Query parameters of the event list. All are text so that validation, not the
/// framework, names a bad value.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct ListEventsQuery {
    /// Whose events. Required for staff; a customer token defaults to its own customer.
    #[param(example = "1400269", pattern = "^[A-Z0-9]{1,20}$")]
    customer_number: Option<String>,
    /// Only this kind: a canonical name (`SecurityEvent`), `SecurtyEvent`, or a kebab-case
    /// form (`security`, `communication`...), in any case.
    #[param(value_type = Option<super::schema::EventKindInput>)]
    event_kind: Option<String>,
    /// Created at or after: RFC 3339, or a date (`2014-10-10`) for the start of that day
    /// (UTC). Must not be after `date-to`.
    #[param(value_type = Option<String>, format = DateTime)]
    date_from: Option<String>,
    /// Created at or before: RFC 3339, or a date for the end of that day (UTC).
    #[param(value_type = Option<String>, format = DateTime)]
    date_to: Option<String>,
    /// Only `creation-datetime`.
    #[param(value_type = Option<super::schema::EventSortInput>)]
    sort_by: Option<String>,
    /// `desc` (default, newest first) or `asc`, in any case.
    #[param(value_type = Option<super::schema::SortOrderInput>)]
    sort_order: Option<String>,
    /// Walk the list by cursor instead of page number: `first`, then each answer's
    /// `next-cursor` (also in its `next` link) until an answer has none. Each page costs
    /// the same however deep it is. Not combined with `page-number`.
    #[param(value_type = Option<String>, pattern = "^(first|[A-Za-z0-9_-]{1,100})$", max_length = 100)]
    cursor: Option<String>,
}

/// Lists a customer's events. A deep page (by `page-number` or by `cursor`) costs about
/// what page 1 does.
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    params(ListEventsQuery, PageQuery),
    responses(
        (status = 200, description = "A page of events, newest first", body = Page<EventItem>),
        (status = 400, description = "A parameter is not valid"),
        (status = 403, description = "The token lacks customer-event:read"),
        (status = 404, description = "The customer is not the caller's"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_events(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ListEventsQuery>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    principal.require(Scope::EventRead)?;
    let mut errors = Errors::new();
    let customer = whose(query.customer_number.as_deref(), &principal, &mut errors);
    let kind = query
        .event_kind
        .as_deref()
        .and_then(|raw| errors.check(EventKind::parse("event-kind", raw)));
    let from = query
        .date_from
        .as_deref()
        .and_then(|raw| errors.check(parse_bound("date-from", raw, false, state.time_zone)));
    let to = query
        .date_to
        .as_deref()
        .and_then(|raw| errors.check(parse_bound("date-to", raw, true, state.time_zone)));
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        errors.push(FieldError::new(
            "date-to",
            ErrorLiteral::OutOfRange,
            "date-to must not be before date-from",
        ));
    }
    if let Some(sort_by) = query.sort_by.as_deref()
        && sort_by != "creation-datetime"
    {
        errors.push(FieldError::new(
            "sort-by",
            ErrorLiteral::NotOnList,
            format!("events can be sorted by creation-datetime only, got {sort_by:?}"),
        ));
    }
    let order = SortOrder::parse(query.sort_order.as_deref(), &mut errors);
    let page = paging.read(&mut errors);
    let after = match query.cursor.as_deref() {
        Some(_) if paging.names_a_number() => {
            errors.push(FieldError::new(
                "cursor",
                ErrorLiteral::NotOnList,
                "cursor and page-number walk the list two ways; send one of them",
            ));
            None
        }
        Some(raw) => errors.check(cursor::decode(raw, order)).flatten(),
        None => None,
    };
    errors.finish()?;
    let Some(customer) = customer else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "customer missing after validation"
        )));
    };
    if !principal.may_act_for(&customer) {
        return Err(ApiError::NotFound(format!("no customer {customer}")));
    }

    let filter = EventFilter {
        customer_number: customer,
        kind,
        from,
        to,
        order,
        page,
        after,
    };
    let store = state.stores.events.as_ref();
    let names_order = query.sort_order.is_some();
    // Only page-number pages are kept as sent: a cursor's answer carries the next one.
    let fresh = match query.cursor {
        None => state.event_pages.freshness(store, &filter).await,
        Some(_) => None,
    };
    if let Some(answer) = fresh
        .as_ref()
        .and_then(|fresh| state.rendered_pages.answer(fresh, names_order))
    {
        return Ok(answer);
    }
    let (records, total) = state
        .event_pages
        .list(store, &filter, fresh.as_ref())
        .await?;
    let items = records
        .iter()
        .map(|r| EventItem::from_record(r, &state.links))
        .collect();
    let size = page.size.to_string();
    let date_from = from.map(|at| crate::http::time::format(&at));
    let date_to = to.map(|at| crate::http::time::format(&at));
    let link = |number: u64| {
        state.links.page(
            &format!("{LINK_ROOT}/events"),
            page.size,
            number,
            &[
                ("customer-number", Some(filter.customer_number.as_str())),
                ("event-kind", kind.map(EventKind::as_str)),
                ("date-from", date_from.as_deref()),
                ("date-to", date_to.as_deref()),
                (
                    "sort-order",
                    query.sort_order.as_ref().map(|_| order.as_str()),
                ),
            ],
        )
    };
    let sorted = Page::new(page, total, items, link).sorted("creation-datetime", order);
    if query.cursor.is_none() {
        return match fresh {
            Some(fresh) => state.rendered_pages.keep(fresh, names_order, &sorted),
            None => Ok(Json(sorted).into_response()),
        };
    }
    // A full page may have more after it; a short one is the last.
    let next = records
        .last()
        .filter(|_| u32::try_from(records.len()).is_ok_and(|n| n == page.size))
        .map(|last| {
            cursor::encode(
                EventKey {
                    created_at: last.created_at,
                    id: last.id,
                },
                order,
            )
        });
    let by_cursor = |at: &str| {
        state.links.with_query(
            &format!("{LINK_ROOT}/events"),
            &[
                ("page-size", Some(size.as_str())),
                ("customer-number", Some(filter.customer_number.as_str())),
                ("event-kind", kind.map(EventKind::as_str)),
                ("date-from", date_from.as_deref()),
                ("date-to", date_to.as_deref()),
                (
                    "sort-order",
                    query.sort_order.as_ref().map(|_| order.as_str()),
                ),
                ("cursor", Some(at)),
            ],
        )
    };
    Ok(Json(sorted.by_cursor(next, by_cursor)).into_response())
}

/// The customer whose events are asked for: `customer-number` if given, else a customer
/// token's own (staff must name one).
pub(super) fn whose(
    raw: Option<&str>,
    principal: &Principal,
    errors: &mut Errors,
) -> Option<CustomerNumber> {
    match (raw, &principal.customer_number) {
        (Some(raw), _) => errors.check(CustomerNumber::parse("customer-number", raw)),
        (None, Some(own)) if !principal.is_staff() => Some(own.clone()),
        (None, _) => {
            errors.required("customer-number");
            None
        }
    }
}

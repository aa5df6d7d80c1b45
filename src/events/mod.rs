//! The Customer Event API v2 (`/customer-event`): the history of everything that happened
//! to a customer.

mod append;
mod append_input;
mod classifications;
mod deliveries;
mod get;
mod list;
pub mod model;
pub mod rendered;
mod schema;
mod stream;
mod typed;
mod webhook_views;
mod webhooks;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::openapi::{ProblemSchemas, SecurityAddon};
use crate::state::AppState;

/// Where the API lives; links use the `v2.0` form as the guide's examples do.
pub const ROOT: &str = "/customer-event";
/// The versioned root, used in every generated link.
pub const LINK_ROOT: &str = "/customer-event/v2.0";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Customer Event API",
        version = "2.0",
        description = "The history of everything that happened to a customer: communications, logins, \
transactions, cases, arrangement activity, profile changes and fees. Every path also answers under `/customer-event/v2.0`."
    ),
    servers((url = "/customer-event")),
    // Referenced only from query parameters, which utoipa does not collect on its own.
    components(schemas(
        schema::EventKindInput,
        schema::EventSortInput,
        schema::SortOrderInput
    )),
    modifiers(&SecurityAddon, &ProblemSchemas),
    security(("bearer" = [])),
    tags(
        (name = "events", description = "Customer events"),
        (name = "webhooks", description = "Signed deliveries of the feed to the bank's systems (staff only)"),
        (name = "classifications", description = "The code lists of the literals in events")
    )
)]
struct EventApi;

/// The API's routes, relative to [`ROOT`], with their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(EventApi::openapi())
        .routes(routes!(list::list_events, append::create_event))
        .routes(routes!(stream::stream_events))
        .routes(routes!(get::get_event))
        .routes(routes!(append::create_communication_event))
        .routes(routes!(typed::get_communication_event))
        .routes(routes!(typed::get_social_event))
        .routes(routes!(typed::get_accounting_transaction_event))
        .routes(routes!(typed::get_customer_case_event))
        .routes(routes!(typed::get_arrangement_activity_event))
        .routes(routes!(typed::get_profile_maintenance_event))
        .routes(routes!(typed::get_chargable_activity_event))
        .routes(routes!(typed::get_security_event))
        .routes(routes!(
            webhooks::create_subscription,
            webhooks::list_subscriptions
        ))
        .routes(routes!(
            webhooks::get_subscription,
            webhooks::delete_subscription
        ))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(deliveries::list_deliveries))
        .routes(routes!(deliveries::redeliver))
        .routes(routes!(classifications::list_classifications))
        .routes(routes!(classifications::get_classification))
}

//! The Customer Order API v2 (`/customer-order`): card orders accepted as work items and
//! executed in the background, plus the cards and code lists a client needs to place them.
//!
//! Each of the six order kinds has its own handlers (generated per kind by small macros in
//! the operation modules) so that the OpenAPI document shows each resource with its own
//! request body and its own order shape.

mod access;
mod account_input;
mod account_model;
mod account_terminations;
mod any_kind;
mod any_view;
mod arrangement_input;
mod arrangements;
mod calculations;
mod cancel;
mod cards;
mod classifications;
mod confirm;
mod create;
mod decide;
pub mod get;
mod input;
mod list;
mod listing;
mod lookup;
mod mandate_input;
mod mandates;
pub mod model;
mod requests;
mod schema;
mod standing_input;
mod standing_model;
mod standing_orders;
mod subject;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::openapi::{ProblemSchemas, SecurityAddon};
use crate::state::AppState;

/// Where the API lives; links use the `v2.0` form as the guide's examples do.
pub const ROOT: &str = "/customer-order";
/// The versioned root, used in every generated link.
pub const LINK_ROOT: &str = "/customer-order/v2.0";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Customer Order API",
        version = "2.0",
        description = "Self-care card and account orders treated as work items: each is accepted at once (`202 Accepted`) \
and then executed in the background, step by step. Every path also answers under `/customer-order/v2.0`."
    ),
    servers((url = "/customer-order")),
    modifiers(&SecurityAddon, &ProblemSchemas),
    components(schemas(model::OrderView<standing_model::StandingOrderPaymentFields>)),
    security(("bearer" = [])),
    tags(
        (name = "additional-card-issuances", description = "A card for an authorized customer on someone else's arrangement"),
        (name = "card-activations", description = "Make an inactive card usable"),
        (name = "card-blockades", description = "Suspend a card, remembering why"),
        (name = "card-deblockades", description = "Lift a card's blockade (not for lost or stolen cards)"),
        (name = "card-terminations", description = "Close a card for good"),
        (name = "card-replacements", description = "Issue a new card for the same holder"),
        (name = "current-account-terminations", description = "Close a current account, its balance settled; waits for the customer's confirmation"),
        (name = "bundled-account-terminations", description = "Close a bundled (package) account; waits for the customer's confirmation"),
        (name = "credit-facility-terminations", description = "Redeem a credit facility early from its linked current account; waits for confirmation"),
        (name = "loan-terminations", description = "Redeem a loan early from its linked current account; waits for confirmation"),
        (name = "deposit-account-terminations", description = "End a deposit early, paid out to its current account; waits for the customer's confirmation"),
        (name = "deposit-payouts", description = "Pay a deposit's interest out to its current account"),
        (name = "calculations", description = "What an account order would pay, before it is placed"),
        (name = "arrangement-amendments", description = "Move an account to another product of its kind"),
        (name = "mandate-assignments", description = "Let other customers act on the caller's accounts"),
        (name = "mandate-revocations", description = "End a mandate the caller gave or holds"),
        (name = "standing-orders", description = "Payments the customer sets up once, made by the bank on every date of their schedule; rename, skip the next payment, cancel"),
        (name = "account-terminations", description = "Every account termination of a customer, whatever the account's kind"),
        (name = "orders", description = "The newer generation's view of every order, whatever its kind: list by sets of statuses and kinds, get, cancel and confirm by number alone"),
        (name = "customer-requests", description = "Every order of a customer, whatever its kind"),
        (name = "cards", description = "The cards orders act on"),
        (name = "arrangements", description = "The customer's accounts: kind, product, currency, balance and state"),
        (name = "mandates", description = "Mandates the customer gave on its arrangements or holds on others'"),
        (name = "classifications", description = "The code lists used by requests and responses"),
    )
)]
struct OrderApi;

/// The API's routes, relative to [`ROOT`], with their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(OrderApi::openapi())
        .routes(routes!(
            list::list_additional_card_issuances,
            create::create_additional_card_issuance
        ))
        .routes(routes!(get::get_additional_card_issuance))
        .routes(routes!(
            cancel::cancel_additional_card_issuance,
            cancel::cancel_additional_card_issuance_post
        ))
        .routes(routes!(decide::retry_additional_card_issuance))
        .routes(routes!(decide::reject_additional_card_issuance))
        .routes(routes!(
            list::list_card_activations,
            create::create_card_activation
        ))
        .routes(routes!(get::get_card_activation))
        .routes(routes!(
            cancel::cancel_card_activation,
            cancel::cancel_card_activation_post
        ))
        .routes(routes!(decide::retry_card_activation))
        .routes(routes!(decide::reject_card_activation))
        .routes(routes!(
            list::list_card_blockades,
            create::create_card_blockade
        ))
        .routes(routes!(get::get_card_blockade))
        .routes(routes!(
            cancel::cancel_card_blockade,
            cancel::cancel_card_blockade_post
        ))
        .routes(routes!(decide::retry_card_blockade))
        .routes(routes!(decide::reject_card_blockade))
        .routes(routes!(
            list::list_card_deblockades,
            create::create_card_deblockade
        ))
        .routes(routes!(get::get_card_deblockade))
        .routes(routes!(
            cancel::cancel_card_deblockade,
            cancel::cancel_card_deblockade_post
        ))
        .routes(routes!(decide::retry_card_deblockade))
        .routes(routes!(decide::reject_card_deblockade))
        .routes(routes!(
            list::list_card_terminations,
            create::create_card_termination
        ))
        .routes(routes!(get::get_card_termination))
        .routes(routes!(
            cancel::cancel_card_termination,
            cancel::cancel_card_termination_post
        ))
        .routes(routes!(decide::retry_card_termination))
        .routes(routes!(decide::reject_card_termination))
        .routes(routes!(
            list::list_card_replacements,
            create::create_card_replacement
        ))
        .routes(routes!(get::get_card_replacement))
        .routes(routes!(
            cancel::cancel_card_replacement,
            cancel::cancel_card_replacement_post
        ))
        .routes(routes!(decide::retry_card_replacement))
        .routes(routes!(decide::reject_card_replacement))
        .routes(routes!(
            list::list_current_account_terminations,
            create::create_current_account_termination
        ))
        .routes(routes!(get::get_current_account_termination))
        .routes(routes!(
            cancel::cancel_current_account_termination,
            cancel::cancel_current_account_termination_post
        ))
        .routes(routes!(confirm::confirm_current_account_termination))
        .routes(routes!(decide::retry_current_account_termination))
        .routes(routes!(decide::reject_current_account_termination))
        .routes(routes!(
            list::list_bundled_account_terminations,
            create::create_bundled_account_termination
        ))
        .routes(routes!(get::get_bundled_account_termination))
        .routes(routes!(
            cancel::cancel_bundled_account_termination,
            cancel::cancel_bundled_account_termination_post
        ))
        .routes(routes!(confirm::confirm_bundled_account_termination))
        .routes(routes!(decide::retry_bundled_account_termination))
        .routes(routes!(decide::reject_bundled_account_termination))
        .routes(routes!(
            list::list_credit_facility_terminations,
            create::create_credit_facility_termination
        ))
        .routes(routes!(get::get_credit_facility_termination))
        .routes(routes!(
            cancel::cancel_credit_facility_termination,
            cancel::cancel_credit_facility_termination_post
        ))
        .routes(routes!(confirm::confirm_credit_facility_termination))
        .routes(routes!(decide::retry_credit_facility_termination))
        .routes(routes!(decide::reject_credit_facility_termination))
        .routes(routes!(
            list::list_loan_terminations,
            create::create_loan_termination
        ))
        .routes(routes!(get::get_loan_termination))
        .routes(routes!(
            cancel::cancel_loan_termination,
            cancel::cancel_loan_termination_post
        ))
        .routes(routes!(confirm::confirm_loan_termination))
        .routes(routes!(decide::retry_loan_termination))
        .routes(routes!(decide::reject_loan_termination))
        .routes(routes!(
            list::list_mandate_assignments,
            create::create_mandate_assignment
        ))
        .routes(routes!(get::get_mandate_assignment))
        .routes(routes!(
            cancel::cancel_mandate_assignment,
            cancel::cancel_mandate_assignment_post
        ))
        .routes(routes!(decide::retry_mandate_assignment))
        .routes(routes!(decide::reject_mandate_assignment))
        .routes(routes!(
            list::list_mandate_revocations,
            create::create_mandate_revocation
        ))
        .routes(routes!(get::get_mandate_revocation))
        .routes(routes!(
            cancel::cancel_mandate_revocation,
            cancel::cancel_mandate_revocation_post
        ))
        .routes(routes!(decide::retry_mandate_revocation))
        .routes(routes!(decide::reject_mandate_revocation))
        .routes(routes!(
            list::list_arrangement_amendments,
            create::create_arrangement_amendment
        ))
        .routes(routes!(get::get_arrangement_amendment))
        .routes(routes!(
            cancel::cancel_arrangement_amendment,
            cancel::cancel_arrangement_amendment_post
        ))
        .routes(routes!(decide::retry_arrangement_amendment))
        .routes(routes!(decide::reject_arrangement_amendment))
        .routes(routes!(
            list::list_deposit_account_terminations,
            create::create_deposit_account_termination
        ))
        .routes(routes!(get::get_deposit_account_termination))
        .routes(routes!(
            cancel::cancel_deposit_account_termination,
            cancel::cancel_deposit_account_termination_post
        ))
        .routes(routes!(confirm::confirm_deposit_account_termination))
        .routes(routes!(decide::retry_deposit_account_termination))
        .routes(routes!(decide::reject_deposit_account_termination))
        .routes(routes!(
            list::list_deposit_payouts,
            create::create_deposit_payout
        ))
        .routes(routes!(get::get_deposit_payout))
        .routes(routes!(
            cancel::cancel_deposit_payout,
            cancel::cancel_deposit_payout_post
        ))
        .routes(routes!(decide::retry_deposit_payout))
        .routes(routes!(decide::reject_deposit_payout))
        .routes(routes!(
            list::list_standing_orders,
            create::create_standing_order
        ))
        .routes(routes!(get::get_standing_order))
        .routes(routes!(
            cancel::cancel_standing_order,
            cancel::cancel_standing_order_post
        ))
        .routes(routes!(standing_orders::rename_standing_order))
        .routes(routes!(standing_orders::skip_standing_order))
        .routes(routes!(decide::retry_standing_order))
        .routes(routes!(decide::reject_standing_order))
        .routes(routes!(calculations::deposit_termination))
        .routes(routes!(calculations::deposit_payout))
        .routes(routes!(account_terminations::list_account_terminations))
        .routes(routes!(any_kind::list_orders))
        .routes(routes!(any_kind::list_my_orders))
        .routes(routes!(any_kind::get_order))
        .routes(routes!(any_kind::cancel_order))
        .routes(routes!(any_kind::confirm_order))
        .routes(routes!(decide::retry_order))
        .routes(routes!(decide::reject_order))
        .routes(routes!(requests::list_customer_requests))
        .routes(routes!(cards::list_cards))
        .routes(routes!(cards::get_card))
        .routes(routes!(arrangements::list_arrangements))
        .routes(routes!(arrangements::get_arrangement))
        .routes(routes!(mandates::list_mandates))
        .routes(routes!(mandates::get_mandate))
        .routes(routes!(classifications::list_classifications))
        .routes(routes!(classifications::get_classification))
}

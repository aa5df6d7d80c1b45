//! Who may see what (API.md section 4): a customer token sees only orders and cards where
//! its customer is owner or holder; anything else must look exactly like a missing record,
//! so that a caller cannot probe for other customers' card ids or work items.

use crate::auth::Principal;
use crate::domain::CustomerNumber;
use crate::domain::card::Card;
use crate::domain::order::Order;
use crate::http::{ApiError, Errors};

/// Whether the caller may see (and, with the write scope, act on) `order`.
pub(super) fn may_see_order(principal: &Principal, order: &Order) -> bool {
    principal.may_act_for(&order.owner) || principal.may_act_for(&order.holder)
}

/// Whether the caller may see (and order for) `card`.
pub(super) fn may_see_card(principal: &Principal, card: &Card) -> bool {
    principal.may_act_for(&card.owner) || principal.may_act_for(&card.holder)
}

/// Reads a list's `customer-number`: a customer token defaults to its own customer, staff
/// may leave it out to mean every customer (`None`). Problems go to `errors`.
pub(super) fn list_customer(
    principal: &Principal,
    raw: Option<&str>,
    errors: &mut Errors,
) -> Option<CustomerNumber> {
    match (raw, &principal.customer_number) {
        (Some(raw), _) => errors.check(CustomerNumber::parse("customer-number", raw)),
        (None, Some(own)) if !principal.is_staff() => Some(own.clone()),
        (None, _) => {
            if !principal.is_staff() {
                errors.required("customer-number");
            }
            None
        }
    }
}

/// Refuses, as a 404, a list of a customer the caller may not act for; `None` (every
/// customer) is for staff only.
pub(super) fn ensure_may_list(
    principal: &Principal,
    customer: Option<&CustomerNumber>,
) -> Result<(), ApiError> {
    match customer {
        Some(customer) if !principal.may_act_for(customer) => {
            Err(ApiError::NotFound(format!("no customer {customer}")))
        }
        None if !principal.is_staff() => Err(ApiError::NotFound("no such customer".into())),
        _ => Ok(()),
    }
}

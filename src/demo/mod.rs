//! The demo data set of API.md section 5: the customers of both guides, the guide's
//! arrangement with cards in every state, and for customer 1400269 exactly 2298 events.

mod banking;
mod events;

pub use banking::{accounts, cards, customers, mandates, standing_order};
pub use events::events;

use chrono::Utc;

use crate::domain::CustomerNumber;
use crate::domain::kinds::set_up_before;
use crate::domain::order::OrderNumber;
use crate::store::{StoreError, Stores};

/// The guide's customer with the long history.
pub const GUIDE_CUSTOMER: &str = "1400269";
/// Events of [`GUIDE_CUSTOMER`]: the guide's `total-count`.
pub const GUIDE_EVENT_COUNT: usize = 2298;
/// The guide's newest event.
pub const GUIDE_NEWEST_EVENT: i64 = 258_242;
/// The guide's login XML for event 258242.
pub const GUIDE_LOGIN_XML: &str = "<customer-login><customer-id>1400269</customer-id><event-id>a65ebbb2-5f23-42de-b0b2-b2362a03b392</event-id><occured-on>2014-10-10T12:34:28.203063+02:00</occured-on><user-id>8001186336</user-id><login-type>authorization-code</login-type><channel>mobile</channel></customer-login>";
/// The arrangement of the order guide.
pub const GUIDE_ARRANGEMENT: &str = "0064200001930";

/// Loads the demo data set. Customers, accounts, cards and mandates are added where missing;
/// events only into an empty history (so a restarted demo does not duplicate them).
/// Returns whether events were loaded.
pub async fn load_if_empty(stores: &Stores) -> Result<bool, StoreError> {
    stores
        .orders
        .import_reference_data(&customers(), &accounts(), &cards())
        .await?;
    stores.accounts.import_mandates(&mandates()).await?;
    if !stores.events.is_empty().await? {
        return Ok(false);
    }
    stores.events.import_events(&events()).await?;
    place_standing_order(stores).await?;
    Ok(true)
}

/// The number of the order that set up the demo's standing order: just below the
/// guide's first work item (WI0000492475), which a fresh demo must still hand out first.
pub const DEMO_STANDING_ORDER: i64 = 492_474;

/// Records the demo's standing order (once, with the events: into a fresh demo) as set
/// up before the demo began: the completed order that set it up, and the standing order,
/// whose first payment falls on the first of next month.
async fn place_standing_order(stores: &Stores) -> Result<(), StoreError> {
    let now = Utc::now();
    let customer = CustomerNumber::parse("customer-number", GUIDE_CUSTOMER)
        .map_err(|e| StoreError::Other(anyhow::anyhow!(e.message)))?;
    let (order, standing) = set_up_before(
        OrderNumber(DEMO_STANDING_ORDER),
        customer,
        standing_order(now.date_naive()),
        Some("A standing order to try skip, nickname and cancel on".into()),
        now,
    );
    stores
        .orders
        .as_ref()
        .import_standing_order(&order, &standing)
        .await
}

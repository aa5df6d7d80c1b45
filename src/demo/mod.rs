//! The demo data set of API.md section 5: the customers of both guides, the guide's
//! arrangement with cards in every state, and for customer 1400269 exactly 2298 events.

mod banking;
mod events;

pub use banking::{accounts, cards, customers, mandates};
pub use events::events;

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
    Ok(true)
}

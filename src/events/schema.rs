//! Types that exist only to document, in the OpenAPI document, the literals the event
//! API's text inputs accept (the handlers read them as text so that validation names a bad
//! value precisely). Each is built from the list the code checks against, so the two
//! cannot drift apart; Schemathesis generates requests from them, so each listed value
//! must be accepted.

use crate::domain::EventKind;
use crate::domain::medium::{COMMUNICATION_TYPES, GUIDE_MEDIA, MEDIA};
use crate::domain::page::SortOrder;
use crate::http::openapi::{one_of, schema_type};

schema_type!(
    /// Every spelling `event-kind` accepts (in any case): the canonical names, the
    /// kebab-case forms, the guide's `SecurtyEvent` and the chargeable activity spelled right.
    EventKindInput => one_of(EventKind::spellings())
);
schema_type!(
    /// The media of a communication (accepted in any case; the guide writes `Mail`).
    MediumInput => one_of(MEDIA.into_iter().chain(GUIDE_MEDIA))
);
schema_type!(
    /// The types of a communication (accepted in any case).
    CommunicationTypeInput => one_of(COMMUNICATION_TYPES)
);
schema_type!(
    /// `sort-order` literals (accepted in any case).
    SortOrderInput => one_of([SortOrder::Asc, SortOrder::Desc].map(SortOrder::as_str))
);
schema_type!(
    /// The one `sort-by` the event list knows.
    EventSortInput => one_of(["creation-datetime"])
);

//! `GET /classifications` and `GET /classifications/{schema-id}` of the Event API (API.md
//! section 11): the code lists of the literals a client meets in events and may send.

crate::http::classifications::classification_handlers!(
    Api::Event,
    Scope::EventRead,
    "The token lacks customer-event:read",
    "medium"
);

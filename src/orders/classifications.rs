//! `GET /classifications` and `GET /classifications/{schema-id}`: the code lists a
//! client needs to fill in reasons and to read statuses.

crate::http::classifications::classification_handlers!(
    Api::Order,
    Scope::OrderRead,
    "The token lacks customer-order:read",
    "card-replacement-reason"
);

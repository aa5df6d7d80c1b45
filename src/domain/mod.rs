//! Domain types: validated newtypes and rules, with no I/O. Anything past the HTTP edge
//! holds these, never a raw `String` that might not have been checked.

pub mod account;
pub mod card;
pub mod classification;
pub mod customer;
pub mod deposit;
pub mod event_kind;
mod event_lists;
pub mod execution;
pub mod identifier;
pub mod invalid;
pub mod kinds;
pub mod medium;
pub mod operation;
pub mod order;
mod order_lists;
pub mod page;
pub mod product;
pub mod standing_order;
pub mod typed_fields;
pub mod webhook;
pub mod xml;

pub use customer::CustomerNumber;
pub use event_kind::EventKind;

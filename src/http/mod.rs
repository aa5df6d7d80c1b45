//! What both APIs share at the HTTP edge: problem responses, extractors that turn every
//! rejection into a problem, paging and links.

pub mod classifications;
pub mod control_chars;
pub mod conventions;
pub mod cors;
pub mod cursor;
pub mod etag;
pub mod extract;
pub mod idempotency;
pub mod limits;
pub mod links;
pub mod openapi;
pub mod paging;
pub mod problem;
pub mod query_names;
pub mod rate_limit;
pub mod serve;
pub mod shaping;
pub mod time;
pub mod validation;

pub use problem::ApiError;
pub use validation::{ErrorLiteral, Errors, FieldError};

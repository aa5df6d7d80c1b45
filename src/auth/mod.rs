//! OAuth 2.0 resource-server side: who the caller is (a verified JWT) and what it may do.

pub mod jwks;
pub mod mint;
pub mod principal;
pub mod verify;

pub use principal::{Principal, Scope};
pub use verify::TokenVerifier;

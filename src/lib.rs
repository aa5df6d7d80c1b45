//! bankapi: the Customer Order API v2 and Customer Event API v2 behind one binary.
//!
//! The crate is a library so that the integration tests, the benchmarks and the binary
//! all build the very same application through [`startup::Application`].

pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod events;
pub mod feed;
pub mod http;
pub mod operations;
pub mod ops;
pub mod orders;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;

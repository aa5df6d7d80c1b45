//! HTTP-level tests: one binary, one module per area. Every test runs against a fresh
//! database: SQLite by default, PostgreSQL when `BANKAPI_TEST_DATABASE_URL` is set.

mod helpers;

mod abuse;
mod account_orders;
mod amendments;
mod any_kind;
mod arrangements;
mod audit;
mod auth;
mod collation;
mod contract;
mod conventions;
mod crash_operations;
mod crash_standing;
mod deep_pages;
mod deposits;
mod durability;
mod event_guide;
mod events;
mod faults;
mod feed;
mod hostile_input;
mod idempotency;
mod logs;
mod mandate_orders;
mod mandates;
mod mirror_drift;
mod oidc;
mod operations;
mod order_guide;
mod orders;
mod paging;
mod rate_limit;
mod sor;
mod standing_orders;
mod store_conformance;
mod systems_of_record;
mod webhook_crash;
mod webhooks;

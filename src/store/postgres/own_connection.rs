//! A connection that one task owns outside the pool, for the hot paths that talk to the
//! database from a single task (the event writer, the read barrier): sqlx's pool adds an
//! acquire, a ping and a hand-back task to every use, which those paths pay on every
//! round. It is opened when first needed, given up when a use fails or hangs (PostgreSQL
//! then rolls back whatever it had begun), and opened again by the next use.

use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::store::StoreError;

/// How long opening the connection may take, as the pool's acquire timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The connection of one task (named `bankapi {role}` in `pg_stat_activity`).
pub(super) struct OwnConnection {
    role: &'static str,
    options: PgConnectOptions,
    connection: Option<PgConnection>,
}

impl OwnConnection {
    /// A connection for `role`, opened with `options` when first used.
    pub(super) fn new(role: &'static str, options: PgConnectOptions) -> Self {
        Self {
            role,
            options: options.application_name(&format!("bankapi {role}")),
            connection: None,
        }
    }

    /// The open connection, or a new one.
    pub(super) async fn connection(&mut self) -> Result<&mut PgConnection, StoreError> {
        let connection = match self.connection.take() {
            Some(open) => open,
            None => {
                tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&self.options))
                    .await
                    .map_err(|_| {
                        StoreError::Unavailable(format!(
                            "the {} could not connect within {} s",
                            self.role,
                            CONNECT_TIMEOUT.as_secs()
                        ))
                    })??
            }
        };
        Ok(self.connection.insert(connection))
    }

    /// The outcome of a use of [`Self::connection`] bounded by `limit`; a connection that
    /// failed or hung is dropped, and the next use opens a new one.
    pub(super) fn settle<T>(
        &mut self,
        limit: Duration,
        outcome: Result<Result<T, StoreError>, tokio::time::error::Elapsed>,
    ) -> Result<T, StoreError> {
        let result = outcome.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(format!(
                "the database did not answer the {} within {} s",
                self.role,
                limit.as_secs()
            )))
        });
        if matches!(
            result,
            Err(StoreError::Unavailable(_) | StoreError::Other(_))
        ) {
            self.connection = None;
        }
        result
    }
}

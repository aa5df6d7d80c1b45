//! The order acceptance's two round trips on PostgreSQL, each run by one task (the
//! [`SubjectReader`] and the [`Acceptor`]), over connections of their own as the event
//! writer's ([`super::own_connection`]).
//!
//! sqlx's pool lends a connection through an acquire and takes it back through a task
//! that pings it (a round trip of its own, unconditional on release): every subject read
//! and every order group paid that beside its statement, where the event POST's writer
//! did not. The connections also plan once (`plan_cache_mode = force_generic_plan`):
//! both statements read arrays and find rows by key, so the generic plan is the right
//! one, and PostgreSQL otherwise planned array statements anew on every execution.
//!
//! [`SubjectReader`]: crate::store::orders::SubjectReader
//! [`Acceptor`]: crate::store::orders::Acceptor

use std::time::Duration;

use sqlx::PgConnection;
use sqlx::postgres::PgConnectOptions;
use tokio::sync::Mutex;

use super::order_inserts::insert_orders;
use super::order_rows::SubjectRow;
use super::own_connection::OwnConnection;
use crate::domain::identifier::CardId;
use crate::store::StoreError;
use crate::store::orders::{CardSubject, Gather};

/// How long a subject read may take before its connection is given up (the database is
/// unreachable without the socket noticing) and the requests get a 503.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an order group's insert may take, likewise (as the event writer's).
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The acceptance's connections. Each is used by one task at a time; the locks only
/// guard against a second caller, which would wait.
pub(super) struct AcceptanceConnections {
    subjects: Mutex<OwnConnection>,
    orders: Mutex<OwnConnection>,
}

impl AcceptanceConnections {
    /// Connections opened with `options` when first used.
    pub(super) fn new(options: &PgConnectOptions) -> Self {
        let options = options
            .clone()
            .options([("plan_cache_mode", "force_generic_plan")]);
        Self {
            subjects: Mutex::new(OwnConnection::new("subject reader", options.clone())),
            orders: Mutex::new(OwnConnection::new("order acceptor", options)),
        }
    }

    /// What [`crate::store::orders::OrderStore::card_subjects`] answers.
    pub(super) async fn subjects(
        &self,
        card_ids: &[CardId],
    ) -> Result<Vec<CardSubject>, StoreError> {
        if card_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut own = self.subjects.lock().await;
        let connection = own.connection().await?;
        let outcome = tokio::time::timeout(READ_TIMEOUT, read_subjects(connection, card_ids)).await;
        own.settle(READ_TIMEOUT, outcome)
    }

    /// What [`crate::store::orders::OrderStore::insert_orders_gathered`] does: one
    /// statement outside a transaction, so the insert and the NOTIFY commit together in
    /// one round trip, where BEGIN, INSERT, NOTIFY and COMMIT took four.
    pub(super) async fn insert(
        &self,
        gather: Gather<'_>,
        announce: bool,
    ) -> Result<Vec<i64>, StoreError> {
        let mut own = self.orders.lock().await;
        let connection = own.connection().await?;
        let write = async { insert_orders(connection, &gather()?, announce).await };
        let outcome = tokio::time::timeout(WRITE_TIMEOUT, write).await;
        own.settle(WRITE_TIMEOUT, outcome)
    }
}

/// Each card of `card_ids` with its arrangement and that arrangement's cards.
async fn read_subjects(
    connection: &mut PgConnection,
    card_ids: &[CardId],
) -> Result<Vec<CardSubject>, StoreError> {
    let ids: Vec<&str> = card_ids.iter().map(CardId::as_str).collect();
    // The arrangements are named as an array, not a subquery: without statistics (a
    // fresh backlog of cards) the planner turned `IN (SELECT ...)` into a hash join over
    // every card and every arrangement, 4 ms a read against 0.6 ms by the indexes.
    let rows: Vec<SubjectRow> = sqlx::query_as(
        "WITH wanted AS MATERIALIZED (
                 SELECT ARRAY(SELECT arrangement_number FROM cards WHERE card_id = ANY($1)) AS numbers)
             SELECT c.card_id, c.serial_number, c.masked_number, c.arrangement_number, c.holder_customer_number,
                    c.owner_customer_number, c.product_code, c.status, c.blockade_reason, c.expiry_date,
                    c.replaces, c.replaced_by, c.status_date,
                    a.owner_customer_number AS arrangement_owner, a.product_code AS arrangement_product,
                    (a.status = 'active') AS arrangement_active, a.allows_cards AS arrangement_allows_cards,
                    a.card_limit AS arrangement_card_limit
             FROM wanted CROSS JOIN cards c
             LEFT JOIN arrangements a
                 ON a.arrangement_number = c.arrangement_number AND a.arrangement_number = ANY(wanted.numbers)
             WHERE c.arrangement_number = ANY(wanted.numbers)
             ORDER BY c.card_id",
    )
    .bind(&ids)
    .fetch_all(&mut *connection)
    .await?;
    let rows = rows
        .into_iter()
        .map(SubjectRow::into_parts)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CardSubject::from_rows(card_ids, rows))
}

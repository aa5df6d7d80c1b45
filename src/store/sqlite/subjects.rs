//! The order acceptance's subject reads, from one task (the [`SubjectReader`]), over a
//! read connection of their own.
//!
//! sqlx's pool lends a connection through an acquire and takes it back through a task
//! that pings it: on SQLite the ping is a round trip to the connection's worker thread,
//! and every subject read paid it (and the acquire) beside its query.
//!
//! [`SubjectReader`]: crate::store::orders::SubjectReader

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection};
use tokio::sync::Mutex;

use super::order_rows::SubjectRow;
use super::orders::push_in;
use crate::domain::identifier::CardId;
use crate::store::StoreError;
use crate::store::orders::CardSubject;

/// The subject reader's connection, opened when first used and again after a failure.
/// One task uses it; the lock only makes a second caller wait.
pub(super) struct SubjectReads {
    options: SqliteConnectOptions,
    connection: Mutex<Option<SqliteConnection>>,
}

impl SubjectReads {
    /// Reads with a connection opened with `options` (the reader pool's).
    pub(super) fn new(options: SqliteConnectOptions) -> Self {
        Self {
            options,
            connection: Mutex::new(None),
        }
    }

    /// What [`crate::store::orders::OrderStore::card_subjects`] answers.
    pub(super) async fn read(&self, card_ids: &[CardId]) -> Result<Vec<CardSubject>, StoreError> {
        if card_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut held = self.connection.lock().await;
        let connection = match held.take() {
            Some(open) => open,
            None => SqliteConnection::connect_with(&self.options).await?,
        };
        let connection = held.insert(connection);
        let read = read_subjects(connection, card_ids).await;
        if read.is_err() {
            // Whatever went wrong, the next read starts on a new connection.
            *held = None;
        }
        read
    }
}

/// Each card of `card_ids` with its arrangement and that arrangement's cards.
async fn read_subjects(
    connection: &mut SqliteConnection,
    card_ids: &[CardId],
) -> Result<Vec<CardSubject>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT c.card_id, c.serial_number, c.masked_number, c.arrangement_number, c.holder_customer_number,
                    c.owner_customer_number, c.product_code, c.status, c.blockade_reason, c.expiry_date,
                    c.replaces, c.replaced_by, c.status_date,
                    a.owner_customer_number AS arrangement_owner, a.product_code AS arrangement_product,
                    (a.status = 'active') AS arrangement_active, a.allows_cards AS arrangement_allows_cards,
                    a.card_limit AS arrangement_card_limit
             FROM cards c LEFT JOIN arrangements a ON a.arrangement_number = c.arrangement_number
             WHERE c.arrangement_number IN (SELECT arrangement_number FROM cards WHERE card_id",
    );
    let ids: Vec<String> = card_ids.iter().map(|id| id.as_str().to_owned()).collect();
    push_in(&mut query, &ids);
    query.push(") ORDER BY c.card_id");
    let rows: Vec<SubjectRow> = query.build_query_as().fetch_all(&mut *connection).await?;
    let rows = rows
        .into_iter()
        .map(SubjectRow::into_parts)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CardSubject::from_rows(card_ids, rows))
}

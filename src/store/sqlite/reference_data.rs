//! The reference data (customers, accounts, cards) a bank loads before orders act on it:
//! the demo's data set, the benches' seeds. Existing rows are kept.

use sqlx::SqliteConnection;

use super::order_rows::insert_card;
use crate::domain::account::Account;
use crate::domain::card::{Card, Customer};
use crate::store::StoreError;
use crate::store::accounts::AccountColumns;

/// Inserts what is not there yet of `customers`, `accounts` and `cards` on `conn`, the
/// caller's transaction.
pub(super) async fn import_reference_data(
    conn: &mut SqliteConnection,
    customers: &[Customer],
    accounts: &[Account],
    cards: &[Card],
) -> Result<(), StoreError> {
    for customer in customers {
        sqlx::query("INSERT OR IGNORE INTO customers (customer_number, name) VALUES (?, ?)")
            .bind(customer.number.as_str())
            .bind(&customer.name)
            .execute(&mut *conn)
            .await?;
    }
    for account in accounts {
        let a = AccountColumns::of(account);
        sqlx::query(
            "INSERT OR IGNORE INTO arrangements
                 (arrangement_number, kind, owner_customer_number, product_code, product_name,
                  currency_code, balance_minor, status, linked_arrangement_number, allows_cards, card_limit,
                  interest_rate_bp, interest_from)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(a.arrangement_number)
        .bind(a.kind)
        .bind(a.owner_customer_number)
        .bind(a.product_code)
        .bind(a.product_name)
        .bind(a.currency_code)
        .bind(a.balance_minor)
        .bind(a.status)
        .bind(a.linked_arrangement_number)
        .bind(a.allows_cards)
        .bind(a.card_limit)
        .bind(a.interest_rate_bp)
        .bind(a.interest_from)
        .execute(&mut *conn)
        .await?;
    }
    for card in cards {
        insert_card(conn, card, true).await?;
    }
    Ok(())
}

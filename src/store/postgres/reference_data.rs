//! The reference data (customers, accounts, cards) a bank loads before orders act on it:
//! the demo's data set, the benches' seeds. Existing rows are kept.

use sqlx::PgConnection;

use super::order_inserts::insert_cards;
use crate::domain::account::Account;
use crate::domain::card::{Card, Customer};
use crate::store::StoreError;
use crate::store::accounts::AccountColumns;

/// Inserts what is not there yet of `customers`, `accounts` and `cards` on `conn`, the
/// caller's transaction.
pub(super) async fn import_reference_data(
    conn: &mut PgConnection,
    customers: &[Customer],
    accounts: &[Account],
    cards: &[Card],
) -> Result<(), StoreError> {
    for customer in customers {
        sqlx::query(
            "INSERT INTO customers (customer_number, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(customer.number.as_str())
        .bind(&customer.name)
        .execute(&mut *conn)
        .await?;
    }
    for account in accounts {
        let a = AccountColumns::of(account);
        sqlx::query(
            "INSERT INTO arrangements
                 (arrangement_number, kind, owner_customer_number, product_code, product_name,
                  currency_code, balance_minor, status, linked_arrangement_number, allows_cards, card_limit,
                  interest_rate_bp, interest_from)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
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
        // The column is an INTEGER; a limit beyond it is no limit in practice.
        .bind(i32::try_from(a.card_limit).unwrap_or(i32::MAX))
        .bind(a.interest_rate_bp.and_then(|r| i32::try_from(r).ok()))
        .bind(a.interest_from)
        .execute(&mut *conn)
        .await?;
    }
    insert_cards(conn, cards, true).await?;
    Ok(())
}

//! SQLite statements of the account views (see `store::accounts`).

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};

use super::SqliteStore;
use crate::domain::account::Account;
use crate::domain::identifier::ArrangementNumber;
use crate::store::StoreError;
use crate::store::accounts::{AccountColumns, AccountFilter, AccountStore, decode_page};

/// The columns `AccountColumns` reads, as stored.
macro_rules! account_columns {
    () => {
        "arrangement_number, kind, owner_customer_number, product_code, product_name, \
         currency_code, balance_minor, status, linked_arrangement_number, allows_cards, \
         card_limit"
    };
}

fn push_filters(query: &mut QueryBuilder<Sqlite>, filter: &AccountFilter) {
    query.push(" WHERE 1 = 1");
    if let Some(customer) = &filter.customer {
        query
            .push(" AND owner_customer_number = ")
            .push_bind(customer.as_str().to_owned());
    }
    if let Some(kind) = filter.kind {
        query.push(" AND kind = ").push_bind(kind.as_str());
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn list_accounts(
        &self,
        filter: &AccountFilter,
    ) -> Result<(Vec<Account>, u64), StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            account_columns!(),
            " FROM arrangements"
        ));
        push_filters(&mut query, filter);
        query
            .push(" ORDER BY arrangement_number LIMIT ")
            .push_bind(i64::from(filter.page.size))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.page.offset()).unwrap_or(i64::MAX));
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM arrangements");
        push_filters(&mut count, filter);
        let rows: Vec<AccountColumns> = query.build_query_as().fetch_all(&self.reader).await?;
        let total: i64 = count.build_query_scalar().fetch_one(&self.reader).await?;
        decode_page(rows, total)
    }

    async fn account(&self, number: &ArrangementNumber) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountColumns> = sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM arrangements WHERE arrangement_number = ?"
        ))
        .bind(number.as_str())
        .fetch_optional(&self.reader)
        .await?;
        row.map(AccountColumns::decode).transpose()
    }
}

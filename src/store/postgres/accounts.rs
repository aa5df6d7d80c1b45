//! PostgreSQL statements of the account and mandate views (see `store::accounts`).

use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder};

use super::PgStore;
use crate::domain::account::{Account, Mandate};
use crate::domain::identifier::{ArrangementNumber, MandateNumber};
use crate::store::StoreError;
use crate::store::accounts::{
    AccountColumns, AccountFilter, AccountStore, MandateColumns, MandateFilter, MandateRole,
    decode_mandates, decode_page, viewed_status,
};

/// The columns `AccountColumns` reads, integers widened to `BIGINT`.
macro_rules! account_columns {
    () => {
        account_columns!("status")
    };
    ($status:expr) => {
        concat!(
            "arrangement_number, kind, owner_customer_number, product_code, product_name, \
         currency_code, balance_minor, ",
            $status,
            ", linked_arrangement_number, allows_cards, \
         card_limit::BIGINT AS card_limit, interest_rate_bp::BIGINT AS interest_rate_bp, \
         interest_from"
        )
    };
}

fn push_filters(query: &mut QueryBuilder<Postgres>, filter: &AccountFilter) {
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

/// The columns `MandateColumns` reads.
const MANDATE_COLUMNS: &str = "mandate_number, arrangement_number, grantor_customer_number, \
     holder_customer_number, nickname, status, granted_on, revoked_on";

fn push_mandate_filters(query: &mut QueryBuilder<Postgres>, filter: &MandateFilter) {
    query.push(" WHERE 1 = 1");
    if let Some(customer) = &filter.customer {
        let given = matches!(filter.role, MandateRole::Given | MandateRole::Either);
        let received = matches!(filter.role, MandateRole::Received | MandateRole::Either);
        query.push(" AND (1 = 0");
        if given {
            query
                .push(" OR grantor_customer_number = ")
                .push_bind(customer.as_str().to_owned());
        }
        if received {
            query
                .push(" OR holder_customer_number = ")
                .push_bind(customer.as_str().to_owned());
        }
        query.push(")");
    }
}

impl PgStore {
    /// Accounts by number, with those they are linked to and those linked to them (what
    /// an account order's rules judge), in one statement.
    pub(super) async fn accounts_around(
        &self,
        numbers: &[String],
    ) -> Result<Vec<Account>, StoreError> {
        let rows: Vec<AccountColumns> = sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM arrangements WHERE arrangement_number = ANY($1)
                 OR linked_arrangement_number = ANY($1)
                 OR arrangement_number IN (SELECT linked_arrangement_number FROM arrangements
                                            WHERE arrangement_number = ANY($1))"
        ))
        .bind(numbers)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(AccountColumns::decode).collect()
    }

    /// Every mandate on these accounts.
    pub(super) async fn mandates_on(
        &self,
        arrangements: &[String],
    ) -> Result<Vec<Mandate>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new("SELECT ");
        query
            .push(MANDATE_COLUMNS)
            .push(" FROM mandates WHERE arrangement_number = ANY(")
            .push_bind(arrangements.to_vec())
            .push(") ORDER BY mandate_number");
        let rows: Vec<MandateColumns> = query.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(MandateColumns::decode).collect()
    }
}

#[async_trait]
impl AccountStore for PgStore {
    async fn list_accounts(
        &self,
        filter: &AccountFilter,
    ) -> Result<(Vec<Account>, u64), StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            account_columns!(viewed_status!()),
            " FROM arrangements"
        ));
        push_filters(&mut query, filter);
        query
            .push(" ORDER BY arrangement_number LIMIT ")
            .push_bind(i64::from(filter.page.size))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.page.offset()).unwrap_or(i64::MAX));
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM arrangements");
        push_filters(&mut count, filter);
        let rows: Vec<AccountColumns> = query.build_query_as().fetch_all(&self.pool).await?;
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        decode_page(rows, total)
    }

    async fn account(&self, number: &ArrangementNumber) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountColumns> = sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(viewed_status!()),
            " FROM arrangements WHERE arrangement_number = $1"
        ))
        .bind(number.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(AccountColumns::decode).transpose()
    }

    async fn list_mandates(
        &self,
        filter: &MandateFilter,
    ) -> Result<(Vec<Mandate>, u64), StoreError> {
        let mut query = QueryBuilder::<Postgres>::new("SELECT ");
        query.push(MANDATE_COLUMNS).push(" FROM mandates");
        push_mandate_filters(&mut query, filter);
        query
            .push(" ORDER BY mandate_number LIMIT ")
            .push_bind(i64::from(filter.page.size))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.page.offset()).unwrap_or(i64::MAX));
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM mandates");
        push_mandate_filters(&mut count, filter);
        let rows: Vec<MandateColumns> = query.build_query_as().fetch_all(&self.pool).await?;
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        decode_mandates(rows, total)
    }

    async fn mandate(&self, number: &MandateNumber) -> Result<Option<Mandate>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new("SELECT ");
        query
            .push(MANDATE_COLUMNS)
            .push(" FROM mandates WHERE mandate_number = ")
            .push_bind(number.as_str().to_owned());
        let row: Option<MandateColumns> = query.build_query_as().fetch_optional(&self.pool).await?;
        row.map(MandateColumns::decode).transpose()
    }

    async fn import_mandates(&self, mandates: &[Mandate]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for mandate in mandates {
            let m = MandateColumns::of(mandate);
            sqlx::query(
                "INSERT INTO mandates (mandate_number, arrangement_number, grantor_customer_number,
                     holder_customer_number, nickname, status, granted_on, revoked_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(m.mandate_number)
            .bind(m.arrangement_number)
            .bind(m.grantor_customer_number)
            .bind(m.holder_customer_number)
            .bind(m.nickname)
            .bind(m.status)
            .bind(m.granted_on)
            .bind(m.revoked_on)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

//! Accounts and mandates (API.md section 9): the read views `GET /arrangements`,
//! `GET /arrangements/{arrangement-number}`, `GET /mandates` and
//! `GET /mandates/{mandate-number}`. The backends hold the statements; the rows they read
//! are decoded here, once.

use async_trait::async_trait;

use super::StoreError;
use super::orders::{arrangement_number, customer_number};
use crate::domain::CustomerNumber;
use crate::domain::account::{
    Account, ArrangementKind, ArrangementStatus, BalanceGuard, CurrencyCode, Mandate,
    MandateStatus, Money, Posting,
};
use crate::domain::deposit::DepositTerms;
use crate::domain::identifier::{ArrangementNumber, MandateNumber};
use crate::domain::page::PageRequest;

/// The condition of an `UPDATE arrangements` that books a posting, for its guard, and
/// the value it compares with (bound as the statement's fourth parameter, `$4`; the
/// conditions that need none compare it with nothing). Both backends read the same SQL.
pub(crate) fn balance_guard(guard: BalanceGuard) -> (&'static str, Option<i64>) {
    match guard {
        BalanceGuard::Exactly(balance) => ("balance_minor = $4", Some(balance)),
        BalanceGuard::NotBelowZero => ("balance_minor + $1 >= 0 AND $4 IS NULL", None),
        BalanceGuard::Active => ("status = 'active' AND $4 IS NULL", None),
    }
}

/// What the log says of a posting whose guard failed: its order's write is dropped and
/// the step judged again on fresh balances.
pub(crate) fn guard_failed(order_id: i64, posting: &Posting) -> String {
    format!(
        "order {}: account {} no longer allows leg {} ({} {}); the step will be judged again",
        crate::domain::order::OrderNumber(order_id),
        posting.account,
        posting.leg,
        posting.amount.amount(),
        posting.amount.currency.as_str()
    )
}

/// Which accounts a list shows.
#[derive(Debug, Clone)]
pub struct AccountFilter {
    /// Only the accounts this customer owns; `None` (staff only): every account.
    pub customer: Option<CustomerNumber>,
    /// Only accounts of this kind.
    pub kind: Option<ArrangementKind>,
    /// Which page, by arrangement number.
    pub page: PageRequest,
}

/// Which side of a mandate a customer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MandateRole {
    /// Mandates the customer gave on its arrangements.
    Given,
    /// Mandates the customer holds on others' arrangements.
    Received,
    /// Both.
    Either,
}

/// Which mandates a list shows.
#[derive(Debug, Clone)]
pub struct MandateFilter {
    /// The customer whose mandates; `None` (staff only): every mandate.
    pub customer: Option<CustomerNumber>,
    /// Given, received or both (ignored without a customer).
    pub role: MandateRole,
    /// Which page, by mandate number.
    pub page: PageRequest,
}

/// Reading accounts and mandates.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// A page of the accounts `filter` names, by arrangement number, and how many there
    /// are in all.
    async fn list_accounts(
        &self,
        filter: &AccountFilter,
    ) -> Result<(Vec<Account>, u64), StoreError>;

    /// One account, if it exists.
    async fn account(&self, number: &ArrangementNumber) -> Result<Option<Account>, StoreError>;

    /// A page of the mandates `filter` names, by mandate number, and how many there are.
    async fn list_mandates(
        &self,
        filter: &MandateFilter,
    ) -> Result<(Vec<Mandate>, u64), StoreError>;

    /// One mandate, if it exists.
    async fn mandate(&self, number: &MandateNumber) -> Result<Option<Mandate>, StoreError>;

    /// Loads mandates (the demo data set); existing ones are kept.
    async fn import_mandates(&self, mandates: &[Mandate]) -> Result<(), StoreError>;
}

/// A mandate's stored columns, the same on both backends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MandateColumns {
    pub mandate_number: String,
    pub arrangement_number: String,
    pub grantor_customer_number: String,
    pub holder_customer_number: String,
    pub nickname: Option<String>,
    pub status: String,
    pub granted_on: chrono::NaiveDate,
    pub revoked_on: Option<chrono::NaiveDate>,
}

impl MandateColumns {
    /// The columns of `mandate`, for an insert.
    pub(crate) fn of(mandate: &Mandate) -> Self {
        Self {
            mandate_number: mandate.number.to_string(),
            arrangement_number: mandate.arrangement.to_string(),
            grantor_customer_number: mandate.grantor.to_string(),
            holder_customer_number: mandate.holder.to_string(),
            nickname: mandate.nickname.clone(),
            status: mandate.status.as_str().to_owned(),
            granted_on: mandate.granted_on,
            revoked_on: mandate.revoked_on,
        }
    }

    /// The mandate these columns describe.
    pub(crate) fn decode(self) -> Result<Mandate, StoreError> {
        let status = MandateStatus::from_stored(&self.status).ok_or_else(|| {
            StoreError::Other(anyhow::anyhow!(
                "mandate {}: stored status {:?} is not valid",
                self.mandate_number,
                self.status
            ))
        })?;
        let number = MandateNumber::parse("mandate_number", &self.mandate_number)
            .map_err(|e| StoreError::Other(anyhow::anyhow!(e.message)))?;
        Ok(Mandate {
            number,
            arrangement: arrangement_number(&self.arrangement_number)?,
            grantor: customer_number(&self.grantor_customer_number)?,
            holder: customer_number(&self.holder_customer_number)?,
            nickname: self.nickname,
            status,
            granted_on: self.granted_on,
            revoked_on: self.revoked_on,
        })
    }
}

/// A page of mandate rows and the count beside them, decoded.
pub(crate) fn decode_mandates(
    rows: Vec<MandateColumns>,
    total: i64,
) -> Result<(Vec<Mandate>, u64), StoreError> {
    let mandates = rows
        .into_iter()
        .map(MandateColumns::decode)
        .collect::<Result<_, _>>()?;
    Ok((mandates, u64::try_from(total).unwrap_or(0)))
}

/// An account's `status` as the read views show it: an active account that a closure or
/// an early redemption is under way for (checked, not yet final: awaiting the customer's
/// confirmation, or at core banking) is `terminating`. Derived when read rather than
/// stored, so that no path that ends such an order (cancel, expiry, rejection, a staff
/// decision) has to put the account back; the rules judge the stored state. Plain SQL
/// that both backends run; the kinds are the closures' `order-type` literals.
macro_rules! viewed_status {
    () => {
        "CASE WHEN arrangements.status = 'active' AND EXISTS (SELECT 1 FROM orders o \
            WHERE o.serial_key = 'arrangement:' || arrangements.arrangement_number \
              AND o.next_run_at IS NOT NULL AND o.status <> 'proposed' \
              AND o.kind IN ('current-account-termination', 'bundled-account-termination', \
                  'deposit-account-termination', 'credit-facility-termination', 'loan-termination')) \
         THEN 'terminating' ELSE arrangements.status END AS status"
    };
}
pub(crate) use viewed_status;

/// An account's stored columns, as both backends select them (integers as `BIGINT`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AccountColumns {
    pub arrangement_number: String,
    pub kind: String,
    pub owner_customer_number: String,
    pub product_code: String,
    pub product_name: String,
    pub currency_code: String,
    pub balance_minor: i64,
    pub status: String,
    pub linked_arrangement_number: Option<String>,
    pub allows_cards: bool,
    pub card_limit: i64,
    pub interest_rate_bp: Option<i64>,
    pub interest_from: Option<chrono::NaiveDate>,
}

/// A page of account rows and the count beside them, decoded.
pub(crate) fn decode_page(
    rows: Vec<AccountColumns>,
    total: i64,
) -> Result<(Vec<Account>, u64), StoreError> {
    let accounts = rows
        .into_iter()
        .map(AccountColumns::decode)
        .collect::<Result<_, _>>()?;
    Ok((accounts, u64::try_from(total).unwrap_or(0)))
}

impl AccountColumns {
    /// The columns of `account`, for an insert.
    pub(crate) fn of(account: &Account) -> Self {
        Self {
            arrangement_number: account.number.to_string(),
            kind: account.kind.as_str().to_owned(),
            owner_customer_number: account.owner.to_string(),
            product_code: account.product_code.clone(),
            product_name: account.product_name.clone(),
            currency_code: account.balance.currency.as_str().to_owned(),
            balance_minor: account.balance.minor,
            status: account.status.as_str().to_owned(),
            linked_arrangement_number: account.linked.as_ref().map(ToString::to_string),
            allows_cards: account.allows_cards,
            card_limit: i64::from(account.card_limit),
            interest_rate_bp: account.deposit.map(|d| i64::from(d.rate_bp)),
            interest_from: account.deposit.map(|d| d.interest_from),
        }
    }

    /// The account these columns describe; a value no code wrote is an error, not a guess.
    pub(crate) fn decode(self) -> Result<Account, StoreError> {
        let bad = |what: &str, value: &str| {
            StoreError::Other(anyhow::anyhow!(
                "account {}: stored {what} {value:?} is not valid",
                self.arrangement_number
            ))
        };
        let kind =
            ArrangementKind::from_stored(&self.kind).ok_or_else(|| bad("kind", &self.kind))?;
        let status = ArrangementStatus::from_stored(&self.status)
            .ok_or_else(|| bad("status", &self.status))?;
        let currency = CurrencyCode::parse("currency_code", &self.currency_code)
            .map_err(|_| bad("currency", &self.currency_code))?;
        Ok(Account {
            number: arrangement_number(&self.arrangement_number)?,
            kind,
            owner: customer_number(&self.owner_customer_number)?,
            product_code: self.product_code,
            product_name: self.product_name,
            balance: Money {
                currency,
                minor: self.balance_minor,
            },
            status,
            linked: self
                .linked_arrangement_number
                .as_deref()
                .map(arrangement_number)
                .transpose()?,
            allows_cards: self.allows_cards,
            card_limit: u32::try_from(self.card_limit).unwrap_or(0),
            deposit: match (self.interest_rate_bp, self.interest_from) {
                (Some(rate), Some(interest_from)) => Some(DepositTerms {
                    rate_bp: u32::try_from(rate)
                        .map_err(|_| bad("interest rate", &rate.to_string()))?,
                    interest_from,
                }),
                _ => None,
            },
        })
    }
}

//! Closing a current or bundled account (API.md section 9): checked, confirmed by the
//! customer, then closed with its balance settled to another account of the customer's
//! in the same currency, or paid out in cash.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::{Leg, book, close, shown, the_account};
use super::{KindDef, Rules, confirmed_plan};
use crate::domain::account::{Account, ArrangementKind, ArrangementStatus, BalanceGuard};
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::operation::Produced;
use crate::domain::standing_order::StandingOrderStatus;

/// Closing a current account: the core system takes a few seconds.
pub(crate) const CURRENT: KindDef = KindDef {
    literal: "current-account-termination",
    resource: "current-account-terminations",
    steps: &confirmed_plan(("check-account", 1), ("close-account", 2)),
    completed_activity: "account-terminated",
};

/// Closing a bundled account: the package's parts close with it at the core system.
pub(crate) const BUNDLED: KindDef = KindDef {
    literal: "bundled-account-termination",
    resource: "bundled-account-terminations",
    steps: &confirmed_plan(("check-account", 1), ("close-account", 2)),
    completed_activity: "account-terminated",
};

/// Where the balance goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// Paid out in cash at a branch instead of to an account.
    pub cash_payout: bool,
    /// The customer's account that takes a balance in the domestic currency.
    pub domestic_account: Option<ArrangementNumber>,
    /// The customer's account that takes a balance in a foreign currency.
    pub foreign_account: Option<ArrangementNumber>,
    /// Whether a foreign balance should be converted to the domestic currency.
    pub convert_to_domestic_currency: bool,
    /// The bank of a settlement account held elsewhere (shown, carried to the core).
    pub swift_code: Option<String>,
}

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTermination {
    /// The account to close.
    pub account_number: ArrangementNumber,
    /// The kind of account the resource closes (current or bundled).
    pub account_kind: ArrangementKind,
    /// An `account-termination-reason` literal (required for a current account).
    pub reason: Option<String>,
    /// Where the balance goes.
    pub settlement: Settlement,
}

impl AccountTermination {
    /// The account that takes the balance, if it goes to one: the settlement account in
    /// the balance's own currency. bankapi holds no exchange rates, so a balance is never
    /// converted here.
    fn target<'a>(
        &self,
        ctx: &Context<'a>,
        account: &Account,
    ) -> Result<Option<&'a Account>, Refusal> {
        let s = &self.settlement;
        if s.cash_payout || account.balance.minor == 0 {
            return Ok(None);
        }
        let named: Vec<&ArrangementNumber> = [&s.domestic_account, &s.foreign_account]
            .into_iter()
            .flatten()
            .collect();
        if named.is_empty() {
            return Err(not_eligible(format!(
                "account {} holds {}: name a settlement account or ask for cash-payout",
                account.number,
                shown(account.balance)
            )));
        }
        let candidates: Vec<&Account> = named.iter().filter_map(|n| ctx.account(n)).collect();
        let Some(target) = candidates
            .iter()
            .find(|a| a.balance.currency == account.balance.currency)
        else {
            let why = if s.convert_to_domestic_currency {
                "converting it is not offered: bankapi holds no exchange rates"
            } else {
                "no settlement account named is in that currency"
            };
            return Err(not_eligible(format!(
                "account {} is held in {}; {why}",
                account.number,
                account.balance.currency.as_str()
            )));
        };
        let eligible = target.number != account.number
            && target.owner == account.owner
            && target.status == ArrangementStatus::Active
            && matches!(
                target.kind,
                ArrangementKind::CurrentAccount | ArrangementKind::BundledAccount
            );
        if !eligible {
            return Err(not_eligible(format!(
                "settlement account {} must be another active current or bundled account of the same customer",
                target.number
            )));
        }
        Ok(Some(target))
    }
}

fn not_eligible(reason: String) -> Refusal {
    Refusal::policy("settlement-account-not-eligible", reason)
}

impl Rules for AccountTermination {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        let account = the_account(ctx, &self.account_number, self.account_kind)?;
        if let Some(card) = ctx
            .arrangement_cards
            .iter()
            .find(|c| c.status != crate::domain::card::CardStatus::Terminated)
        {
            return Err(Refusal::conflict(
                "active-card-exists",
                format!(
                    "card {} is {} on account {}: terminate it first",
                    card.id,
                    card.status.as_str(),
                    account.number
                ),
            ));
        }
        if let Some(linked) = ctx
            .linked_to(&self.account_number)
            .find(|a| a.status != ArrangementStatus::Terminated)
        {
            return Err(Refusal::conflict(
                "linked-product-exists",
                format!(
                    "the {} {} draws on account {}: end it first",
                    linked.kind.as_str(),
                    linked.number,
                    account.number
                ),
            ));
        }
        if let Some(standing) = ctx.standing_orders.iter().find(|s| {
            s.terms.debtor == self.account_number && s.status == StandingOrderStatus::Active
        }) {
            return Err(Refusal::conflict(
                "standing-order-exists",
                format!(
                    "standing order {} ({}) pays from account {}: cancel it first",
                    standing.number, standing.nickname, account.number
                ),
            ));
        }
        if account.balance.minor < 0 {
            return Err(Refusal::policy(
                "policy-violation",
                format!(
                    "account {} is overdrawn by {}: settle it first",
                    account.number,
                    shown(crate::domain::account::Money {
                        minor: account.balance.minor.saturating_abs(),
                        ..account.balance
                    })
                ),
            ));
        }
        self.target(ctx, account).map(|_| ())
    }

    fn apply(
        &self,
        t: &mut Transition,
        ctx: &Context<'_>,
        now: DateTime<Utc>,
        _: &Produced,
    ) -> Result<(), Refusal> {
        let account = ctx.account(&self.account_number).ok_or_else(|| {
            Refusal::conflict(
                "account-status-not-eligible",
                format!("account {} no longer exists", self.account_number),
            )
        })?;
        let balance = account.balance.minor;
        let mut legs = vec![];
        // A target closed since the check is an error, not a payout in cash: the system
        // of record paid the target the operation named.
        match self.target(ctx, account)? {
            Some(target) => {
                legs.push(Leg {
                    account,
                    minor: -balance,
                    guard: BalanceGuard::Exactly(balance),
                    counterparty: target.number.to_string(),
                });
                legs.push(Leg {
                    account: target,
                    minor: balance,
                    guard: BalanceGuard::Active,
                    counterparty: account.number.to_string(),
                });
            }
            None => legs.push(Leg {
                account,
                minor: -balance,
                guard: BalanceGuard::Exactly(balance),
                counterparty: "cash".into(),
            }),
        }
        book(t, &legs, self.account_kind_literal(), now)?;
        close(t, account);
        Ok(())
    }

    fn judges_standing_orders(&self) -> bool {
        true
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        let s = &self.settlement;
        fields.push(("account-number", self.account_number.to_string().into()));
        if let Some(reason) = &self.reason {
            fields.push(("termination-reason", reason.clone().into()));
        }
        fields.push(("cash-payout", s.cash_payout.into()));
        if let Some(domestic) = &s.domestic_account {
            fields.push((
                "domestic-currency-settlement-account-number",
                domestic.to_string().into(),
            ));
        }
        if let Some(foreign) = &s.foreign_account {
            fields.push((
                "foreign-currency-settlement-account-number",
                foreign.to_string().into(),
            ));
        }
        fields.push((
            "convert-to-domestic-currency",
            s.convert_to_domestic_currency.to_string().into(),
        ));
        if let Some(swift) = &s.swift_code {
            fields.push(("swift-code", swift.clone().into()));
        }
    }

    fn duplicate_subject(&self) -> String {
        self.account_number.to_string()
    }

    fn account(&self) -> Option<&ArrangementNumber> {
        Some(&self.account_number)
    }

    fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    fn named_accounts(&self) -> Vec<&ArrangementNumber> {
        let s = &self.settlement;
        [&s.domestic_account, &s.foreign_account]
            .into_iter()
            .flatten()
            .collect()
    }
}

impl AccountTermination {
    /// The transaction type its bookings carry.
    fn account_kind_literal(&self) -> &'static str {
        match self.account_kind {
            ArrangementKind::BundledAccount => BUNDLED.literal,
            _ => CURRENT.literal,
        }
    }
}

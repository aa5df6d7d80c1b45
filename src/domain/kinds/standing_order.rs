//! Setting up a standing order (API.md section 9): the debtor account is the customer's
//! own active current or bundled account in the amount's currency, and a creditor at
//! this bank is an active account that takes that currency. The action records the
//! standing order at core banking; from then on its payments are orders of their own
//! ([`super::standing_order_payment`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::the_active_account;
use super::{KindDef, Rules, plan};
use crate::domain::CustomerNumber;
use crate::domain::account::{Account, ArrangementKind, ArrangementStatus};
use crate::domain::execution::{self, Context, Refusal, Transition};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::operation::Produced;
use crate::domain::order::{
    Order, OrderNumber, OrderRequest, OrderStatus, Parties, StepDurations, StepStatus,
};
use crate::domain::standing_order::{PRODUCTS, StandingOrder, StandingOrderStatus, Terms};

/// Recording a standing order at core banking takes a few seconds.
pub(crate) const DEF: KindDef = KindDef {
    literal: "standing-order",
    resource: "standing-orders",
    steps: &plan(("check-standing-order", 1), ("set-up-standing-order", 2)),
    completed_activity: "standing-order-set-up",
};

/// The product whose creditor must be an account of this bank.
const INTERNAL: &str = PRODUCTS[0].0;

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingOrderSetup {
    /// What the customer calls it.
    pub nickname: String,
    /// What it pays, to whom and when.
    pub terms: Terms,
}

/// The debtor account: active, the customer's current or bundled account, in the
/// amount's currency.
pub(super) fn debtor<'a>(ctx: &Context<'a>, terms: &Terms) -> Result<&'a Account, Refusal> {
    let account = the_active_account(ctx, &terms.debtor)?;
    if !matches!(
        account.kind,
        ArrangementKind::CurrentAccount | ArrangementKind::BundledAccount
    ) {
        return Err(Refusal::policy(
            "account-kind-not-eligible",
            format!(
                "account {} is a {}: standing orders pay from current and bundled accounts",
                account.number,
                account.kind.as_str()
            ),
        ));
    }
    if account.balance.currency != terms.amount.currency {
        return Err(Refusal::policy(
            "policy-violation",
            format!(
                "account {} is kept in {}, not in {}",
                account.number,
                account.balance.currency.as_str(),
                terms.amount.currency.as_str()
            ),
        ));
    }
    Ok(account)
}

/// The creditor account if it is this bank's: active and in the amount's currency. An
/// account elsewhere is `None`, allowed unless the product is internal.
pub(super) fn creditor<'a>(
    ctx: &Context<'a>,
    terms: &Terms,
) -> Result<Option<&'a Account>, Refusal> {
    let number = &terms.creditor_account;
    match ctx.account(number) {
        None if terms.product_code == INTERNAL => Err(Refusal::policy(
            "policy-violation",
            format!("{INTERNAL} pays accounts of this bank only; {number} is not one"),
        )),
        None => Ok(None),
        Some(account) if account.status != ArrangementStatus::Active => Err(Refusal::conflict(
            "account-status-not-eligible",
            format!("creditor account {number} is {}", account.status.as_str()),
        )),
        Some(account) if account.balance.currency != terms.amount.currency => Err(Refusal::policy(
            "policy-violation",
            format!(
                "creditor account {number} is kept in {}, not in {}",
                account.balance.currency.as_str(),
                terms.amount.currency.as_str()
            ),
        )),
        Some(account) => Ok(Some(account)),
    }
}

impl Rules for StandingOrderSetup {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        debtor(ctx, &self.terms)?;
        creditor(ctx, &self.terms).map(|_| ())
    }

    fn apply(
        &self,
        t: &mut Transition,
        _: &Context<'_>,
        _: DateTime<Utc>,
        _: &Produced,
    ) -> Result<(), Refusal> {
        t.standing_orders.push(StandingOrder {
            number: t.order.number,
            owner: t.order.owner.clone(),
            nickname: self.nickname.clone(),
            terms: self.terms.clone(),
            sequence: 0,
            skip_next: false,
            status: StandingOrderStatus::Active,
        });
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        let terms = &self.terms;
        fields.push(("nickname", self.nickname.clone().into()));
        fields.push(("product-code", terms.product_code.clone().into()));
        fields.push(("transfer-details", transfer_details(terms)));
        fields.push(("start-date", terms.start_date.to_string().into()));
        fields.push(("end-date", terms.end_date.to_string().into()));
        fields.push((
            "frequency",
            serde_json::json!({
                "period": terms.frequency.period,
                "unit-of-time": terms.frequency.unit.as_str(),
            }),
        ));
        fields.push((
            "first-payment-date",
            terms.first_payment_date.to_string().into(),
        ));
    }

    fn duplicate_subject(&self) -> String {
        let t = &self.terms;
        format!(
            "{}:{}:{}:{}",
            t.debtor, t.creditor_account, t.amount.minor, t.first_payment_date
        )
    }

    fn account(&self) -> Option<&ArrangementNumber> {
        Some(&self.terms.debtor)
    }

    fn payee(&self) -> Option<&ArrangementNumber> {
        Some(&self.terms.creditor_account)
    }
}

/// The `transfer-details` of an operation's body, as the order's view names them.
pub(super) fn transfer_details(terms: &Terms) -> serde_json::Value {
    serde_json::json!({
        "debtor-account-number": terms.debtor.as_str(),
        "creditor-name": terms.creditor_name,
        "creditor-account-number": terms.creditor_account.as_str(),
        "amount": {
            "currency-code": terms.amount.currency.as_str(),
            "amount": terms.amount.amount().to_string(),
        },
        "reference": terms.reference,
    })
}

/// A standing order recorded as set up before bankapi took over (the demo's, a migration
/// from the bank's old system, a test's): the completed order that set it up, numbered
/// `number`, and the standing order itself, from its first date.
pub fn set_up_before(
    number: OrderNumber,
    owner: CustomerNumber,
    setup: StandingOrderSetup,
    description: Option<String>,
    now: DateTime<Utc>,
) -> (Order, StandingOrder) {
    let standing = StandingOrder {
        number,
        owner: owner.clone(),
        nickname: setup.nickname.clone(),
        terms: setup.terms.clone(),
        sequence: 0,
        skip_next: false,
        status: StandingOrderStatus::Active,
    };
    let parties = Parties {
        owner: owner.clone(),
        holder: owner,
        arrangement_number: setup.terms.debtor.clone(),
    };
    let request = OrderRequest::StandingOrder(setup);
    let mut order = execution::start(
        Order::proposed(request, description, parties, now, now),
        now,
        &StepDurations::zero(),
    );
    order.number = number;
    for step in &mut order.steps {
        step.status = StepStatus::Done;
        step.started_at = Some(now);
        step.finished_at = Some(now);
    }
    order.current_step = order.steps.len();
    order.status = OrderStatus::ExternalProcessingSucceeded;
    order.next_run_at = None;
    (order, standing)
}

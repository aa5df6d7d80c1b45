//! The fields of the account orders' views (API.md section 9), beside the fields every
//! order shares ([`super::model::OrderView`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{Facts, KindFields};
use crate::domain::kinds::{AccountTermination, EarlyRedemption};
use crate::domain::order::{Order, OrderRequest, OrderStatus};
use crate::domain::product;
use crate::http::limits::{MAX_NAME, clipped};

/// The fields of a current or bundled account termination.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AccountTerminationFields {
    /// The account being closed.
    #[schema(example = "0064200002022")]
    pub account_number: String,
    /// The account's kind (`current-account`, `bundled-account`).
    #[schema(example = "current-account")]
    pub kind: String,
    /// Whose account it is.
    #[schema(example = "1400269")]
    pub customer_number: String,
    /// Their full name.
    pub customer_name: Option<String>,
    /// The account's product.
    #[schema(example = "current-standard")]
    pub product_code: Option<String>,
    /// The product's name.
    #[schema(example = "Current account")]
    pub product_name: Option<String>,
    /// Whether the balance is paid out in cash.
    pub cash_payout: bool,
    /// An `account-termination-reason` literal; `null` when none was given.
    #[schema(example = "no-longer-needed")]
    pub termination_reason: Option<String>,
    /// The account that takes a balance in the domestic currency.
    pub domestic_currency_settlement_account_number: Option<String>,
    /// The account that takes a balance in a foreign currency.
    pub foreign_currency_settlement_account_number: Option<String>,
    /// Whether a foreign balance was to be converted.
    pub convert_to_domestic_currency: bool,
    /// The settlement bank's BIC.
    pub swift_code: Option<String>,
    /// Until when the order waits for the customer's confirmation (and is executed).
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub expiration_date: DateTime<Utc>,
}

impl KindFields for AccountTerminationFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let (OrderRequest::CurrentAccountTermination(t)
        | OrderRequest::BundledAccountTermination(t)) = &order.request
        else {
            return None;
        };
        let AccountTermination {
            account_number,
            account_kind,
            reason,
            settlement,
        } = t;
        Some(Self {
            account_number: account_number.to_string(),
            kind: account_kind.as_str().to_owned(),
            customer_number: order.owner.to_string(),
            customer_name: facts.owner_name.clone().map(|n| clipped(n, MAX_NAME)),
            product_code: facts.product_code.clone(),
            product_name: facts.product_name.clone().map(|n| clipped(n, MAX_NAME)),
            cash_payout: settlement.cash_payout,
            termination_reason: reason.clone(),
            domestic_currency_settlement_account_number: settlement
                .domestic_account
                .as_ref()
                .map(ToString::to_string),
            foreign_currency_settlement_account_number: settlement
                .foreign_account
                .as_ref()
                .map(ToString::to_string),
            convert_to_domestic_currency: settlement.convert_to_domestic_currency,
            swift_code: settlement.swift_code.clone(),
            expiration_date: order.deadline,
        })
    }
}

/// The fields of a credit facility's or a loan's early redemption.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RedemptionFields {
    /// The credit facility or loan.
    #[schema(example = "0064200002063")]
    pub account_number: String,
    /// The account's kind (`credit-facility`, `loan`).
    #[schema(example = "credit-facility")]
    pub kind: String,
    /// Whose account it is.
    #[schema(example = "1400269")]
    pub customer_number: String,
    /// Their full name.
    pub customer_name: Option<String>,
    /// The account's product.
    #[schema(example = "overdraft-facility")]
    pub product_code: Option<String>,
    /// The product's name.
    pub product_name: Option<String>,
    /// A `redemption-reason` literal; `null` when none was given.
    #[schema(example = "own-funds")]
    pub redemption_reason: Option<String>,
    /// The customer's words for the bank.
    pub additional_info: Option<String>,
    /// Until when the order waits for the customer's confirmation (and is executed).
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub expiration_date: DateTime<Utc>,
}

impl KindFields for RedemptionFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let (OrderRequest::CreditFacilityTermination(r) | OrderRequest::LoanTermination(r)) =
            &order.request
        else {
            return None;
        };
        let EarlyRedemption {
            account_number,
            account_kind,
            reason,
            additional_info,
        } = r;
        Some(Self {
            account_number: account_number.to_string(),
            kind: account_kind.as_str().to_owned(),
            customer_number: order.owner.to_string(),
            customer_name: facts.owner_name.clone().map(|n| clipped(n, MAX_NAME)),
            product_code: facts.product_code.clone(),
            product_name: facts.product_name.clone().map(|n| clipped(n, MAX_NAME)),
            redemption_reason: reason.clone(),
            additional_info: additional_info.clone(),
            expiration_date: order.deadline,
        })
    }
}

/// One mandate of an assignment, as its view shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct MandateItemView {
    /// The initiator's account.
    #[schema(example = "0064200002022")]
    pub arrangement_number: String,
    /// What the holder calls it.
    pub nickname: Option<String>,
    /// Who may act on it.
    #[schema(example = "1400054")]
    pub customer_number: String,
}

/// The fields of a mandate assignment.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct MandateAssignmentFields {
    /// Who grants the mandates.
    #[schema(example = "1400269")]
    pub initiator_customer_number: String,
    /// Their full name.
    pub initiator_customer_name: Option<String>,
    /// The mandates asked for; once the order is complete, each is found under
    /// `GET /mandates` with the number `M` + the order's ten digits + `-` + its position.
    #[schema(max_items = 20)]
    pub items: Vec<MandateItemView>,
}

impl KindFields for MandateAssignmentFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let OrderRequest::MandateAssignment(a) = &order.request else {
            return None;
        };
        Some(Self {
            initiator_customer_number: a.initiator.to_string(),
            initiator_customer_name: facts.owner_name.clone().map(|n| clipped(n, MAX_NAME)),
            items: a
                .grants
                .iter()
                .map(|g| MandateItemView {
                    arrangement_number: g.arrangement_number.to_string(),
                    nickname: g.nickname.clone(),
                    customer_number: g.customer_number.to_string(),
                })
                .collect(),
        })
    }
}

/// The fields of a mandate revocation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct MandateRevocationFields {
    /// The mandate ended.
    #[schema(example = "M0000000301")]
    pub mandate_number: String,
    /// The account it was on.
    #[schema(example = "0064200002014")]
    pub arrangement_number: String,
    /// Who gave it.
    #[schema(example = "1400269")]
    pub grantor_customer_number: String,
    /// Who held it.
    #[schema(example = "1400054")]
    pub holder_customer_number: String,
}

impl KindFields for MandateRevocationFields {
    fn of(order: &Order, _: &Facts) -> Option<Self> {
        let OrderRequest::MandateRevocation(r) = &order.request else {
            return None;
        };
        Some(Self {
            mandate_number: r.mandate_number.to_string(),
            arrangement_number: order.arrangement_number.to_string(),
            grantor_customer_number: order.owner.to_string(),
            holder_customer_number: order.holder.to_string(),
        })
    }
}

/// The fields of an arrangement amendment.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AmendmentFields {
    /// The account.
    #[schema(example = "0064200002022")]
    pub arrangement_number: String,
    /// Its product when the order was accepted.
    #[schema(example = "current-standard")]
    pub previous_product_code: Option<String>,
    /// That product's name.
    #[schema(example = "Current account")]
    pub previous_product_name: Option<String>,
    /// The product it moves to.
    #[schema(example = "current-plus")]
    pub new_product_code: String,
    /// The new product's name.
    #[schema(example = "Current account plus")]
    pub product_name: Option<String>,
    /// The campaign the customer answered.
    pub campaign_code: Option<String>,
    /// The day the new product took effect; `null` until the order is complete.
    #[schema(example = "2026-12-03", format = Date)]
    pub effective_date: Option<String>,
}

impl KindFields for AmendmentFields {
    fn of(order: &Order, _: &Facts) -> Option<Self> {
        let OrderRequest::ArrangementAmendment(a) = &order.request else {
            return None;
        };
        let name = |code: &str| product::by_code(code).map(|p| p.name.to_owned());
        Some(Self {
            arrangement_number: a.arrangement_number.to_string(),
            previous_product_code: a.previous_product_code.clone(),
            previous_product_name: a.previous_product_code.as_deref().and_then(name),
            new_product_code: a.new_product_code.clone(),
            product_name: name(&a.new_product_code),
            campaign_code: a.campaign_code.clone(),
            effective_date: (order.status == OrderStatus::ExternalProcessingSucceeded)
                .then(|| order.status_date.date_naive().to_string()),
        })
    }
}

/// The fields of a deposit's early termination.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DepositTerminationFields {
    /// The deposit.
    #[schema(example = "0064200002048")]
    pub account_number: String,
    /// Whose it is.
    #[schema(example = "1400269")]
    pub customer_number: String,
    /// Their full name.
    pub customer_name: Option<String>,
    /// The deposit's product.
    #[schema(example = "deposit-12-months")]
    pub product_code: Option<String>,
    /// The product's name.
    pub product_name: Option<String>,
    /// Until when the order waits for the customer's confirmation (and is executed).
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub expiration_date: DateTime<Utc>,
}

impl KindFields for DepositTerminationFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let OrderRequest::DepositAccountTermination(d) = &order.request else {
            return None;
        };
        Some(Self {
            account_number: d.account_number.to_string(),
            customer_number: order.owner.to_string(),
            customer_name: facts.owner_name.clone().map(|n| clipped(n, MAX_NAME)),
            product_code: facts.product_code.clone(),
            product_name: facts.product_name.clone().map(|n| clipped(n, MAX_NAME)),
            expiration_date: order.deadline,
        })
    }
}

/// The fields of a deposit's interest payout.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DepositPayoutFields {
    /// The deposit.
    #[schema(example = "0064200002048")]
    pub account: String,
    /// The currency paid in.
    #[schema(example = "RSD", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// Whose it is.
    #[schema(example = "1400269")]
    pub customer_number: String,
    /// Their full name.
    pub customer_name: Option<String>,
    /// The deposit's product.
    #[schema(example = "deposit-12-months")]
    pub product_code: Option<String>,
    /// The product's name.
    pub product_name: Option<String>,
}

impl KindFields for DepositPayoutFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let OrderRequest::DepositPayout(p) = &order.request else {
            return None;
        };
        Some(Self {
            account: p.account_number.to_string(),
            currency: p.currency.clone(),
            customer_number: order.owner.to_string(),
            customer_name: facts.owner_name.clone().map(|n| clipped(n, MAX_NAME)),
            product_code: facts.product_code.clone(),
            product_name: facts.product_name.clone().map(|n| clipped(n, MAX_NAME)),
        })
    }
}

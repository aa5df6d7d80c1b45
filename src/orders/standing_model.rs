//! The views of standing orders (API.md section 9): the order that sets one up, which
//! also shows the standing order as it now stands once set up, and each payment.

use serde::Serialize;
use utoipa::ToSchema;

use super::model::{Facts, KindFields};
use crate::domain::order::{Order, OrderRequest};
use crate::domain::standing_order::{StandingOrder, Terms};
use crate::http::limits::{MAX_NAME, clipped};

/// An amount in a currency, as the reference writes money.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AmountView {
    /// The ISO 4217 code.
    #[schema(example = "RSD", pattern = "^[A-Z]{3}$")]
    pub currency_code: String,
    /// The amount as a decimal string with exactly the currency's minor digits.
    #[schema(
        example = "1250.00",
        pattern = "^-?[0-9]+(\\.[0-9]+)?$",
        max_length = 24
    )]
    pub amount: String,
}

/// Who pays whom, and how much.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct TransferDetailsView {
    /// The account the money leaves.
    #[schema(example = "0064200002014")]
    pub debtor_account_number: String,
    /// Who receives it.
    #[schema(example = "Marko Jovanovic")]
    pub creditor_name: String,
    /// The account it goes to.
    #[schema(example = "0064200002030")]
    pub creditor_account_number: String,
    /// Each payment.
    pub amount: AmountView,
    /// Shown to the creditor; `null` when none was given.
    pub reference: Option<String>,
}

impl TransferDetailsView {
    fn of(terms: &Terms) -> Self {
        Self {
            debtor_account_number: terms.debtor.to_string(),
            creditor_name: clipped(terms.creditor_name.clone(), MAX_NAME),
            creditor_account_number: terms.creditor_account.to_string(),
            amount: AmountView {
                currency_code: terms.amount.currency.as_str().to_owned(),
                amount: terms.amount.amount().to_string(),
            },
            reference: terms.reference.clone(),
        }
    }
}

/// How often it pays.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct FrequencyView {
    /// Units between two payments.
    #[schema(example = 1, minimum = 1, maximum = 366)]
    pub period: u32,
    /// A `unit-of-time` literal.
    #[schema(example = "months")]
    pub unit_of_time: String,
}

/// The fields of a standing order's set-up order, and of the standing order once set up.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct StandingOrderFields {
    /// What the customer calls it (renamed by `POST .../{order-number}/nickname`).
    #[schema(example = "Rent")]
    pub nickname: String,
    /// A standing-order product of the `product-code` classification.
    #[schema(example = "standing-order-internal")]
    pub product_code: String,
    /// Who pays whom, and how much.
    pub transfer_details: TransferDetailsView,
    /// The first day it is in force.
    #[schema(value_type = String, format = Date)]
    pub start_date: chrono::NaiveDate,
    /// The last day it may pay on.
    #[schema(value_type = String, format = Date)]
    pub end_date: chrono::NaiveDate,
    /// How often.
    pub frequency: FrequencyView,
    /// The first date it pays on; later dates are counted from it.
    #[schema(value_type = String, format = Date)]
    pub first_payment_date: chrono::NaiveDate,
    /// Whose it is.
    #[schema(example = "1400269")]
    pub customer_number: String,
    /// Their full name.
    pub customer_name: Option<String>,
    /// `active`, `ended` (no date left, or ended by the bank) or `canceled` (by the
    /// customer); `null` until the order has set it up.
    #[schema(example = "active")]
    pub standing_order_status: Option<String>,
    /// The next date it pays on; `null` when none is left or it is not set up yet.
    #[schema(value_type = Option<String>, format = Date)]
    pub next_payment_date: Option<chrono::NaiveDate>,
    /// Whether that next payment is skipped (`POST .../{order-number}/skip`).
    pub next_payment_skipped: bool,
    /// How many dates of its schedule are behind it, paid or skipped.
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    pub dates_passed: u32,
}

impl KindFields for StandingOrderFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let OrderRequest::StandingOrder(setup) = &order.request else {
            return None;
        };
        let live: Option<&StandingOrder> = facts.standing_order.as_ref();
        let terms = &setup.terms;
        Some(Self {
            nickname: live.map_or_else(|| setup.nickname.clone(), |s| s.nickname.clone()),
            product_code: terms.product_code.clone(),
            transfer_details: TransferDetailsView::of(terms),
            start_date: terms.start_date,
            end_date: terms.end_date,
            frequency: FrequencyView {
                period: terms.frequency.period,
                unit_of_time: terms.frequency.unit.as_str().to_owned(),
            },
            first_payment_date: terms.first_payment_date,
            customer_number: order.owner.to_string(),
            customer_name: facts.owner_name.clone().map(|n| clipped(n, MAX_NAME)),
            standing_order_status: live.map(|s| s.status.as_str().to_owned()),
            next_payment_date: live.and_then(StandingOrder::next_date),
            next_payment_skipped: live.is_some_and(|s| s.skip_next),
            dates_passed: live.map_or(0, |s| s.sequence),
        })
    }
}

/// The fields of one payment of a standing order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct StandingOrderPaymentFields {
    /// The standing order (the number of the order that set it up).
    #[schema(example = "WI0000492480")]
    pub standing_order_number: String,
    /// The date of its schedule this payment is for.
    #[schema(value_type = String, format = Date)]
    pub payment_date: chrono::NaiveDate,
    /// Who pays whom, and how much.
    pub transfer_details: TransferDetailsView,
    /// Whose it is.
    #[schema(example = "1400269")]
    pub customer_number: String,
    /// Their full name.
    pub customer_name: Option<String>,
}

impl KindFields for StandingOrderPaymentFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let OrderRequest::StandingOrderPayment(payment) = &order.request else {
            return None;
        };
        Some(Self {
            standing_order_number: payment.due.standing_order.to_string(),
            payment_date: payment.due.date,
            transfer_details: TransferDetailsView::of(&payment.terms),
            customer_number: order.owner.to_string(),
            customer_name: facts.owner_name.clone().map(|n| clipped(n, MAX_NAME)),
        })
    }
}

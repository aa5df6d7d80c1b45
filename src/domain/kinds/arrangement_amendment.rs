//! Changing an account's product (API.md section 9): the arrangement moves to another
//! product of its own kind, effective the day core banking applies it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::the_active_account;
use super::{KindDef, Rules, plan};
use crate::domain::account::{AccountChange, ArrangementKind};
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::operation::Produced;
use crate::domain::product;

/// Core banking moves an account to another product in a few seconds.
pub(crate) const DEF: KindDef = KindDef {
    literal: "arrangement-amendment",
    resource: "arrangement-amendments",
    steps: &plan(("check-product", 1), ("change-product", 2)),
    completed_activity: "product-changed",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrangementAmendment {
    /// The account.
    pub arrangement_number: ArrangementNumber,
    /// The product it moves to (a `product-code` literal).
    pub new_product_code: String,
    /// The campaign the customer answered, if any.
    pub campaign_code: Option<String>,
    /// The product it was on when the order was accepted, for the order's view.
    pub previous_product_code: Option<String>,
}

impl Rules for ArrangementAmendment {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        let account = the_active_account(ctx, &self.arrangement_number)?;
        let not_eligible = |why: String| Refusal::policy("product-not-eligible", why);
        if account.kind == ArrangementKind::CardAccount {
            return Err(not_eligible(format!(
                "account {} is a card account, whose product is its cards' brand: replace the cards instead",
                account.number
            )));
        }
        let wanted = product::by_code(&self.new_product_code).ok_or_else(|| {
            not_eligible(format!(
                "product {} is no longer sold",
                self.new_product_code
            ))
        })?;
        if wanted.kind != account.kind {
            return Err(not_eligible(format!(
                "product {} is a {}, account {} a {}",
                wanted.code,
                wanted.kind.as_str(),
                account.number,
                account.kind.as_str()
            )));
        }
        if account.product_code == wanted.code {
            return Err(Refusal::conflict(
                "product-already-active",
                format!("account {} is already on {}", account.number, wanted.code),
            ));
        }
        Ok(())
    }

    fn apply(
        &self,
        t: &mut Transition,
        _: &Context<'_>,
        _: DateTime<Utc>,
        _: &Produced,
    ) -> Result<(), Refusal> {
        let wanted = product::by_code(&self.new_product_code).ok_or_else(|| {
            Refusal::policy(
                "policy-violation",
                format!("product {} is not offered", self.new_product_code),
            )
        })?;
        t.account_changes.push(AccountChange {
            account: self.arrangement_number.clone(),
            status: None,
            product: Some((wanted.code.to_owned(), wanted.name.to_owned())),
            interest_from: None,
        });
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push(("new-product-code", self.new_product_code.clone().into()));
        if let Some(campaign) = &self.campaign_code {
            fields.push(("campaign-code", campaign.clone().into()));
        }
    }

    fn duplicate_subject(&self) -> String {
        self.arrangement_number.to_string()
    }

    fn account(&self) -> Option<&ArrangementNumber> {
        Some(&self.arrangement_number)
    }
}

//! The kinds of order and what a customer asks for in each: the `order-type` list, each
//! kind's declaration (in its own file under `domain::kinds`), and the request.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::StepDef;
use crate::domain::identifier::CardId;
use crate::domain::invalid::{ErrorLiteral, FieldError};
use crate::domain::kinds::{self, KindDef, Rules};

/// The kinds of order: six card orders and the account orders of API.md section 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OrderKind {
    /// A card for an authorized customer on someone else's arrangement.
    AdditionalCardIssuance,
    /// `inactive` -> `active`.
    CardActivation,
    /// `active`/`inactive` -> `suspended`.
    CardBlockade,
    /// `suspended` -> `active`, unless lost or stolen.
    CardDeblockade,
    /// Anything -> `terminated`.
    CardTermination,
    /// A new card for the same holder.
    CardReplacement,
    /// Closing a current account, its balance settled; waits for confirmation.
    CurrentAccountTermination,
    /// Closing a bundled (package) account, as a current account.
    BundledAccountTermination,
    /// Early redemption of a credit facility from its linked current account.
    CreditFacilityTermination,
    /// Early redemption of a loan from its linked current account.
    LoanTermination,
    /// Mandates granted on the initiator's accounts.
    MandateAssignment,
    /// A mandate ended.
    MandateRevocation,
    /// An account moved to another product of its kind.
    ArrangementAmendment,
    /// A deposit ended early and paid out to its current account; waits for confirmation.
    DepositAccountTermination,
    /// A deposit's interest paid out to its current account.
    DepositPayout,
    /// A standing order set up: from then on it pays on its dates.
    StandingOrder,
    /// One payment of a standing order, made by the engine on its date.
    StandingOrderPayment,
}

impl OrderKind {
    /// Every kind.
    pub const ALL: [OrderKind; 17] = [
        Self::AdditionalCardIssuance,
        Self::CardActivation,
        Self::CardBlockade,
        Self::CardDeblockade,
        Self::CardTermination,
        Self::CardReplacement,
        Self::CurrentAccountTermination,
        Self::BundledAccountTermination,
        Self::CreditFacilityTermination,
        Self::LoanTermination,
        Self::MandateAssignment,
        Self::MandateRevocation,
        Self::ArrangementAmendment,
        Self::DepositAccountTermination,
        Self::DepositPayout,
        Self::StandingOrder,
        Self::StandingOrderPayment,
    ];

    /// What the kind declares of itself, in its own file under `domain::kinds`.
    pub fn def(self) -> &'static KindDef {
        match self {
            Self::AdditionalCardIssuance => &kinds::additional_card_issuance::DEF,
            Self::CardActivation => &kinds::card_activation::DEF,
            Self::CardBlockade => &kinds::card_blockade::DEF,
            Self::CardDeblockade => &kinds::card_deblockade::DEF,
            Self::CardTermination => &kinds::card_termination::DEF,
            Self::CardReplacement => &kinds::card_replacement::DEF,
            Self::CurrentAccountTermination => &kinds::account_termination::CURRENT,
            Self::BundledAccountTermination => &kinds::account_termination::BUNDLED,
            Self::CreditFacilityTermination => &kinds::early_redemption::CREDIT_FACILITY,
            Self::LoanTermination => &kinds::early_redemption::LOAN,
            Self::MandateAssignment => &kinds::mandate_assignment::DEF,
            Self::MandateRevocation => &kinds::mandate_revocation::DEF,
            Self::ArrangementAmendment => &kinds::arrangement_amendment::DEF,
            Self::DepositAccountTermination => &kinds::deposit_termination::DEF,
            Self::DepositPayout => &kinds::deposit_payout::DEF,
            Self::StandingOrder => &kinds::standing_order::DEF,
            Self::StandingOrderPayment => &kinds::standing_order_payment::DEF,
        }
    }

    /// The `order-type` literal.
    pub fn as_str(self) -> &'static str {
        self.def().literal
    }

    /// The collection resource (`/customer-order/{resource}`).
    pub fn resource(self) -> &'static str {
        self.def().resource
    }

    /// Where an order of the kind is read by its number: its own collection, or the
    /// newer generation's `/orders` for a kind that has none (a standing order's
    /// payments, which the engine makes and no client posts).
    pub fn link_resource(self) -> &'static str {
        match self {
            Self::StandingOrderPayment => "orders",
            _ => self.resource(),
        }
    }

    /// Reads a stored literal.
    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Reads a kind given as a filter: the literal or the resource name.
    pub fn parse(tag: &str, raw: &str) -> Result<Self, FieldError> {
        let wanted = raw.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted || k.resource() == wanted)
            .ok_or_else(|| {
                FieldError::new(
                    tag,
                    ErrorLiteral::UnknownEnum,
                    format!(
                        "{tag} must be one of {}, got {raw:?}",
                        Self::ALL.map(Self::as_str).join(", ")
                    ),
                )
            })
    }

    /// The kind's steps, in order.
    pub fn steps(self) -> &'static [StepDef] {
        self.def().steps
    }
}

/// What the customer asked for, per kind; reasons are checked literals. Each variant's
/// request lives in its kind's file under `domain::kinds`, with its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OrderRequest {
    /// An additional card.
    AdditionalCardIssuance(kinds::AdditionalCardIssuance),
    /// Activate a card.
    CardActivation(kinds::CardActivation),
    /// Block a card.
    CardBlockade(kinds::CardBlockade),
    /// Unblock a card.
    CardDeblockade(kinds::CardDeblockade),
    /// Terminate a card.
    CardTermination(kinds::CardTermination),
    /// Replace a card.
    CardReplacement(kinds::CardReplacement),
    /// Close a current account.
    CurrentAccountTermination(kinds::AccountTermination),
    /// Close a bundled account.
    BundledAccountTermination(kinds::AccountTermination),
    /// Redeem a credit facility early.
    CreditFacilityTermination(kinds::EarlyRedemption),
    /// Redeem a loan early.
    LoanTermination(kinds::EarlyRedemption),
    /// Grant mandates.
    MandateAssignment(kinds::MandateAssignment),
    /// Revoke a mandate.
    MandateRevocation(kinds::MandateRevocation),
    /// Change an account's product.
    ArrangementAmendment(kinds::ArrangementAmendment),
    /// End a deposit early.
    DepositAccountTermination(kinds::DepositTermination),
    /// Pay out a deposit's interest.
    DepositPayout(kinds::DepositPayout),
    /// Set up a standing order.
    StandingOrder(kinds::StandingOrderSetup),
    /// Make one payment of a standing order.
    StandingOrderPayment(kinds::StandingOrderPayment),
}

impl OrderRequest {
    /// The kind this request is of.
    pub fn kind(&self) -> OrderKind {
        match self {
            Self::AdditionalCardIssuance(_) => OrderKind::AdditionalCardIssuance,
            Self::CardActivation(_) => OrderKind::CardActivation,
            Self::CardBlockade(_) => OrderKind::CardBlockade,
            Self::CardDeblockade(_) => OrderKind::CardDeblockade,
            Self::CardTermination(_) => OrderKind::CardTermination,
            Self::CardReplacement(_) => OrderKind::CardReplacement,
            Self::CurrentAccountTermination(_) => OrderKind::CurrentAccountTermination,
            Self::BundledAccountTermination(_) => OrderKind::BundledAccountTermination,
            Self::CreditFacilityTermination(_) => OrderKind::CreditFacilityTermination,
            Self::LoanTermination(_) => OrderKind::LoanTermination,
            Self::MandateAssignment(_) => OrderKind::MandateAssignment,
            Self::MandateRevocation(_) => OrderKind::MandateRevocation,
            Self::ArrangementAmendment(_) => OrderKind::ArrangementAmendment,
            Self::DepositAccountTermination(_) => OrderKind::DepositAccountTermination,
            Self::DepositPayout(_) => OrderKind::DepositPayout,
            Self::StandingOrder(_) => OrderKind::StandingOrder,
            Self::StandingOrderPayment(_) => OrderKind::StandingOrderPayment,
        }
    }

    /// The kind's rules, which the engine applies without knowing the kind.
    pub fn rules(&self) -> &dyn Rules {
        match self {
            Self::AdditionalCardIssuance(r) => r,
            Self::CardActivation(r) => r,
            Self::CardBlockade(r) => r,
            Self::CardDeblockade(r) => r,
            Self::CardTermination(r) => r,
            Self::CardReplacement(r) => r,
            Self::CurrentAccountTermination(r) | Self::BundledAccountTermination(r) => r,
            Self::CreditFacilityTermination(r) | Self::LoanTermination(r) => r,
            Self::MandateAssignment(r) => r,
            Self::MandateRevocation(r) => r,
            Self::ArrangementAmendment(r) => r,
            Self::DepositAccountTermination(r) => r,
            Self::DepositPayout(r) => r,
            Self::StandingOrder(r) => r,
            Self::StandingOrderPayment(r) => r,
        }
    }

    /// The card the order is about, if it is about one.
    pub fn card_id(&self) -> Option<&CardId> {
        self.rules().card_id()
    }

    /// The reason given, if any.
    pub fn reason(&self) -> Option<&str> {
        self.rules().reason()
    }
}

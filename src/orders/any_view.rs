//! An order of any kind in its kind's view: what `GET /orders/{order-number}` answers and
//! an `order.status-changed` webhook carries.

use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};

use super::account_model::{
    AccountTerminationFields, AmendmentFields, DepositPayoutFields, DepositTerminationFields,
    MandateAssignmentFields, MandateRevocationFields, RedemptionFields,
};
use super::lookup::Lookup;
use super::model::{
    BlockadeFields, CardFields, IssuanceFields, OrderView, ReplacementFields, TerminationFields,
};
use super::standing_model::{StandingOrderFields, StandingOrderPaymentFields};
use crate::domain::order::{Order, OrderKind};
use crate::http::ApiError;

/// An order of any kind, in its kind's view.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum AnyOrderView {
    /// An additional card issuance.
    Issuance(OrderView<IssuanceFields>),
    /// A card activation or deblockade.
    Card(OrderView<CardFields>),
    /// A card blockade.
    Blockade(OrderView<BlockadeFields>),
    /// A card termination.
    Termination(OrderView<TerminationFields>),
    /// A card replacement.
    Replacement(OrderView<ReplacementFields>),
    /// A current or bundled account termination.
    AccountTermination(OrderView<AccountTerminationFields>),
    /// A credit facility's or a loan's early redemption.
    Redemption(OrderView<RedemptionFields>),
    /// A mandate assignment.
    MandateAssignment(OrderView<MandateAssignmentFields>),
    /// A mandate revocation.
    MandateRevocation(OrderView<MandateRevocationFields>),
    /// An arrangement amendment.
    Amendment(OrderView<AmendmentFields>),
    /// A deposit's early termination.
    DepositTermination(OrderView<DepositTerminationFields>),
    /// A deposit's interest payout.
    DepositPayout(OrderView<DepositPayoutFields>),
    /// A standing order's set-up, and the standing order as it stands.
    StandingOrder(OrderView<StandingOrderFields>),
    /// One payment of a standing order.
    StandingOrderPayment(OrderView<StandingOrderPaymentFields>),
}

/// The views an [`AnyOrderView`] can be, by their schemas' names (each registered by its
/// kind's own resources).
const VIEW_SCHEMAS: [&str; 14] = [
    "OrderView_IssuanceFields",
    "OrderView_CardFields",
    "OrderView_BlockadeFields",
    "OrderView_TerminationFields",
    "OrderView_ReplacementFields",
    "OrderView_AccountTerminationFields",
    "OrderView_RedemptionFields",
    "OrderView_MandateAssignmentFields",
    "OrderView_MandateRevocationFields",
    "OrderView_AmendmentFields",
    "OrderView_DepositTerminationFields",
    "OrderView_DepositPayoutFields",
    "OrderView_StandingOrderFields",
    "OrderView_StandingOrderPaymentFields",
];

/// Written by hand because the derive makes an untagged enum a `oneOf`, which requires
/// an answer to match exactly one view: the views share most members and allow more, so a
/// card activation also matches the blockade's view. `anyOf` says what is true: the
/// answer is one of these views, and its members tell which.
impl utoipa::PartialSchema for AnyOrderView {
    fn schema() -> RefOr<Schema> {
        VIEW_SCHEMAS
            .into_iter()
            .fold(AnyOfBuilder::new(), |any, name| {
                any.item(Ref::from_schema_name(name))
            })
            .description(Some("An order of any kind, in its kind's view"))
            .into()
    }
}

impl ToSchema for AnyOrderView {}

impl AnyOrderView {
    /// `order` in its kind's view.
    pub async fn of(lookup: &mut Lookup<'_>, order: &Order) -> Result<Self, ApiError> {
        Ok(match order.kind() {
            OrderKind::AdditionalCardIssuance => Self::Issuance(lookup.view(order).await?),
            OrderKind::CardActivation | OrderKind::CardDeblockade => {
                Self::Card(lookup.view(order).await?)
            }
            OrderKind::CardBlockade => Self::Blockade(lookup.view(order).await?),
            OrderKind::CardTermination => Self::Termination(lookup.view(order).await?),
            OrderKind::CardReplacement => Self::Replacement(lookup.view(order).await?),
            OrderKind::CurrentAccountTermination | OrderKind::BundledAccountTermination => {
                Self::AccountTermination(lookup.view(order).await?)
            }
            OrderKind::CreditFacilityTermination | OrderKind::LoanTermination => {
                Self::Redemption(lookup.view(order).await?)
            }
            OrderKind::MandateAssignment => Self::MandateAssignment(lookup.view(order).await?),
            OrderKind::MandateRevocation => Self::MandateRevocation(lookup.view(order).await?),
            OrderKind::ArrangementAmendment => Self::Amendment(lookup.view(order).await?),
            OrderKind::DepositAccountTermination => {
                Self::DepositTermination(lookup.view(order).await?)
            }
            OrderKind::DepositPayout => Self::DepositPayout(lookup.view(order).await?),
            OrderKind::StandingOrder => Self::StandingOrder(lookup.view(order).await?),
            OrderKind::StandingOrderPayment => {
                Self::StandingOrderPayment(lookup.view(order).await?)
            }
        })
    }
}

//! Where an order stands: the `workitem-processing-status` list, as the customer sees it,
//! and which statuses are final or still cancelable.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an order stands (the `workitem-processing-status` classification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OrderStatus {
    /// Accepted, waiting to be checked.
    Proposed,
    /// Checked, queued for execution.
    Approved,
    /// Checked, waiting for the customer's `confirm` until its deadline.
    AwaitingConfirmation,
    /// Being executed.
    ExternalProcessingInProgress,
    /// Executed.
    ExternalProcessingSucceeded,
    /// Canceled before execution.
    Canceled,
    /// Refused by a business rule, changing nothing.
    Rejected,
    /// Not executed before its deadline.
    Expired,
    /// Set aside for a person to decide: the system of record kept failing or answered
    /// something bankapi cannot use (API.md section 8).
    Held,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 9] = [
        Self::Proposed,
        Self::Approved,
        Self::AwaitingConfirmation,
        Self::ExternalProcessingInProgress,
        Self::ExternalProcessingSucceeded,
        Self::Canceled,
        Self::Rejected,
        Self::Expired,
        Self::Held,
    ];

    /// The literal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Approved => "approved",
            Self::AwaitingConfirmation => "awaiting-confirmation",
            Self::ExternalProcessingInProgress => "external-processing-in-progress",
            Self::ExternalProcessingSucceeded => "external-processing-succeeded",
            Self::Canceled => "canceled",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Held => "held",
        }
    }

    /// Reads a stored literal.
    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Spellings a filter takes beside the literals: the API family's reference writes
    /// `external-processing-succeded`.
    pub const ALIASES: [(&'static str, OrderStatus); 1] = [(
        "external-processing-succeded",
        Self::ExternalProcessingSucceeded,
    )];

    /// Reads a filter value: a literal or one of [`OrderStatus::ALIASES`].
    pub fn from_input(raw: &str) -> Option<Self> {
        Self::from_stored(raw).or_else(|| {
            Self::ALIASES
                .into_iter()
                .find(|(alias, _)| *alias == raw)
                .map(|(_, status)| status)
        })
    }

    /// Every spelling [`OrderStatus::from_input`] takes, for the documents.
    pub fn spellings() -> impl Iterator<Item = &'static str> {
        Self::ALL
            .map(Self::as_str)
            .into_iter()
            .chain(Self::ALIASES.map(|(alias, _)| alias))
    }

    /// The status as the customer sees it.
    pub fn friendly(self) -> &'static str {
        match self {
            Self::Proposed
            | Self::Approved
            | Self::AwaitingConfirmation
            | Self::ExternalProcessingInProgress => "active",
            Self::ExternalProcessingSucceeded => "complete",
            Self::Canceled => "abandoned",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Held => "suspended",
        }
    }

    /// Whether nothing more will happen to the order.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::ExternalProcessingSucceeded | Self::Canceled | Self::Rejected | Self::Expired
        )
    }

    /// Whether the order may still be canceled: its irreversible step has not started.
    pub fn is_cancelable(self) -> bool {
        matches!(
            self,
            Self::Proposed | Self::Approved | Self::AwaitingConfirmation
        )
    }
}

//! Cards, the arrangements they sit on, and the customers who hold them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::CustomerNumber;
use super::identifier::{ArrangementNumber, CardId};

/// A card's lifecycle state. `terminated` is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CardStatus {
    /// Produced, not yet usable.
    Inactive,
    /// Usable.
    Active,
    /// Blocked; see the card's blockade reason.
    Suspended,
    /// Closed for good.
    Terminated,
}

impl CardStatus {
    /// Every state, in lifecycle order.
    pub const ALL: [CardStatus; 4] = [
        Self::Inactive,
        Self::Active,
        Self::Suspended,
        Self::Terminated,
    ];

    /// The literal, as stored and returned.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inactive => "inactive",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Terminated => "terminated",
        }
    }

    /// Reads a stored literal.
    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A payment card. Its full number never exists here: only the masked form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// Stable identifier (`C` and ten digits).
    pub id: CardId,
    /// The plastic's serial number.
    pub serial_number: String,
    /// The number with all but the first four and last four digits masked.
    pub masked_number: String,
    /// The account the card draws on.
    pub arrangement_number: ArrangementNumber,
    /// Who carries the card.
    pub holder: CustomerNumber,
    /// Who owns the arrangement (and so the card).
    pub owner: CustomerNumber,
    /// `MasterCard`, `Visa`...
    pub product_code: String,
    /// Lifecycle state.
    pub status: CardStatus,
    /// Why it was blocked, while suspended.
    pub blockade_reason: Option<String>,
    /// Last day the card is valid.
    pub expiry_date: NaiveDate,
    /// The card this one replaced.
    pub replaces: Option<CardId>,
    /// The card that replaced this one.
    pub replaced_by: Option<CardId>,
    /// When its status last changed.
    pub status_date: DateTime<Utc>,
}

impl Card {
    /// Whether the card is a holder's card on someone else's arrangement.
    pub fn is_additional(&self) -> bool {
        self.holder != self.owner
    }
}

/// An account that cards can be issued on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrangement {
    /// The arrangement number (`0064200001930`).
    pub number: ArrangementNumber,
    /// The owning customer.
    pub owner: CustomerNumber,
    /// The card product issued on it.
    pub product_code: String,
    /// Open for business; a closed arrangement gets no new cards.
    pub active: bool,
    /// Whether cards may be issued on it at all.
    pub allows_cards: bool,
    /// Most cards (not terminated) it may carry.
    pub card_limit: u32,
}

/// A customer of the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The customer number.
    pub number: CustomerNumber,
    /// Full name.
    pub name: String,
}

/// The masked form of a card number: first four and last four digits.
pub fn mask(first_four: &str, last_four: &str) -> String {
    format!("{first_four} **** **** {last_four}")
}

//! The Customer Order API's classifications (API.md sections 2 and 11): the code lists
//! of order types and statuses, the reasons a request may give, and the states of cards,
//! arrangements, mandates and standing orders, with the bank's codes and what each means.
//! Kept apart from [`super::classification`], which serves and checks them, because the
//! lists are data that grows with every order kind.

use super::classification::List;

pub(super) const ORDER_LISTS: &[List] = &[
    (
        "card-replacement-reason",
        "Card replacement reason",
        "Why a card is replaced",
        &[
            ("00001", "card-losses", "The card was lost"),
            ("00002", "stolen-card", "The card was stolen"),
            ("00003", "damaged-card", "The card is damaged"),
            ("00004", "expired-card", "The card expired or is about to"),
            (
                "00005",
                "emboss-name-changing",
                "The name printed on the card changes",
            ),
        ],
    ),
    (
        "card-blockade-reason",
        "Card blockade reason",
        "Why a card is blocked",
        &[
            (
                "00001",
                "temporary-blockage",
                "Blocked for a while at the customer's wish",
            ),
            ("00002", "card-losses", "The card was lost"),
            ("00003", "stolen-card", "The card was stolen"),
            ("00004", "suspected-fraud", "Fraud is suspected"),
        ],
    ),
    (
        "card-termination-reason",
        "Card termination reason",
        "Why a card is terminated",
        &[
            ("00001", "customer-request", "The customer asked for it"),
            ("00002", "arrangement-closed", "The arrangement is closed"),
            ("00003", "fraud", "Fraud was confirmed"),
            ("00004", "deceased-holder", "The holder died"),
        ],
    ),
    (
        "workitem-processing-status",
        "Work item processing status",
        "Where an order stands in its processing",
        &[
            ("00003", "proposed", "Accepted, waiting to be checked"),
            ("00020", "approved", "Checked, queued for execution"),
            ("00006", "external-processing-in-progress", "Being executed"),
            ("00007", "external-processing-succeeded", "Executed"),
            ("00009", "canceled", "Canceled before execution"),
            ("00010", "rejected", "Refused by a business rule"),
            ("00011", "expired", "Not executed before its deadline"),
            ("00012", "held", "Held for a person to decide"),
            (
                "00013",
                "awaiting-confirmation",
                "Checked, waiting for the customer's confirmation",
            ),
        ],
    ),
    (
        "customer-friendly-status",
        "Customer-friendly status",
        "An order's status as shown to the customer",
        &[
            ("00001", "active", "Being worked on"),
            ("00002", "complete", "Done"),
            ("00003", "rejected", "Refused"),
            ("00004", "abandoned", "Canceled"),
            ("00005", "expired", "Not done in time"),
            ("00006", "suspended", "Held for a person to decide"),
        ],
    ),
    (
        "order-type",
        "Order type",
        "The kinds of customer order",
        &[
            (
                "00001",
                "additional-card-issuance",
                "Issue an additional card on an arrangement",
            ),
            ("00002", "card-activation", "Activate a card"),
            ("00003", "card-blockade", "Block a card"),
            ("00004", "card-deblockade", "Lift a card's blockade"),
            ("00005", "card-termination", "Terminate a card"),
            ("00006", "card-replacement", "Replace a card"),
            (
                "00007",
                "current-account-termination",
                "Close a current account",
            ),
            (
                "00008",
                "bundled-account-termination",
                "Close a bundled account",
            ),
            (
                "00009",
                "credit-facility-termination",
                "Redeem a credit facility early",
            ),
            ("00010", "loan-termination", "Redeem a loan early"),
            ("00011", "mandate-assignment", "Grant mandates on accounts"),
            ("00012", "mandate-revocation", "End a mandate"),
            (
                "00013",
                "arrangement-amendment",
                "Move an account to another product",
            ),
            (
                "00014",
                "deposit-account-termination",
                "End a deposit before its term",
            ),
            ("00015", "deposit-payout", "Pay out a deposit's interest"),
            ("00016", "standing-order", "Set up a standing order"),
            (
                "00017",
                "standing-order-payment",
                "One payment of a standing order, made on its date",
            ),
        ],
    ),
    (
        "unit-of-time",
        "Unit of time",
        "The unit of a standing order's period",
        &[
            ("00001", "days", "Every so many days"),
            ("00002", "months", "Every so many months, on the same day"),
            ("00003", "years", "Every so many years, on the same day"),
        ],
    ),
    (
        "standing-order-status",
        "Standing order status",
        "Whether a standing order still pays",
        &[
            ("00001", "active", "Pays on the dates of its schedule"),
            ("00002", "ended", "No date is left"),
            ("00003", "canceled", "Ended by the customer"),
        ],
    ),
    (
        "account-termination-reason",
        "Account termination reason",
        "Why a customer closes an account",
        &[
            (
                "00001",
                "no-longer-needed",
                "The account is no longer needed",
            ),
            (
                "00002",
                "moving-to-another-bank",
                "The customer moves to another bank",
            ),
            ("00003", "fees-too-high", "The account's fees are too high"),
            (
                "00004",
                "dissatisfied-with-service",
                "The customer is not satisfied",
            ),
            ("00005", "relocation-abroad", "The customer moves abroad"),
            ("00006", "other", "Another reason"),
        ],
    ),
    (
        "redemption-reason",
        "Redemption reason",
        "Why a credit is redeemed before its term",
        &[
            ("00001", "own-funds", "Repaid from the customer's own funds"),
            ("00002", "refinancing", "Refinanced by another credit"),
            (
                "00003",
                "sale-of-collateral",
                "Repaid from the sale of the collateral",
            ),
            ("00004", "other", "Another reason"),
        ],
    ),
    (
        "card-status",
        "Card status",
        "A card's lifecycle state",
        &[
            ("00001", "inactive", "Produced, not yet usable"),
            ("00002", "active", "Usable"),
            ("00003", "suspended", "Blocked"),
            ("00004", "terminated", "Closed for good"),
        ],
    ),
    (
        "product-code",
        "Product",
        "The card and account products the bank offers",
        &[
            ("00001", "MasterCard", "MasterCard credit card"),
            ("00002", "Visa", "Visa credit card"),
            ("00003", "Maestro", "Maestro debit card"),
            ("00004", "current-standard", "Current account"),
            (
                "00005",
                "current-plus",
                "Current account with overdraft and insurance",
            ),
            (
                "00006",
                "bundle-gold",
                "Bundled account: current account, card and savings",
            ),
            ("00007", "deposit-12-months", "Term deposit, twelve months"),
            ("00008", "consumer-loan", "Consumer loan"),
            (
                "00009",
                "overdraft-facility",
                "Overdraft facility on a current account",
            ),
            (
                "00010",
                "bundle-silver",
                "Bundled account: current account and card",
            ),
            (
                "00011",
                "deposit-24-months",
                "Term deposit, twenty-four months",
            ),
            (
                "00012",
                "consumer-loan-fixed",
                "Consumer loan at a fixed rate",
            ),
            (
                "00013",
                "overdraft-facility-plus",
                "Larger overdraft facility on a current account",
            ),
            (
                "00014",
                "standing-order-internal",
                "Standing order to an account of this bank",
            ),
            (
                "00015",
                "standing-order-domestic",
                "Standing order to an account at any domestic bank",
            ),
        ],
    ),
    (
        "arrangement-kind",
        "Arrangement kind",
        "What kind of account an arrangement is",
        &[
            ("00001", "current-account", "Current (payment) account"),
            (
                "00002",
                "bundled-account",
                "Current account sold in a package",
            ),
            ("00003", "deposit-account", "Term or savings deposit"),
            (
                "00004",
                "credit-facility",
                "Overdraft or revolving credit line",
            ),
            ("00005", "loan", "Loan repaid in instalments"),
            ("00006", "card-account", "A card's credit-limit account"),
        ],
    ),
    (
        "arrangement-status",
        "Arrangement status",
        "An account's lifecycle",
        &[
            ("00001", "active", "Open for business"),
            ("00002", "terminating", "A termination is being carried out"),
            ("00003", "terminated", "Closed"),
        ],
    ),
    (
        "mandate-status",
        "Mandate status",
        "Whether a mandate is in force",
        &[
            ("00001", "active", "The holder may act on the arrangement"),
            ("00002", "revoked", "Ended by the grantor"),
        ],
    ),
];

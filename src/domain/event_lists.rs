//! The Customer Event API's classifications (API.md section 11): the literals a client
//! meets in events and may send, with the bank's codes and what each means. Where the
//! service checks a value against a list (`event-kind`, `medium`, `communication-type`),
//! a test holds the classification to that list; `resolution-status` and `purpose` are
//! free text on input (the guide sends `"purpose": "TestPorpose"`), and their lists name
//! the values the bank's own systems and this service write.

use super::classification::List;

pub(super) const EVENT_LISTS: &[List] = &[
    (
        "event-kind",
        "Event kind",
        "The kinds of event in a customer's history",
        &[
            (
                "00001",
                "CommunicationEvent",
                "A message between bank and customer",
            ),
            ("00002", "SocialEvent", "Activity on a social network"),
            (
                "00003",
                "AccountingTransactionEvent",
                "A booked transaction",
            ),
            (
                "00004",
                "CustomerCaseEvent",
                "A customer case opened or changed",
            ),
            (
                "00005",
                "ArrangementActivityEvent",
                "Something done to an arrangement or one of its cards",
            ),
            (
                "00006",
                "ProfileMaintenanceEvent",
                "A change to the customer's profile",
            ),
            ("00007", "ChargableActivityEvent", "A fee charged"),
            (
                "00008",
                "SecurityEvent",
                "A login or other security-relevant action",
            ),
        ],
    ),
    (
        "medium",
        "Communication medium",
        "How a communication reached the customer or the bank",
        &[
            ("00001", "phone", "A telephone call"),
            ("00002", "mail", "A letter"),
            ("00003", "email", "An e-mail"),
            ("00004", "fax", "A fax"),
            ("00005", "face-to-face-meeting", "A meeting in person"),
            ("00006", "sms", "A text message"),
            ("00007", "web", "The bank's web site"),
            ("00008", "wap", "The bank's mobile site"),
            ("00009", "instant-message", "An instant message"),
            (
                "00010",
                "other-communication-technology",
                "Any other way of communicating",
            ),
        ],
    ),
    (
        "communication-type",
        "Communication type",
        "What a communication is",
        &[
            (
                "00001",
                "general-communication",
                "A message with no further purpose",
            ),
            ("00002", "complaint", "The customer complains"),
            ("00003", "feedback", "The customer gives feedback"),
        ],
    ),
    (
        "resolution-status",
        "Resolution status",
        "Where a complaint or request stands",
        &[
            ("00001", "open", "Received, not yet worked on"),
            ("00002", "in-progress", "Being worked on"),
            (
                "00003",
                "resolved",
                "Answered to the customer's satisfaction",
            ),
            ("00004", "rejected", "Answered; the request was refused"),
            ("00005", "closed", "Closed without a resolution"),
        ],
    ),
    (
        "purpose",
        "Communication purpose",
        "Why the bank sent a communication",
        &[
            (
                "00001",
                "order-notification",
                "An order of the customer's changed (written by the order engine)",
            ),
            (
                "00002",
                "service-information",
                "Information about a product or service",
            ),
            (
                "00003",
                "security-alert",
                "A warning about the customer's security",
            ),
            ("00004", "marketing", "An offer"),
            ("00005", "reply", "An answer to the customer's own message"),
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::super::EventKind;
    use super::super::medium::{COMMUNICATION_TYPES, MEDIA};
    use super::*;

    fn literals(schema_id: &str) -> Vec<&'static str> {
        EVENT_LISTS
            .iter()
            .find(|(id, ..)| *id == schema_id)
            .map(|(.., entries)| entries.iter().map(|(_, literal, _)| *literal).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_checked_lists_are_the_lists_the_code_checks_against() {
        assert_eq!(
            literals("event-kind"),
            EventKind::ALL.map(EventKind::as_str)
        );
        assert_eq!(literals("medium"), MEDIA);
        assert_eq!(literals("communication-type"), COMMUNICATION_TYPES);
    }

    #[test]
    fn the_engines_purpose_is_listed() {
        assert!(literals("purpose").contains(&"order-notification"));
    }
}

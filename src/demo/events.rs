//! The demo's customer events: for customer 1400269 exactly 2298 events of every kind, the
//! newest being the guide's login 258242, and short histories for the other customers.
//!
//! Generated deterministically (a fixed-seed generator) so every demo looks the same and
//! the guide's numbers hold.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{
    GUIDE_ARRANGEMENT, GUIDE_CUSTOMER, GUIDE_EVENT_COUNT, GUIDE_LOGIN_XML, GUIDE_NEWEST_EVENT,
};
use crate::domain::xml::element;
use crate::domain::{CustomerNumber, EventKind};
use crate::store::EventRecord;

/// Other customers of the demo, each with a short history of their own.
const OTHER_CUSTOMERS: [(&str, usize); 3] = [("1400054", 40), ("MIGR00002", 25), ("BRVU00002", 30)];

/// A small linear congruential generator: deterministic, dependency-free, and plenty for
/// choosing demo values.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .map(|t| t + Duration::milliseconds(ms))
        .unwrap_or_default()
}

/// Every demo event.
pub fn events() -> Vec<EventRecord> {
    let mut rng = Lcg(20_141_010);
    let mut out = Vec::with_capacity(GUIDE_EVENT_COUNT + 100);
    let guide = customer(GUIDE_CUSTOMER);

    // The guide's first page: 20 logins, three of which the guide prints.
    let mut id = GUIDE_NEWEST_EVENT;
    let mut time = at(2014, 10, 10, 12, 34, 36, 690);
    for index in 0..GUIDE_EVENT_COUNT {
        match index {
            0 => {}
            1 => {
                id = 258_220;
                time = at(2014, 10, 10, 11, 21, 1, 490);
            }
            19 => {
                id = 256_102;
                time = at(2014, 10, 7, 14, 38, 22, 197);
            }
            _ if index < 19 => {
                // Between 258220 and 256102, evenly enough to stay in order.
                id -= 100 + rng.below(10) as i64;
                time -= Duration::minutes(150 + rng.below(60) as i64);
            }
            _ => {
                id -= 1 + rng.below(30) as i64;
                time -= Duration::minutes(20 + rng.below(600) as i64);
            }
        }
        let (kind, description, xml) = if index == 0 {
            (EventKind::SecurityEvent, None, GUIDE_LOGIN_XML.to_owned())
        } else if index < 20 {
            (
                EventKind::SecurityEvent,
                None,
                login_xml(&mut rng, GUIDE_CUSTOMER, time),
            )
        } else {
            let kind = EventKind::ALL[index % EventKind::ALL.len()];
            let (description, xml) = event_of_kind(&mut rng, kind, GUIDE_CUSTOMER, index, time);
            (kind, description, xml)
        };
        out.push(EventRecord {
            id,
            customer_number: guide.clone(),
            kind,
            created_at: time,
            description,
            xml,
        });
    }

    // Other customers: ids well below the guide customer's range.
    let mut other_id = 100_000;
    for (number, count) in OTHER_CUSTOMERS {
        let who = customer(number);
        let mut time = at(2015, 10, 20, 23, 22, 10, 0);
        for index in 0..count {
            other_id += 1;
            time -= Duration::hours(5 + rng.below(48) as i64);
            let kind = EventKind::ALL[(index + number.len()) % EventKind::ALL.len()];
            let (description, xml) = event_of_kind(&mut rng, kind, number, index, time);
            out.push(EventRecord {
                id: other_id,
                customer_number: who.clone(),
                kind,
                created_at: time,
                description,
                xml,
            });
        }
    }
    out
}

fn customer(number: &str) -> CustomerNumber {
    CustomerNumber::parse("customer-number", number)
        .unwrap_or_else(|e| panic!("demo customer {number}: {}", e.message))
}

fn login_xml(rng: &mut Lcg, customer: &str, time: DateTime<Utc>) -> String {
    let event_id = format!(
        "{:08x}-{:04x}-4{:03x}-b{:03x}-{:012x}",
        rng.next(),
        rng.below(65536),
        rng.below(4096),
        rng.below(4096),
        rng.next()
    );
    let occurred = crate::http::time::format(&(time - Duration::seconds(8)));
    element(
        "customer-login",
        &[
            ("customer-id", Some(customer)),
            ("event-id", Some(&event_id)),
            ("occured-on", Some(&occurred)),
            ("user-id", Some("8001186336")),
            (
                "login-type",
                Some(rng.pick(&["authorization-code", "password", "biometric"])),
            ),
            ("channel", Some(rng.pick(&["mobile", "web"]))),
        ],
    )
}

fn amount(rng: &mut Lcg) -> String {
    format!("{}.{:02}", 1 + rng.below(2500), rng.below(100))
}

fn event_of_kind(
    rng: &mut Lcg,
    kind: EventKind,
    customer: &str,
    index: usize,
    time: DateTime<Utc>,
) -> (Option<String>, String) {
    let day = time.format("%Y-%m-%d").to_string();
    let workitem = format!("WI{:010}", 492_000 + index);
    match kind {
        EventKind::SecurityEvent => (None, login_xml(rng, customer, time)),
        EventKind::CommunicationEvent => {
            let medium = rng.pick(&["email", "sms", "mail", "phone"]);
            let title = rng.pick(&[
                "Your card is on its way",
                "Monthly statement",
                "Card activated",
                "New offer",
            ]);
            (
                Some(format!("{title} ({medium})")),
                element(
                    "communication-event",
                    &[
                        ("customer-number", Some(customer)),
                        ("workitem-id", Some(&workitem)),
                        ("from", Some("Bank")),
                        ("to", Some(customer)),
                        ("title", Some(title)),
                        ("medium", Some(medium)),
                        (
                            "purpose",
                            Some(rng.pick(&["notification", "marketing", "statement"])),
                        ),
                        ("return-address", Some("noreply@bankapi.net")),
                        ("communication-type", Some("general-communication")),
                    ],
                ),
            )
        }
        EventKind::SocialEvent => {
            let network = rng.pick(&["twitter", "facebook", "linkedin"]);
            (
                Some(format!("Mentioned the bank on {network}")),
                element(
                    "social-event",
                    &[
                        ("network", Some(network)),
                        ("action", Some(rng.pick(&["mention", "like", "share"]))),
                        (
                            "content",
                            Some(rng.pick(&[
                                "Great mobile app!",
                                "Waiting for my new card",
                                "Fast support, thanks",
                            ])),
                        ),
                    ],
                ),
            )
        }
        EventKind::AccountingTransactionEvent => {
            let direction = rng.pick(&["debit", "credit"]);
            let sum = amount(rng);
            (
                Some(format!("Card transaction, {direction} {sum} RSD")),
                element(
                    "accounting-transaction",
                    &[
                        ("arrangement-number", Some(GUIDE_ARRANGEMENT)),
                        (
                            "transaction-id",
                            Some(&format!("TX{:012}", rng.below(1_000_000_000_000))),
                        ),
                        ("amount", Some(&sum)),
                        ("currency-code", Some("RSD")),
                        ("direction", Some(direction)),
                        ("booking-date", Some(&day)),
                    ],
                ),
            )
        }
        EventKind::CustomerCaseEvent => {
            let case_type = rng.pick(&["complaint", "card-dispute", "information-request"]);
            (
                Some(format!("Case opened: {case_type}")),
                element(
                    "customer-case",
                    &[
                        ("case-id", Some(&format!("CASE-{:06}", 10_000 + index))),
                        ("case-type", Some(case_type)),
                        (
                            "case-status",
                            Some(rng.pick(&["open", "in-progress", "closed"])),
                        ),
                        ("channel", Some(rng.pick(&["branch", "phone", "web"]))),
                    ],
                ),
            )
        }
        EventKind::ArrangementActivityEvent => {
            let activity = rng.pick(&[
                "card-issued",
                "card-activated",
                "card-blocked",
                "limit-changed",
            ]);
            (
                Some(format!("Arrangement {GUIDE_ARRANGEMENT}: {activity}")),
                element(
                    "arrangement-activity",
                    &[
                        ("arrangement-number", Some(GUIDE_ARRANGEMENT)),
                        ("activity", Some(activity)),
                        ("card-id", Some(&format!("C{:09}", 100 + rng.below(50)))),
                        ("workitem-id", Some(&workitem)),
                    ],
                ),
            )
        }
        EventKind::ProfileMaintenanceEvent => {
            let field = rng.pick(&["email", "phone", "address"]);
            let (old, new) = match field {
                "email" => ("old@example.com", "new@example.com"),
                "phone" => ("+381601234567", "+381647654321"),
                _ => (
                    "Knez Mihailova 1, Beograd",
                    "Bulevar Oslobodjenja 10, Novi Sad",
                ),
            };
            (
                Some(format!("Profile change: {field}")),
                element(
                    "profile-change",
                    &[
                        ("field", Some(field)),
                        ("old-value", Some(old)),
                        ("new-value", Some(new)),
                        ("channel", Some(rng.pick(&["web", "mobile", "branch"]))),
                    ],
                ),
            )
        }
        EventKind::ChargableActivityEvent => {
            let fee = rng.pick(&["CARD-ANNUAL-FEE", "ATM-WITHDRAWAL", "STATEMENT-BY-MAIL"]);
            let sum = amount(rng);
            (
                Some(format!("Fee charged: {fee}")),
                element(
                    "fee-charged",
                    &[
                        ("fee-code", Some(fee)),
                        ("amount", Some(&sum)),
                        ("currency-code", Some("RSD")),
                        ("arrangement-number", Some(GUIDE_ARRANGEMENT)),
                    ],
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::domain::xml::{XmlLimits, key_values};

    #[test]
    fn the_guide_customer_has_2298_events_newest_258242() {
        let all = events();
        let guide: Vec<_> = all
            .iter()
            .filter(|e| e.customer_number.as_str() == GUIDE_CUSTOMER)
            .collect();
        assert_eq!(guide.len(), GUIDE_EVENT_COUNT);
        assert_eq!(guide[0].id, GUIDE_NEWEST_EVENT);
        assert_eq!(guide[1].id, 258_220);
        assert_eq!(guide[19].id, 256_102);
        assert!(
            guide
                .windows(2)
                .all(|w| w[0].created_at > w[1].created_at && w[0].id > w[1].id)
        );
        let kinds: HashSet<_> = guide.iter().map(|e| e.kind).collect();
        assert_eq!(kinds.len(), EventKind::ALL.len());
    }

    #[test]
    fn ids_are_unique_and_all_xml_is_valid() {
        let all = events();
        let ids: HashSet<_> = all.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), all.len());
        for event in &all {
            key_values(&event.xml, &XmlLimits::default()).unwrap();
        }
    }
}

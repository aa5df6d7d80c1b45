//! Page-number pages at any depth (API.md section 10): each page is checked against the
//! list sorted here, of all kinds and by kind, oldest and newest first, near both ends
//! and deep, where the store reads from its marks. An import of older events shifts
//! every later page, and the marks must follow.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use bankapi::domain::page::{MARK_STRIDE, NEAR_END};
use bankapi::domain::{CustomerNumber, EventKind};
use bankapi::store::EventRecord;

use crate::helpers::{Options, TestApp, note};

const CUSTOMER: &str = "DEEP0001";

fn customer() -> CustomerNumber {
    CustomerNumber::parse("customer-number", CUSTOMER).expect("number")
}

/// `count` events from `first_id`, three to a timestamp (ties are ordered by id), ids
/// not in time order, two kinds of three.
fn events(count: i64, first_id: i64, from: DateTime<Utc>) -> Vec<EventRecord> {
    (0..count)
        .map(|i| EventRecord {
            // Reversed within each block of ten: id order is not creation order.
            id: first_id + (i / 10) * 10 + (9 - i % 10),
            customer_number: customer(),
            kind: if i % 3 == 0 {
                EventKind::CommunicationEvent
            } else {
                EventKind::SecurityEvent
            },
            created_at: from + Duration::seconds(i / 3),
            description: Some(format!("deep {i}")),
            xml: "<customer-login><login-type>password</login-type></customer-login>".to_owned(),
        })
        .collect()
}

/// An app whose events may be marked as soon as they exist.
async fn app() -> TestApp {
    TestApp::spawn_with(Options {
        configure: Box::new(|s| s.event_marks_settle_seconds = 0),
        ..Options::default()
    })
    .await
}

/// The expected list: `all` of `kind`, oldest first by (creation, id).
fn expected(all: &[EventRecord], kind: Option<EventKind>) -> Vec<i64> {
    let mut list: Vec<&EventRecord> = all
        .iter()
        .filter(|e| kind.is_none_or(|k| e.kind == k))
        .collect();
    list.sort_by_key(|e| (e.created_at, e.id));
    list.iter().map(|e| e.id).collect()
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["event-id"].as_i64())
        .collect()
}

/// Pages near both ends, across the switch to marks, and deep, of every list shape.
async fn check_pages(app: &TestApp, all: &[EventRecord]) {
    let token = app.staff_token();
    for (kind, param) in [
        (None, ""),
        (Some(EventKind::SecurityEvent), "&event-kind=security"),
        (
            Some(EventKind::CommunicationEvent),
            "&event-kind=communication",
        ),
    ] {
        let oldest_first = expected(all, kind);
        let total = oldest_first.len();
        for (order, newest_first) in [("asc", false), ("desc", true)] {
            let mut list = oldest_first.clone();
            if newest_first {
                list.reverse();
            }
            for size in [7_usize, 100] {
                let last = total.div_ceil(size);
                let near_switch = NEAR_END as usize / size;
                for number in [
                    1,
                    near_switch,
                    near_switch + 1,
                    near_switch + 2,
                    last / 2,
                    last / 2 + 1,
                    last.saturating_sub(near_switch + 1),
                    last - 1,
                    last,
                    last + 1,
                ] {
                    let number = number.max(1);
                    let page = app
                        .get_ok(
                            &format!(
                                "/customer-event/events?customer-number={CUSTOMER}{param}\
                                 &sort-order={order}&page-size={size}&page-number={number}"
                            ),
                            &token,
                        )
                        .await;
                    let from = ((number - 1) * size).min(total);
                    let want = &list[from..(from + size).min(total)];
                    assert_eq!(
                        ids(&page),
                        want,
                        "{param} {order} size {size} page {number} of {last}"
                    );
                    assert_eq!(page["total-count"], total, "{param} {order}");
                }
            }
        }
    }
}

#[tokio::test]
async fn deep_pages_are_the_list_sorted_by_creation_then_id() {
    let app = app().await;
    let from = Utc::now() - Duration::days(30);
    // Long enough that each kind's list has pages read from marks.
    let mut all = events(7_000, 1_000_000, from);
    app.stores.events.import_events(&all).await.expect("import");
    // And some registered through the API, at the server's clock.
    for i in 0..5 {
        let id = note(&app, CUSTOMER, &format!("live {i}")).await;
        let event = app
            .stores
            .events
            .get_event(id)
            .await
            .expect("read")
            .expect("event");
        all.push(event);
    }
    check_pages(&app, &all).await;
    // The lists' lengths the deep pages saw are now a few short: each page must notice.
    for i in 0..3 {
        let id = note(&app, CUSTOMER, &format!("later {i}")).await;
        all.extend(app.stores.events.get_event(id).await.expect("read"));
    }
    check_pages(&app, &all).await;
    let events = app.stores.events.as_ref();
    for kind in [
        None,
        Some(EventKind::SecurityEvent),
        Some(EventKind::CommunicationEvent),
    ] {
        let last = events
            .nearest_mark(&customer(), kind, u64::MAX)
            .await
            .expect("marks")
            .expect("deep pages were read from marks");
        assert_eq!(last.rank % MARK_STRIDE, 0, "{kind:?}");
        let oldest_first = expected(&all, kind);
        let at = usize::try_from(last.rank).expect("rank");
        assert_eq!(
            last.key.id, oldest_first[at],
            "{kind:?}: the mark counts right"
        );
    }
}

#[tokio::test]
async fn an_import_of_older_events_moves_the_pages_and_the_marks_follow() {
    let app = app().await;
    let from = Utc::now() - Duration::days(30);
    let mut all = events(5_000, 1_000_000, from);
    app.stores.events.import_events(&all).await.expect("import");
    check_pages(&app, &all).await;

    // Older than all but the first few hundred: every mark from there on is one short.
    let older = events(40, 2_000_000, from + Duration::seconds(100));
    app.stores
        .events
        .import_events(&older)
        .await
        .expect("import");
    all.extend(older);
    let events = app.stores.events.as_ref();
    let last = events
        .nearest_mark(&customer(), None, u64::MAX)
        .await
        .expect("marks")
        .expect("the marks below the import are kept");
    assert!(
        last.rank < 300,
        "marks past the imported events are dropped, found rank {}",
        last.rank
    );
    check_pages(&app, &all).await;
}

#[tokio::test]
async fn recent_events_are_not_marked_and_their_pages_are_still_right() {
    // The default settling time: events of the last minutes may still be joined by
    // earlier ones from another server's clock.
    let app = TestApp::spawn().await;
    let all = events(3_000, 1_000_000, Utc::now() - Duration::seconds(500));
    app.stores.events.import_events(&all).await.expect("import");
    check_pages(&app, &all).await;
    let mark = app
        .stores
        .events
        .nearest_mark(&customer(), None, u64::MAX)
        .await
        .expect("marks");
    assert_eq!(mark, None, "nothing settled, nothing marked");
}

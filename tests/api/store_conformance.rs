//! The order store's contract, below HTTP, on whichever backend the run uses: claims are
//! leases, a lost lease writes nothing, a decision fences out the engine, an action runs
//! only when it is its arrangement's turn, a batch's context comes in sets, and money
//! moves only where its guard holds, once: an order whose guard fails is left out of its
//! batch's write alone.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use bankapi::domain::account::{BalanceGuard, CurrencyCode, Money, Posting};
use bankapi::domain::execution::Transition;
use bankapi::domain::identifier::ArrangementNumber;
use bankapi::domain::order::OrderStatus;
use bankapi::store::StoreError;
use bankapi::store::orders::{Claimed, ContextKeys, OrderColumns, Written};

use crate::helpers::TestApp;

mod money_and_queue;

async fn accept(app: &TestApp, resource: &str, body: Value) -> String {
    let response = app
        .post_json(
            &format!("/customer-order/{resource}"),
            &app.staff_token(),
            &body,
        )
        .await;
    let status = response.status();
    let created: Value = response.json().await.expect("json");
    assert_eq!(status, 202, "{created}");
    created["id"].as_str().expect("id").to_owned()
}

/// Every due order, claimed by the test a second from now (a lease of 30 s), and the time
/// it was claimed at.
async fn claim_all(app: &TestApp) -> (Vec<Claimed>, chrono::DateTime<Utc>) {
    let now = Utc::now() + Duration::seconds(1);
    let claimed = app
        .stores
        .orders
        .claim_due(now, 10, now + Duration::seconds(30))
        .await
        .expect("claim");
    (claimed, now)
}

/// A card activation accepted and claimed by the test, as [`claim_all`] claims.
async fn accept_and_claim(app: &TestApp) -> (String, Vec<Claimed>, chrono::DateTime<Utc>) {
    let id = accept(app, "card-activations", json!({"card-id": "C0000000202"})).await;
    let (claimed, now) = claim_all(app).await;
    (id, claimed, now)
}

/// A claimed order's state with its status changed, as an engine pass might leave it.
fn changed(claim: &Claimed, status: OrderStatus) -> Transition {
    let columns: &OrderColumns = claim.columns.as_ref().expect("readable row");
    let mut order = columns.clone().decode().expect("order");
    order.status = status;
    Transition::of(order)
}

/// Runs SQL on the test's database beside the application: how a broken row gets there.
pub async fn execute(app: &TestApp, sql: &str) {
    use sqlx::Connection;
    let url = &app.settings.database_url;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql).execute(&mut conn).await.expect("sql");
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql).execute(&mut conn).await.expect("sql");
    }
}

#[tokio::test]
async fn a_claim_is_a_lease_and_whoever_lost_it_writes_nothing() {
    let app = TestApp::spawn_demo().await;
    accept(&app, "card-activations", json!({"card-id": "C0000000202"})).await;
    let store = app.stores.orders.as_ref();
    let t0 = Utc::now() + Duration::seconds(1);

    let first = store
        .claim_due(t0, 10, t0 + Duration::seconds(10))
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    let during = store
        .claim_due(t0 + Duration::seconds(5), 10, t0 + Duration::seconds(15))
        .await
        .expect("claim");
    assert!(during.is_empty(), "a live lease keeps the order");
    let second = store
        .claim_due(t0 + Duration::seconds(11), 10, t0 + Duration::seconds(21))
        .await
        .expect("claim");
    assert_eq!(second.len(), 1, "an expired lease gives the order up");
    assert!(second[0].lease.token > first[0].lease.token);

    let stale = store
        .write_transitions(
            &[(first[0].lease, changed(&first[0], OrderStatus::Rejected))],
            true,
            t0,
        )
        .await
        .expect("write");
    assert_eq!(
        stale,
        vec![Written::LeaseLost],
        "the first holder is fenced out"
    );
    let live = store
        .write_transitions(
            &[(second[0].lease, changed(&second[0], OrderStatus::Approved))],
            true,
            t0,
        )
        .await
        .expect("write");
    assert_eq!(live, vec![Written::Yes]);
    let order = app
        .get_ok(
            &format!(
                "/customer-order/card-activations/{}",
                first[0].lease_number()
            ),
            &app.staff_token(),
        )
        .await;
    assert_eq!(
        order["status"], "approved",
        "only the live holder's write landed"
    );
    let released = store
        .claim_due(t0 + Duration::seconds(12), 10, t0 + Duration::seconds(22))
        .await
        .expect("claim");
    assert_eq!(released.len(), 1, "a completed step releases its lease");
}

#[tokio::test]
async fn a_cancel_fences_out_an_engine_pass_that_holds_the_order() {
    let app = TestApp::spawn_demo().await;
    let (id, claimed, now) = accept_and_claim(&app).await;
    let store = app.stores.orders.as_ref();
    let canceled = app
        .client
        .put(app.url(&format!("/customer-order/card-activations/{id}/cancel")))
        .bearer_auth(app.staff_token())
        .send()
        .await
        .expect("cancel");
    assert_eq!(canceled.status(), 204);
    let written = store
        .write_transitions(
            &[(
                claimed[0].lease,
                changed(&claimed[0], OrderStatus::Approved),
            )],
            true,
            now,
        )
        .await
        .expect("write");
    assert_eq!(written, vec![Written::LeaseLost]);
    assert_eq!(
        order_status(&app, "card-activations", &id).await,
        "canceled"
    );
}

#[tokio::test]
async fn only_the_oldest_active_order_of_an_arrangement_is_its_head() {
    let app = TestApp::spawn_demo().await;
    // Two cards of the same arrangement (0064200001948), then a card of another one.
    accept(&app, "card-activations", json!({"card-id": "C0000000202"})).await;
    accept(
        &app,
        "card-blockades",
        json!({"card-id": "C0000000206", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    accept(
        &app,
        "additional-card-issuances",
        json!({"authorized-customer-number": "1400054", "arrangement-number": "0064200001930"}),
    )
    .await;
    let (claimed, _) = claim_all(&app).await;
    let heads: Vec<bool> = claimed.iter().map(|c| c.head).collect();
    assert_eq!(heads, vec![true, false, true], "claimed oldest first");
}

#[tokio::test]
async fn a_batch_reads_its_arrangements_cards_and_customers_in_sets() {
    let app = TestApp::spawn_demo().await;
    let keys = ContextKeys {
        arrangements: vec!["0064200001930".into(), "0064200001948".into()],
        customers: vec!["1400054".into(), "1400269".into()],
        // The bundled account, and through their links the deposit, the loan and the
        // facility drawing on the current account, and that current account.
        accounts: vec!["0064200002030".into(), "0064200002048".into()],
        // The demo's mandates on the dinar current account and on the bundled account.
        mandates: vec!["0064200002014".into(), "0064200002030".into()],
        standing_orders: Vec::new(),
    };
    let context = app
        .stores
        .orders
        .load_context(&keys)
        .await
        .expect("context");
    assert_eq!(context.arrangements.len(), 2);
    assert_eq!(context.customers.len(), 2);
    let mut around: Vec<&str> = context.accounts.keys().map(|n| n.as_str()).collect();
    around.sort_unstable();
    assert_eq!(
        around,
        ["0064200002014", "0064200002030", "0064200002048"],
        "the accounts named and the one the deposit is linked to"
    );
    let mandates: Vec<&str> = context.mandates.iter().map(|m| m.number.as_str()).collect();
    assert_eq!(mandates, ["M0000000301", "M0000000303"]);
    for raw in &keys.arrangements {
        let number = ArrangementNumber::parse("arrangement-number", raw).expect("a number");
        let expected = app
            .stores
            .orders
            .arrangement_cards(&number)
            .await
            .expect("cards");
        assert_eq!(context.cards.get(&number), Some(&expected), "{number}");
    }
}

#[tokio::test]
async fn an_unreadable_order_is_held_with_its_reason_while_the_rest_of_the_queue_completes() {
    let app = TestApp::spawn_demo().await;
    let poison = accept(&app, "card-activations", json!({"card-id": "C0000000202"})).await;
    let other = accept(
        &app,
        "card-blockades",
        json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    let third = accept(
        &app,
        "additional-card-issuances",
        json!({"authorized-customer-number": "1400054", "arrangement-number": "0064200001930"}),
    )
    .await;
    let digits: i64 = poison[2..].parse().expect("number");
    execute(
        &app,
        &format!("UPDATE orders SET request_json = '{{not json' WHERE order_id = {digits}"),
    )
    .await;
    let unreadable = "bankapi_orders_held_total{cause=\"unreadable\"}";
    let counted = app.metric(unreadable).await;
    // The poison blocks its own arrangement's later orders (they wait behind it, as
    // behind any held order), never the rest of the queue.
    app.run_orders().await;
    assert!(
        app.metric(unreadable).await > counted,
        "the hold is counted for operators by its cause"
    );
    let issuance = app
        .get_ok(
            &format!("/customer-order/additional-card-issuances/{third}"),
            &app.staff_token(),
        )
        .await;
    assert_eq!(issuance["status"], "external-processing-succeeded");
    let blockade = app
        .get_ok(
            &format!("/customer-order/card-blockades/{other}"),
            &app.staff_token(),
        )
        .await;
    assert_eq!(
        blockade["status"], "approved",
        "waits behind the held order"
    );
    let (status, reason) = held_row(&app, digits).await;
    assert_eq!(status, "held");
    assert!(reason.contains("cannot be read"), "{reason}");
    assert_eq!(
        app.run_orders().await,
        0,
        "a held order is not claimed again"
    );
    // The lists it falls on still answer, without it; its own GET says it cannot be read.
    let list = app
        .get_ok("/customer-order/card-activations", &app.staff_token())
        .await;
    let items = list["items"].as_array().expect("items");
    assert!(
        items
            .iter()
            .all(|item| item["order-number"] != poison.as_str()),
        "{list}"
    );
    let one = app
        .get(
            &format!("/customer-order/card-activations/{poison}"),
            &app.staff_token(),
        )
        .await;
    assert_eq!(one.status(), 500);
}

async fn held_row(app: &TestApp, order_id: i64) -> (String, String) {
    use sqlx::Connection;
    let url = &app.settings.database_url;
    let sql = format!("SELECT status, hold_reason FROM orders WHERE order_id = {order_id}");
    let sql = sqlx::AssertSqlSafe(sql);
    let row: (String, Option<String>) = if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_as(sql).fetch_one(&mut conn).await.expect("row")
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_as(sql).fetch_one(&mut conn).await.expect("row")
    };
    (row.0, row.1.unwrap_or_default())
}

trait LeaseNumber {
    fn lease_number(&self) -> String;
}

impl LeaseNumber for Claimed {
    /// The order's number as the API prints it.
    fn lease_number(&self) -> String {
        format!("WI{:010}", self.lease.order_id)
    }
}

#[tokio::test]
async fn card_subjects_are_read_in_one_call_for_cards_of_several_arrangements() {
    use bankapi::domain::identifier::CardId;
    let app = TestApp::spawn_demo().await;
    let store = app.stores.orders.as_ref();
    let id = |raw: &str| CardId::parse("card-id", raw).expect("card id");
    let asked = [
        id("C0000000301"),
        id("C9999999999"),
        id("C0000000201"),
        id("C0000000101"),
        id("C0000000202"),
    ];
    let subjects = store.card_subjects(&asked).await.expect("subjects");
    let found: Vec<&str> = subjects.iter().map(|s| s.card.id.as_str()).collect();
    assert_eq!(
        found,
        ["C0000000301", "C0000000201", "C0000000101", "C0000000202"],
        "in the order asked, an unknown card left out"
    );
    for subject in &subjects {
        assert!(
            subject
                .arrangement_cards
                .iter()
                .all(|c| c.arrangement_number == subject.card.arrangement_number),
            "{subject:?}"
        );
        assert!(
            subject
                .arrangement_cards
                .iter()
                .any(|c| c.id == subject.card.id)
        );
        assert_eq!(
            subject.arrangement.as_ref().map(|a| &a.number),
            Some(&subject.card.arrangement_number)
        );
    }
    let visa = &subjects[1];
    assert_eq!(
        visa.arrangement_cards.len(),
        6,
        "the six cards on 0064200001948"
    );
    assert_eq!(subjects[3].arrangement_cards, visa.arrangement_cards);
    assert!(store.card_subjects(&[]).await.expect("none").is_empty());
}

/// The status of order `id` of `resource`, as the API shows it.
async fn order_status(app: &TestApp, resource: &str, id: &str) -> Value {
    app.get_ok(
        &format!("/customer-order/{resource}/{id}"),
        &app.staff_token(),
    )
    .await["status"]
        .clone()
}

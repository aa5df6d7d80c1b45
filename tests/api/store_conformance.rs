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

/// A posting for the test below: `minor` on the demo's euro current account.
fn posting(leg: u32, minor: i64, guard: BalanceGuard) -> Posting {
    let currency = CurrencyCode::parse("currency", "EUR").expect("currency");
    Posting {
        leg,
        account: ArrangementNumber::parse("account", EURO_ACCOUNT).expect("number"),
        amount: Money { currency, minor },
        guard,
        counterparty: "cash".into(),
    }
}

const EURO_ACCOUNT: &str = "0064200002022";

async fn euro_balance(app: &TestApp) -> Value {
    app.get_ok(
        &format!("/customer-order/arrangements/{EURO_ACCOUNT}"),
        &app.staff_token(),
    )
    .await["balance"]
        .clone()
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

#[tokio::test]
async fn a_posting_whose_guard_fails_leaves_its_order_unwritten_and_a_leg_is_booked_once() {
    let app = TestApp::spawn_demo().await;
    let (id, claimed, now) = accept_and_claim(&app).await;
    let store = app.stores.orders.as_ref();
    assert_eq!(euro_balance(&app).await, "843.12");

    // A credit that would stand, then a debit below zero: neither is booked, and the
    // order is not written either.
    let mut transition = changed(&claimed[0], OrderStatus::Approved);
    transition.postings = vec![
        posting(0, 100, BalanceGuard::Active),
        posting(1, -1_000_000, BalanceGuard::NotBelowZero),
    ];
    let refused = store
        .write_transitions(&[(claimed[0].lease, transition)], false, now)
        .await
        .expect("write");
    assert_eq!(refused, vec![Written::BalanceMoved]);
    assert_eq!(euro_balance(&app).await, "843.12");
    assert_eq!(
        order_status(&app, "card-activations", &id).await,
        "proposed"
    );

    // A balance the rule saw that has changed since is refused too.
    let mut transition = changed(&claimed[0], OrderStatus::Approved);
    transition.postings = vec![posting(0, -84_312, BalanceGuard::Exactly(84_000))];
    let refused = store
        .write_transitions(&[(claimed[0].lease, transition)], false, now)
        .await
        .expect("write");
    assert_eq!(refused, vec![Written::BalanceMoved]);
    assert_eq!(euro_balance(&app).await, "843.12");

    // Guards that hold: the money moves, once.
    let mut transition = changed(&claimed[0], OrderStatus::Approved);
    transition.postings = vec![
        posting(0, 100, BalanceGuard::Active),
        posting(1, -84_412, BalanceGuard::NotBelowZero),
    ];
    let written = store
        .write_transitions(&[(claimed[0].lease, transition.clone())], false, now)
        .await
        .expect("write");
    assert_eq!(written, vec![Written::Yes]);
    assert_eq!(euro_balance(&app).await, "0.00");
    // The same legs again (a step written twice) cannot book twice.
    let again = store
        .write_transitions(&[(claimed[0].lease, transition)], false, now)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(euro_balance(&app).await, "0.00");
}

#[tokio::test]
async fn an_order_whose_balance_moved_costs_the_rest_of_its_batch_nothing() {
    let app = TestApp::spawn_demo().await;
    accept(&app, "card-activations", json!({"card-id": "C0000000202"})).await;
    accept(
        &app,
        "card-blockades",
        json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    let (claimed, now) = claim_all(&app).await;
    assert_eq!(claimed.len(), 2);
    let store = app.stores.orders.as_ref();

    // The first was judged on a balance that has moved since; the second's money holds.
    let mut stale = changed(&claimed[0], OrderStatus::Approved);
    stale.postings = vec![posting(0, -100, BalanceGuard::Exactly(84_000))];
    let mut sound = changed(&claimed[1], OrderStatus::Approved);
    sound.postings = vec![posting(0, -12, BalanceGuard::NotBelowZero)];
    let written = store
        .write_transitions(
            &[(claimed[0].lease, stale), (claimed[1].lease, sound)],
            true,
            now,
        )
        .await
        .expect("write");
    assert_eq!(written, vec![Written::BalanceMoved, Written::Yes]);
    assert_eq!(euro_balance(&app).await, "843.00", "only the sound debit");
    let moved = claimed[0].lease_number();
    assert_eq!(
        order_status(&app, "card-activations", &moved).await,
        "proposed"
    );
    assert_eq!(
        order_status(&app, "card-blockades", &claimed[1].lease_number()).await,
        "approved"
    );

    // The order left out is claimable again at once (its lease ended with the write),
    // to be judged on fresh balances.
    let again = store
        .claim_due(now, 10, now + Duration::seconds(30))
        .await
        .expect("claim");
    assert!(
        again
            .iter()
            .any(|c| c.lease.order_id == claimed[0].lease.order_id),
        "the moved order {moved} is due again"
    );
}

#[tokio::test]
async fn on_a_single_writer_passes_stay_short_while_orders_are_arriving() {
    let app = TestApp::spawn_demo().await;
    let id = accept(&app, "card-activations", json!({"card-id": "C0000000202"})).await;
    let digits: i64 = id[2..].parse().expect("number");
    // 250 more due orders, each its own arrangement's turn: copies of the one accepted.
    execute(
        &app,
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250)
             INSERT INTO orders (kind, serial_key, duplicate_key, card_id, arrangement_number,
                 owner_customer_number, holder_customer_number, request_json, description, status,
                 status_date, creation_date, deadline, current_step, phase, next_run_at, steps_json,
                 rejection_reason, result_card_id, hold_reason)
             SELECT kind, serial_key || '-' || n.i, duplicate_key || '-' || n.i, card_id,
                 arrangement_number, owner_customer_number, holder_customer_number, request_json,
                 description, status, status_date, creation_date, deadline, current_step, phase,
                 next_run_at, steps_json, rejection_reason, result_card_id, hold_reason
             FROM orders, n WHERE order_id = {digits}"
        ),
    )
    .await;
    let store = app.stores.orders.as_ref();
    let engine = app.engine(); // batches of 100
    store.work_added();
    let arriving = engine.pass().await.expect("pass");
    // Past the engine's window for "arriving" (50 ms): a backlog that nobody waits behind.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let backlog = engine.pass().await.expect("pass");
    if store.concurrent_writes() {
        assert_eq!(
            arriving, 100,
            "PostgreSQL: acceptances never wait for a pass"
        );
    } else {
        assert_eq!(
            arriving, 64,
            "SQLite: every acceptance waits for the writer until the pass commits"
        );
    }
    assert_eq!(backlog, 100, "a backlog goes in full batches");
}

#[tokio::test]
async fn the_queue_gauges_count_held_orders_and_see_the_oldest_due_one() {
    let app = TestApp::spawn_demo().await;
    app.run_orders().await;
    let gauges = |at| app.stores.orders.queue_gauges(at);
    let later = || Utc::now() + Duration::seconds(1);
    let before = gauges(later()).await.expect("gauges");
    assert_eq!(
        before.oldest_due, None,
        "nothing is due once the engine ran"
    );
    let poison = accept(&app, "card-activations", json!({"card-id": "C0000000202"})).await;
    let due = gauges(later()).await.expect("gauges");
    assert!(due.oldest_due.is_some_and(|at| at <= Utc::now()), "{due:?}");
    assert_eq!(due.held, before.held);
    let digits: i64 = poison[2..].parse().expect("number");
    execute(
        &app,
        &format!("UPDATE orders SET request_json = '{{not json' WHERE order_id = {digits}"),
    )
    .await;
    app.run_orders().await;
    let after = gauges(later()).await.expect("gauges");
    assert_eq!(after.held, before.held + 1, "the held order is counted");
    assert_eq!(after.oldest_due, None, "a held order is not due: {after:?}");
}

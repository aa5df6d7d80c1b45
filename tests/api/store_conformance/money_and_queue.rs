//! The store's writes of money (a posting's guard, a batch whose balance moved) and its
//! queue (short passes while orders arrive, the gauges), on both backends.

use super::*;

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

//! New orders wake the engines of every process sharing the database, also when they
//! are accepted faster than the acceptor announces them (at most once per 10 ms; the
//! groups in between are announced together when the window has passed).

use std::time::Duration;

use serde_json::json;

use super::*;

/// On PostgreSQL another process listens (a second store on the database, whose engine
/// would otherwise find the orders only at its next look at the queue); SQLite has one
/// process per file, whose own engine is told of every group.
#[tokio::test]
async fn orders_accepted_back_to_back_each_wake_the_engines_of_every_process() {
    let app = TestApp::spawn_demo().await;
    let elsewhere = app.another_process().await;
    let engines = &elsewhere.orders;
    let token = app.customer_token("1400269");
    let woken = || async {
        tokio::time::timeout(
            Duration::from_secs(20),
            engines.wait_for_work(Duration::from_secs(60)),
        )
        .await
        .is_ok()
    };

    order(
        &app,
        "card-blockades",
        &token,
        json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    assert!(woken().await, "the first order woke the engine");
    // At once: within the window of the first order's announcement, as a rule, so that
    // this one is announced after the window rather than with its own statement.
    order(
        &app,
        "card-activations",
        &token,
        json!({"card-id": "C0000000202"}),
    )
    .await;
    // Without an announcement, the wait would last its whole minute.
    assert!(woken().await, "the second order woke the engine");
    app.run_orders().await;
    assert_eq!(card_status(&app, "C0000000201").await, "suspended");
    assert_eq!(card_status(&app, "C0000000202").await, "active");
}

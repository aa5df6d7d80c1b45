//! The account views of API.md section 9: `GET /arrangements` and
//! `GET /arrangements/{arrangement-number}` over the demo's accounts, with a customer's
//! visibility, the kind filter, paging and exact balances.

use serde_json::Value;

use crate::helpers::{TestApp, first_error, problem};

fn numbers(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["arrangement-number"].as_str())
        .collect()
}

#[tokio::test]
async fn a_customer_sees_its_accounts_of_every_kind_with_exact_balances() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let page = app.get_ok("/customer-order/arrangements", &token).await;
    assert_eq!(
        numbers(&page),
        [
            "0064200001948",
            "0064200001964",
            "0064200002014",
            "0064200002022",
            "0064200002030",
            "0064200002048",
            "0064200002055",
            "0064200002063",
        ],
        "its own accounts, by number: {page}"
    );
    assert_eq!(page["total-count"], 8);
    let kinds: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    for kind in [
        "card-account",
        "current-account",
        "bundled-account",
        "deposit-account",
        "loan",
        "credit-facility",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }

    let current = app
        .get_ok("/customer-order/arrangements/0064200002014", &token)
        .await;
    assert_eq!(current["kind"], "current-account");
    assert_eq!(current["currency-code"], "RSD");
    assert_eq!(current["balance"], "184520.50", "two minor digits, exact");
    assert_eq!(current["status"], "active");
    assert_eq!(current["owner-customer-number"], "1400269");
    assert_eq!(current["linked-arrangement-number"], Value::Null);
    let loan = app
        .get_ok("/customer-order/arrangements/0064200002055", &token)
        .await;
    assert_eq!(loan["balance"], "-450000.00", "what is owed is negative");
    assert_eq!(loan["linked-arrangement-number"], "0064200002014");
    let closed = app
        .get_ok("/customer-order/arrangements/0064200001964", &token)
        .await;
    assert_eq!(closed["status"], "terminated");
}

#[tokio::test]
async fn the_kind_filter_takes_only_arrangement_kind_literals() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let page = app
        .get_ok("/customer-order/arrangements?kind=CURRENT-ACCOUNT", &token)
        .await;
    assert_eq!(numbers(&page), ["0064200002014", "0064200002022"]);
    assert!(
        page["navigations"][0]["href"]
            .as_str()
            .is_some_and(|href| href.contains("kind=current-account")),
        "links keep the filter, in its canonical spelling: {page}"
    );
    let refused = problem(
        app.get("/customer-order/arrangements?kind=savings", &token)
            .await,
        400,
    )
    .await;
    assert_eq!(
        first_error(&refused),
        ("kind".to_owned(), "not-on-list".to_owned())
    );
    let classification = app
        .get_ok("/customer-order/classifications/arrangement-kind", &token)
        .await;
    assert_eq!(classification["values"].as_array().map(Vec::len), Some(6));
}

#[tokio::test]
async fn another_customers_accounts_answer_404() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    // The guide's arrangement belongs to BRVU00002.
    problem(
        app.get("/customer-order/arrangements/0064200001930", &token)
            .await,
        404,
    )
    .await;
    problem(
        app.get(
            "/customer-order/arrangements?customer-number=BRVU00002",
            &token,
        )
        .await,
        404,
    )
    .await;
    for missing in ["0064299999999", "no%20such", "%3Cx%3E"] {
        problem(
            app.get(&format!("/customer-order/arrangements/{missing}"), &token)
                .await,
            404,
        )
        .await;
    }
    let mut request = bankapi::auth::mint::TokenRequest::customer("1400269");
    request.scopes = vec!["customer-event:read".into()];
    let events_only = app.mint(&request);
    problem(
        app.get("/customer-order/arrangements", &events_only).await,
        403,
    )
    .await;
}

#[tokio::test]
async fn staff_page_through_every_account() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let all = app
        .get_ok("/customer-order/arrangements?page-size=100", &staff)
        .await;
    let total = all["total-count"].as_u64().expect("total");
    assert_eq!(total, 14, "the demo's accounts");
    let mut walked = Vec::new();
    for number in 1..=3 {
        let page = app
            .get_ok(
                &format!("/customer-order/arrangements?page-size=5&page-number={number}"),
                &staff,
            )
            .await;
        assert_eq!(page["total-pages"], 3);
        walked.extend(numbers(&page).into_iter().map(str::to_owned));
    }
    let everything: Vec<String> = numbers(&all).into_iter().map(str::to_owned).collect();
    assert_eq!(walked, everything, "pages in order, none twice");
    let theirs = app
        .get_ok(
            "/customer-order/arrangements?customer-number=BRVU00002",
            &staff,
        )
        .await;
    assert_eq!(numbers(&theirs), ["0064200001930", "0064200002097"]);
    problem(
        app.get("/customer-order/arrangements?page-size=0", &staff)
            .await,
        400,
    )
    .await;
}

/// The euro account's status in its own view and in the list, which must agree.
async fn status(app: &TestApp, token: &str) -> Value {
    let one = app
        .get_ok("/customer-order/arrangements/0064200002022", token)
        .await["status"]
        .clone();
    let listed = app.get_ok("/customer-order/arrangements", token).await;
    let in_list = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["arrangement-number"] == "0064200002022")
        .map(|a| a["status"].clone())
        .expect("listed");
    assert_eq!(one, in_list, "the list and the item agree");
    one
}

#[tokio::test]
async fn an_account_is_terminating_while_its_checked_closure_is_under_way() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let response = app
        .post_json(
            "/customer-order/current-account-terminations",
            &token,
            &serde_json::json!({"account-number": "0064200002022", "cash-payout": true, "termination-reason": "other"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let created: Value = response.json().await.expect("json");
    let id = created["id"].as_str().expect("an id").to_owned();
    assert_eq!(status(&app, &token).await, "active", "not checked yet");
    app.run_orders().await;
    assert_eq!(
        status(&app, &token).await,
        "terminating",
        "awaiting confirmation"
    );
    let canceled = app
        .post_json(
            &format!("/customer-order/current-account-terminations/{id}/cancel"),
            &token,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(canceled.status(), 204);
    assert_eq!(
        status(&app, &token).await,
        "active",
        "the closure was canceled"
    );
}

//! Arrangement amendments (API.md section 9): an account moves to another product of its
//! own kind, and the order's view shows the product before and after.

use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};

#[tokio::test]
async fn an_account_moves_to_another_product_of_its_kind() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let response = app
        .post_json(
            "/customer-order/arrangement-amendments",
            &token,
            &json!({"arrangement-number": "0064200002022", "new-product-code": "current-plus", "campaign-code": "SPRING-2026"}),
        )
        .await;
    let created: Value = response.json().await.expect("json");
    let id = created["id"].as_str().expect("an id").to_owned();
    let pending = app
        .get_ok(
            &format!("/customer-order/arrangement-amendments/{id}"),
            &token,
        )
        .await;
    assert_eq!(pending["effective-date"], Value::Null, "{pending}");
    app.run_orders().await;
    let done = app
        .get_ok(
            &format!("/customer-order/arrangement-amendments/{id}"),
            &token,
        )
        .await;
    assert_eq!(done["status"], "external-processing-succeeded", "{done}");
    assert_eq!(done["previous-product-code"], "current-standard");
    assert_eq!(done["previous-product-name"], "Current account");
    assert_eq!(done["product-name"], "Current account plus");
    assert_eq!(done["campaign-code"], "SPRING-2026");
    assert!(done["effective-date"].is_string(), "{done}");
    let account = app
        .get_ok("/customer-order/arrangements/0064200002022", &token)
        .await;
    assert_eq!(account["product-code"], "current-plus");
    assert_eq!(account["product-name"], "Current account plus");
    assert_eq!(
        account["balance"], "843.12",
        "a product change moves no money"
    );
}

#[tokio::test]
async fn an_amendment_is_refused_outside_the_accounts_kind() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let cases = [
        ("0064200002022", "bundle-gold", 422, "product-not-eligible"),
        (
            "0064200002022",
            "current-standard",
            409,
            "product-already-active",
        ),
        ("0064200001948", "MasterCard", 422, "product-not-eligible"),
    ];
    for (account, product, status, literal) in cases {
        let response = app
            .post_json(
                "/customer-order/arrangement-amendments",
                &token,
                &json!({"arrangement-number": account, "new-product-code": product}),
            )
            .await;
        let refused = problem(response, status).await;
        assert_eq!(
            refused["problem"], literal,
            "{account} -> {product}: {refused}"
        );
    }
    let unknown = app
        .post_json(
            "/customer-order/arrangement-amendments",
            &token,
            &json!({"arrangement-number": "0064200002022", "new-product-code": "platinum"}),
        )
        .await;
    let invalid = problem(unknown, 400).await;
    assert_eq!(invalid["errors"][0]["error"], "not-on-list");
    let theirs = app
        .post_json(
            "/customer-order/arrangement-amendments",
            &token,
            &json!({"arrangement-number": "0064200002071", "new-product-code": "current-standard"}),
        )
        .await;
    problem(theirs, 404).await;
}

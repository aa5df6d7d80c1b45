//! The newer generation's order resources (API.md section 9): `GET /orders` with csv
//! `statuses` and `kinds`, `GET /me/orders`, and get, cancel and confirm by number alone,
//! over card and account orders together.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_error, problem};

async fn place(app: &TestApp, token: &str, resource: &str, body: Value) -> String {
    let response = app
        .post_json(&format!("/customer-order/{resource}"), token, &body)
        .await;
    let answer: Value = response.json().await.expect("JSON");
    answer["id"].as_str().expect("an id").to_owned()
}

fn numbers(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["order-number"].as_str())
        .collect()
}

#[tokio::test]
async fn orders_of_every_kind_are_listed_by_sets_of_statuses_and_kinds() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let facility = place(
        &app,
        &token,
        "credit-facility-terminations",
        json!({"account-number": "0064200002063"}),
    )
    .await;
    let closing = place(
        &app,
        &token,
        "current-account-terminations",
        json!({"account-number": "0064200002022", "cash-payout": true, "termination-reason": "other"}),
    )
    .await;
    app.run_orders().await;

    let waiting = app
        .get_ok(
            "/customer-order/orders?statuses=awaiting-confirmation&kinds=credit-facility-terminations,current-account-termination&sort-order=asc",
            &token,
        )
        .await;
    assert_eq!(
        numbers(&waiting),
        [facility.as_str(), closing.as_str()],
        "{waiting}"
    );
    assert_eq!(waiting["items"][0]["customer-friendly-status"], "active");
    let next_or_self = waiting["navigations"]
        .as_array()
        .expect("navigations")
        .iter()
        .filter_map(|n| n["href"].as_str())
        .next()
        .expect("a link");
    assert!(
        next_or_self.contains("statuses=awaiting-confirmation")
            && next_or_self
                .contains("kinds=credit-facility-termination%2Ccurrent-account-termination"),
        "links repeat the filters, canonical: {next_or_self}"
    );
    let only_loans = app
        .get_ok("/customer-order/orders?kinds=loan-termination", &token)
        .await;
    assert_eq!(only_loans["total-count"], 0);

    let mine = app
        .get_ok(
            "/customer-order/me/orders?statuses=awaiting-confirmation",
            &token,
        )
        .await;
    assert_eq!(mine["total-count"], 2, "{mine}");
    let refused = app
        .get("/customer-order/me/orders", &app.staff_token())
        .await;
    problem(refused, 403).await;

    let bad = problem(
        app.get("/customer-order/orders?statuses=proposed,waiting", &token)
            .await,
        400,
    )
    .await;
    assert_eq!(
        first_error(&bad),
        ("statuses".into(), "unknown-enum".into())
    );
    let bad = problem(
        app.get("/customer-order/orders?kinds=loans", &token).await,
        400,
    )
    .await;
    assert_eq!(first_error(&bad).0, "kinds");
}

#[tokio::test]
async fn an_order_is_read_canceled_and_confirmed_by_its_number_alone() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let blockade = place(
        &app,
        &token,
        "card-blockades",
        json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    let facility = place(
        &app,
        &token,
        "credit-facility-terminations",
        json!({"account-number": "0064200002063"}),
    )
    .await;

    let card_view = app
        .get_ok(&format!("/customer-order/orders/{blockade}"), &token)
        .await;
    assert_eq!(
        card_view["blockade-reason"], "temporary-blockage",
        "{card_view}"
    );
    let account_view = app
        .get_ok(&format!("/customer-order/orders/{facility}"), &token)
        .await;
    assert_eq!(
        account_view["account-number"], "0064200002063",
        "{account_view}"
    );
    assert_eq!(account_view["kind"], "credit-facility");

    let canceled = app
        .post_json(
            &format!("/customer-order/orders/{blockade}/cancel"),
            &token,
            &json!({"cancelation-reason": "found the card"}),
        )
        .await;
    assert_eq!(canceled.status(), 204);
    let view = app
        .get_ok(
            &format!("/customer-order/card-blockades/{blockade}"),
            &token,
        )
        .await;
    assert_eq!(view["status"], "canceled");
    assert_eq!(view["cancelation-reason"], "found the card");
    assert_eq!(view["rejection-reason"], Value::Null);

    // Confirming a card order, or before the check has run, is refused.
    let early = problem(
        app.post_json(
            &format!("/customer-order/orders/{facility}/confirm"),
            &token,
            &json!({}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(
        early["problem"],
        "request-status-not-eligible-for-confirmation"
    );
    app.run_orders().await;
    let confirmed = app
        .client
        .post(app.url(&format!("/customer-order/orders/{facility}/confirm")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("confirm");
    assert_eq!(confirmed.status(), 204, "a confirm needs no body");
    app.run_orders().await;
    let done = app
        .get_ok(&format!("/customer-order/orders/{facility}"), &token)
        .await;
    assert_eq!(done["status"], "external-processing-succeeded", "{done}");

    // Someone else's order is not there for this customer.
    let other = app.customer_token("1400054");
    problem(
        app.get(&format!("/customer-order/orders/{facility}"), &other)
            .await,
        404,
    )
    .await;
    let cancel_other = app
        .post_json(
            &format!("/customer-order/orders/{facility}/cancel"),
            &other,
            &json!({}),
        )
        .await;
    problem(cancel_other, 404).await;
}

/// A customer's list holds the orders they own and the orders on cards they hold on
/// someone else's account, and only those: the holder of an additional card sees the
/// issuance, as its owner does, and whoever is neither does not.
#[tokio::test]
async fn a_customers_list_holds_the_orders_they_own_or_hold() {
    let app = TestApp::spawn_demo().await;
    let issuance = place(
        &app,
        &app.staff_token(),
        "additional-card-issuances",
        json!({"authorized-customer-number": "1400054", "arrangement-number": "0064200001930"}),
    )
    .await;
    let own = place(
        &app,
        &app.customer_token("1400054"),
        "card-blockades",
        json!({"card-id": "C0000000301", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    let listed = |customer: &'static str| {
        let app = &app;
        async move {
            let page = app
                .get_ok(
                    "/customer-order/me/orders?sort-order=asc",
                    &app.customer_token(customer),
                )
                .await;
            numbers(&page)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("1400054").await, [issuance.clone(), own.clone()]);
    assert_eq!(listed("BRVU00002").await, std::slice::from_ref(&issuance));
    let others = listed("1400269").await;
    assert!(
        !others.contains(&issuance) && !others.contains(&own),
        "{others:?}"
    );
    let staff = app
        .get_ok(
            "/customer-order/orders?customer-number=1400054",
            &app.staff_token(),
        )
        .await;
    assert_eq!(staff["total-count"], 2, "{staff}");
}

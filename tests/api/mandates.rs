//! The mandate views of API.md section 9: `GET /mandates` (given and received) and
//! `GET /mandates/{mandate-number}` over the demo's mandates, seen by the grantor, the
//! holder, a stranger and staff.

use serde_json::Value;

use crate::helpers::{TestApp, first_error, problem};

fn numbers(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|m| m["mandate-number"].as_str())
        .collect()
}

#[tokio::test]
async fn a_customer_sees_the_mandates_it_gave_and_the_ones_it_holds() {
    let app = TestApp::spawn_demo().await;
    let grantor = app.customer_token("1400269");
    let holder = app.customer_token("1400054");
    let given = app.get_ok("/customer-order/mandates", &grantor).await;
    assert_eq!(numbers(&given), ["M0000000301", "M0000000303"]);
    let received = app
        .get_ok("/customer-order/mandates?role=received", &grantor)
        .await;
    assert_eq!(received["total-count"], 0);
    let theirs = app
        .get_ok("/customer-order/mandates?role=RECEIVED", &holder)
        .await;
    assert_eq!(numbers(&theirs), ["M0000000301"]);
    let mandate = &theirs["items"][0];
    assert_eq!(mandate["arrangement-number"], "0064200002014");
    assert_eq!(mandate["grantor-customer-number"], "1400269");
    assert_eq!(mandate["customer-number"], "1400054");
    assert_eq!(mandate["nickname"], "Household");
    assert_eq!(mandate["status"], "active");
    assert_eq!(mandate["granted-on"], "2024-03-01");
    assert_eq!(mandate["revoked-on"], Value::Null);
    assert_eq!(
        app.get_ok("/customer-order/mandates?role=given", &holder)
            .await["total-count"],
        0
    );

    let revoked = app
        .get_ok("/customer-order/mandates/M0000000303", &grantor)
        .await;
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoked-on"], "2024-06-30");
    for token in [&grantor, &holder] {
        app.get_ok("/customer-order/mandates/M0000000301", token)
            .await;
    }
}

#[tokio::test]
async fn a_stranger_gets_404_and_a_bad_role_400() {
    let app = TestApp::spawn_demo().await;
    let stranger = app.customer_token("MIGR00002");
    problem(
        app.get("/customer-order/mandates/M0000000301", &stranger)
            .await,
        404,
    )
    .await;
    problem(
        app.get(
            "/customer-order/mandates?customer-number=1400269",
            &stranger,
        )
        .await,
        404,
    )
    .await;
    for missing in ["M0000009999", "x%20y"] {
        problem(
            app.get(&format!("/customer-order/mandates/{missing}"), &stranger)
                .await,
            404,
        )
        .await;
    }
    let refused = problem(
        app.get("/customer-order/mandates?role=owner", &stranger)
            .await,
        400,
    )
    .await;
    assert_eq!(
        first_error(&refused),
        ("role".to_owned(), "not-on-list".to_owned())
    );
}

#[tokio::test]
async fn staff_see_every_mandate() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let all = app.get_ok("/customer-order/mandates", &staff).await;
    assert_eq!(numbers(&all), ["M0000000301", "M0000000302", "M0000000303"]);
    let brvu = app
        .get_ok(
            "/customer-order/mandates?customer-number=BRVU00002&role=received",
            &staff,
        )
        .await;
    assert_eq!(numbers(&brvu), ["M0000000303"]);
    let status = app
        .get_ok("/customer-order/classifications/mandate-status", &staff)
        .await;
    assert_eq!(status["values"].as_array().map(Vec::len), Some(2));
}

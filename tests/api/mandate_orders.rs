//! Mandate orders (API.md section 9): granting mandates on the initiator's accounts and
//! revoking one, each through to its effect under `GET /mandates` and its events, with
//! the refusals and the visibility of a customer's token.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_error, newest_communication, problem};

async fn place(app: &TestApp, token: &str, resource: &str, body: Value) -> String {
    let response = app
        .post_json(&format!("/customer-order/{resource}"), token, &body)
        .await;
    let status = response.status();
    let answer: Value = response.json().await.expect("JSON");
    assert_eq!(status, 202, "POST {resource}: {answer}");
    answer["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn an_assignment_grants_every_mandate_it_lists_and_a_revocation_ends_one() {
    let app = TestApp::spawn_demo().await;
    let owner = app.customer_token("1400269");
    let id = place(
        &app,
        &owner,
        "mandate-assignments",
        json!({"initiator-customer-number": "1400269", "items": [
            {"arrangement-number": "0064200002022", "nickname": "Euro savings", "customer-number": "1400054"},
            {"arrangement-number": "0064200002030", "customer-number": "MIGR00002"}
        ]}),
    )
    .await;
    app.run_orders().await;
    let done = app
        .get_ok(&format!("/customer-order/mandate-assignments/{id}"), &owner)
        .await;
    assert_eq!(done["status"], "external-processing-succeeded", "{done}");
    assert_eq!(done["items"][0]["nickname"], "Euro savings");
    assert_eq!(done["initiator-customer-name"], "Marko Jovanovic");

    let digits = &id[2..];
    let first = format!("M{digits}-01");
    let holder = app.customer_token("1400054");
    let mandate = app
        .get_ok(&format!("/customer-order/mandates/{first}"), &holder)
        .await;
    assert_eq!(mandate["status"], "active", "{mandate}");
    assert_eq!(mandate["arrangement-number"], "0064200002022");
    let given = app
        .get_ok("/customer-order/mandates?role=given", &owner)
        .await;
    assert_eq!(
        given["total-count"], 4,
        "two demo mandates and two new: {given}"
    );
    let note = newest_communication(&app, "1400269", &owner).await;
    assert_eq!(note["workitem-id"], id.as_str());

    // The holder gives it up.
    let revocation = place(
        &app,
        &holder,
        "mandate-revocations",
        json!({"mandate-number": first}),
    )
    .await;
    app.run_orders().await;
    let ended = app
        .get_ok(&format!("/customer-order/mandates/{first}"), &owner)
        .await;
    assert_eq!(ended["status"], "revoked", "{ended}");
    assert!(ended["revoked-on"].is_string());
    let view = app
        .get_ok(
            &format!("/customer-order/mandate-revocations/{revocation}"),
            &owner,
        )
        .await;
    assert_eq!(
        view["grantor-customer-number"], "1400269",
        "the grantor sees it too"
    );
    assert_eq!(view["holder-customer-number"], "1400054");

    // Revoked is revoked.
    let again = app
        .post_json(
            "/customer-order/mandate-revocations",
            &owner,
            &json!({"mandate-number": first}),
        )
        .await;
    assert_eq!(
        problem(again, 409).await["problem"],
        "mandate-status-not-eligible"
    );
}

#[tokio::test]
async fn mandate_orders_are_refused_with_their_problem_literals() {
    let app = TestApp::spawn_demo().await;
    let owner = app.customer_token("1400269");
    let post = |resource: &'static str, token: String, body: Value| {
        let app = &app;
        async move {
            app.post_json(&format!("/customer-order/{resource}"), &token, &body)
                .await
        }
    };
    let assign = |items: Value| json!({"initiator-customer-number": "1400269", "items": items});
    // 1400054 already holds M0000000301 on the dinar current account.
    let twice = post(
        "mandate-assignments",
        owner.clone(),
        assign(json!([{"arrangement-number": "0064200002014", "customer-number": "1400054"}])),
    )
    .await;
    assert_eq!(
        problem(twice, 409).await["problem"],
        "mandate-already-exists"
    );
    // Oneself.
    let own = post(
        "mandate-assignments",
        owner.clone(),
        assign(json!([{"arrangement-number": "0064200002022", "customer-number": "1400269"}])),
    )
    .await;
    assert_eq!(problem(own, 422).await["problem"], "policy-violation");
    // Someone else's account, or someone else as initiator, or nobody: as if none existed.
    for body in [
        assign(json!([{"arrangement-number": "0064200002071", "customer-number": "1400054"}])),
        json!({"initiator-customer-number": "1400054", "items": [{"arrangement-number": "0064200002071", "customer-number": "1400269"}]}),
        assign(json!([{"arrangement-number": "0064200002022", "customer-number": "NOBODY1"}])),
    ] {
        problem(post("mandate-assignments", owner.clone(), body).await, 404).await;
    }
    // The list's shape.
    let empty = problem(
        post("mandate-assignments", owner.clone(), assign(json!([]))).await,
        400,
    )
    .await;
    assert_eq!(first_error(&empty), ("items".into(), "min-length".into()));
    let doubled = problem(
        post(
            "mandate-assignments",
            owner.clone(),
            assign(json!([
                {"arrangement-number": "0064200002022", "customer-number": "1400054"},
                {"arrangement-number": "0064200002022", "customer-number": "1400054"}
            ])),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(first_error(&doubled).0, "items[1]");
    let bad_item = problem(
        post(
            "mandate-assignments",
            owner.clone(),
            assign(json!([{"arrangement-number": "0064200002022"}])),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        first_error(&bad_item),
        ("items[0].customer-number".into(), "required".into())
    );
    // A mandate the caller neither gave nor holds.
    let stranger = app.customer_token("1400054");
    problem(
        post(
            "mandate-revocations",
            stranger,
            json!({"mandate-number": "M0000000302"}),
        )
        .await,
        404,
    )
    .await;
    // Nothing changed.
    let given = app
        .get_ok("/customer-order/mandates?role=given", &owner)
        .await;
    assert_eq!(given["total-count"], 2);
}

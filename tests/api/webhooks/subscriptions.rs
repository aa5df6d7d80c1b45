//! What a subscription refuses: private targets, bad input, and customers (staff only).

use super::*;

#[tokio::test]
async fn subscriptions_refuse_private_targets_bad_input_and_customers() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let path = "/customer-event/webhook-subscriptions";
    for (body, tag, literal) in [
        (
            json!({"url": "http://127.0.0.1:9/hook"}),
            "url",
            "not-on-list",
        ),
        (json!({"url": "http://[::1]/hook"}), "url", "not-on-list"),
        (json!({"url": "http://10.0.0.8/hook"}), "url", "not-on-list"),
        (
            json!({"url": "ftp://example.com/hook"}),
            "url",
            "invalid-format",
        ),
        (json!({"url": "not a url"}), "url", "invalid-format"),
        (json!({"description": "no url"}), "url", "required"),
        (
            json!({"url": "https://93.184.215.14/h", "event-kinds": ["Gossip"]}),
            "event-kinds",
            "unknown-enum",
        ),
        (
            json!({"url": "https://93.184.215.14/h", "customer-number": "lower"}),
            "customer-number",
            "invalid-format",
        ),
    ] {
        let response = app.post_json(path, &staff, &body).await;
        let answer = problem(response, 400).await;
        assert_eq!(answer["errors"][0]["tag"], tag, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["error"], literal, "{body}: {answer}");
    }
    let listed = app.get_ok(path, &staff).await;
    assert_eq!(listed["total-count"], 0, "a refusal changes nothing");

    let customer = app
        .post_json(
            path,
            &app.customer_token(CUSTOMER),
            &json!({"url": "https://93.184.215.14/h"}),
        )
        .await;
    assert_eq!(customer.status(), 403);
    let created = app
        .post_json(path, &staff, &json!({"url": "https://93.184.215.14/h"}))
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    let id = created["subscription-id"].as_i64().expect("id");
    assert_eq!(app.get(&format!("{path}/abc"), &staff).await.status(), 400);
    assert_eq!(
        app.get(&format!("{path}/999999"), &staff).await.status(),
        404
    );
    let deleted = app
        .client
        .delete(app.url(&format!("{path}/{id}")))
        .bearer_auth(&staff)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get(&format!("{path}/{id}"), &staff).await.status(), 404);
}

//! The documents say what the service sends: every member of a real answer is a property
//! its operation's documented schema declares, under the same name. A generated client
//! reads only declared names, so a misnamed field (the event document once named the
//! typed fields in snake_case) would be invisible to it; Schemathesis does not notice,
//! because undeclared members are allowed by the schemas.

use serde_json::{Value, json};

use crate::helpers::TestApp;

mod browsers;

/// A document as the service serves it (no token needed).
/// The schema `schema` points to, following `$ref`s into `doc`'s components.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..32 {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return schema;
        };
        let name = reference.trim_start_matches("#/components/schemas/");
        schema = &doc["components"]["schemas"][name];
    }
    schema
}

/// `schema` and every schema it is an `allOf` of, however deep (a flattened struct that
/// flattens another is an `allOf` inside an `allOf`).
fn all_of<'a>(doc: &'a Value, schema: &'a Value, parts: &mut Vec<&'a Value>) {
    let schema = resolve(doc, schema);
    parts.push(schema);
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        all_of(doc, part, parts);
    }
}

/// Every place in `value` where a member is not declared by `schema`, as JSON paths.
fn undeclared(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    // One branch of a choice must fit; report the closest one.
    for choice in ["oneOf", "anyOf"] {
        if let Some(branches) = schema.get(choice).and_then(Value::as_array) {
            return branches
                .iter()
                .map(|branch| undeclared(doc, branch, value, at))
                .min_by_key(Vec::len)
                .unwrap_or_default();
        }
    }
    match value {
        Value::Object(members) => {
            let mut properties = serde_json::Map::new();
            let mut open = false;
            let mut parts = Vec::new();
            all_of(doc, schema, &mut parts);
            for part in parts {
                if let Some(props) = part.get("properties").and_then(Value::as_object) {
                    properties.extend(props.clone());
                }
                open |= part
                    .get("additionalProperties")
                    .is_some_and(|a| a != &Value::Bool(false));
            }
            let mut faults = Vec::new();
            for (name, member) in members {
                match properties.get(name) {
                    Some(property) => {
                        faults.extend(undeclared(doc, property, member, &format!("{at}.{name}")))
                    }
                    None if open => {}
                    None => faults.push(format!("{at}.{name}")),
                }
            }
            faults
        }
        Value::Array(items) => match schema.get("items") {
            Some(item_schema) => items
                .iter()
                .enumerate()
                .flat_map(|(i, item)| undeclared(doc, item_schema, item, &format!("{at}[{i}]")))
                .collect(),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The documented schema of `path`'s 200 answer to a GET.
fn ok_schema<'a>(doc: &'a Value, path: &str) -> &'a Value {
    let schema =
        &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{path} documents no JSON 200 answer");
    schema
}

/// GETs `url` and checks its answer against the schema `path` documents.
async fn check(app: &TestApp, doc: &Value, path: &str, url: &str, token: &str) -> Value {
    let body = app.get_ok(url, token).await;
    let faults = undeclared(doc, ok_schema(doc, path), &body, "$");
    assert!(
        faults.is_empty(),
        "GET {url} sends members that {path}'s document does not declare: {faults:?}"
    );
    body
}

#[tokio::test]
async fn every_member_of_an_event_answer_is_declared_under_its_wire_name() {
    let app = TestApp::spawn_demo().await;
    let doc = app.document("/customer-event/openapi.json").await;
    let token = app.staff_token();
    let list = "/customer-event/events?customer-number=1400269&page-size=100";
    check(&app, &doc, "/events", list, &token).await;
    let mut typed = 0;
    for (kind, resource) in [
        ("CommunicationEvent", "communication-events"),
        ("SocialEvent", "social-events"),
        (
            "AccountingTransactionEvent",
            "accounting-transaction-events",
        ),
        ("CustomerCaseEvent", "customer-case-events"),
        ("ArrangementActivityEvent", "arrangement-activity-events"),
        ("ProfileMaintenanceEvent", "profile-maintenance-events"),
        ("ChargableActivityEvent", "chargable-activity-events"),
        ("SecurityEvent", "security-events"),
    ] {
        let page = app
            .get_ok(
                &format!(
                    "/customer-event/events?page-size=1&event-kind={kind}&customer-number=1400269"
                ),
                &token,
            )
            .await;
        let Some(id) = page["items"][0]["event-id"].as_i64() else {
            continue;
        };
        let path = format!("/{resource}/{{event-id}}");
        let body = check(
            &app,
            &doc,
            &path,
            &format!("/customer-event/{resource}/{id}"),
            &token,
        )
        .await;
        check(
            &app,
            &doc,
            "/events/{event-id}",
            &format!("/customer-event/events/{id}"),
            &token,
        )
        .await;
        assert!(body.is_object());
        typed += 1;
    }
    assert!(
        typed >= 6,
        "the demo customer has events of only {typed} kinds"
    );
}

#[tokio::test]
async fn every_member_of_an_order_answer_is_declared_under_its_wire_name() {
    let app = TestApp::spawn_demo().await;
    let doc = app.document("/customer-order/openapi.json").await;
    let token = app.staff_token();
    let today = chrono::Utc::now().date_naive().to_string();
    // An order of every kind, so that each view has an item to check.
    for (resource, body) in [
        ("card-activations", json!({"card-id": "C0000000202"})),
        (
            "card-blockades",
            json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
        ),
        ("card-deblockades", json!({"card-id": "C0000000203"})),
        (
            "card-terminations",
            json!({"card-id": "C0000000206", "termination-reason": "customer-request"}),
        ),
        (
            "card-replacements",
            json!({"card-id": "C0000000301", "replacement-reason": "damaged-card"}),
        ),
        (
            "additional-card-issuances",
            json!({"authorized-customer-number": "1400054", "arrangement-number": "0064200001930"}),
        ),
        (
            "current-account-terminations",
            json!({"account-number": "0064200002022", "cash-payout": true, "termination-reason": "other"}),
        ),
        (
            "bundled-account-terminations",
            json!({"account-number": "0064200002030", "domestic-currency-settlement-account-number": "0064200002014", "swift-code": "AIKBRS22"}),
        ),
        (
            "credit-facility-terminations",
            json!({"account-number": "0064200002063", "redemption-reason": "own-funds", "additional-info": "bonus"}),
        ),
        (
            "mandate-assignments",
            json!({"initiator-customer-number": "1400269", "items": [{"arrangement-number": "0064200002022", "nickname": "Euro", "customer-number": "1400054"}]}),
        ),
        (
            "mandate-revocations",
            json!({"mandate-number": "M0000000301"}),
        ),
        // Paying today: its first payment is made in the same run, so that the payments'
        // view has an item too (the newest of `/orders`).
        (
            "standing-orders",
            json!({
                "nickname": "Contract",
                "product-code": "standing-order-internal",
                "transfer-details": {
                    "debtor-account-number": "0064200002014",
                    "creditor-name": "Ana Petrovic",
                    "creditor-account-number": "0064200002071",
                    "amount": {"currency-code": "RSD", "amount": 1.5}
                },
                "start-date": today,
                "end-date": today,
                "frequency": {"unit-of-time": "days"}
            }),
        ),
    ] {
        let response = app
            .post_json(&format!("/customer-order/{resource}"), &token, &body)
            .await;
        assert_eq!(response.status(), 202, "POST {resource}");
    }
    app.run_orders().await;
    // `/me/...` lists the token's own customer's: a customer token's.
    let customer = app.customer_token("1400269");
    let paths: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(path, _)| path.clone())
        .collect();
    let mut checked = 0;
    for path in paths.iter().filter(|p| !p.contains('{')) {
        let token = if path.starts_with("/me/") {
            &customer
        } else {
            &token
        };
        // The operations whose parameters are required get a value.
        let query = match path.as_str() {
            "/calculations/deposit-termination" => "?arrangement-number=0064200002048",
            "/calculations/deposit-payout" => "?account=0064200002089&currency-id=EUR",
            _ => "",
        };
        let body = check(
            &app,
            &doc,
            path,
            &format!("/customer-order{path}{query}"),
            token,
        )
        .await;
        checked += 1;
        // Each listed item's own GET, where the document has one.
        let item_path = format!("{path}/{{order-number}}");
        if paths.contains(&item_path) {
            for item in body["items"].as_array().into_iter().flatten().take(3) {
                let Some(number) = item["order-number"].as_str() else {
                    continue;
                };
                check(
                    &app,
                    &doc,
                    &item_path,
                    &format!("/customer-order{path}/{number}"),
                    token,
                )
                .await;
                checked += 1;
            }
        }
    }
    assert!(checked >= 12, "only {checked} answers were checked");
}

#[tokio::test]
async fn a_query_parameter_the_operation_does_not_declare_is_a_400_naming_it() {
    let app = TestApp::spawn_demo().await;
    let token = app.staff_token();
    for path in [
        // The reference's plural where this service takes `status`: never an unfiltered
        // list that looks filtered.
        "/customer-order/card-activations?statuses=approved",
        "/customer-order/v2.0/card-activations?page-size=5&statuses=approved",
        "/customer-event/events/258242?fields=event-id",
        "/customer-event/v2.0/events?customer-number=1400269&sort=desc",
        "/customer-order/classifications?x=1",
    ] {
        let response = app.get(path, &token).await;
        assert_eq!(response.status(), 400, "GET {path}");
        let problem: Value = response.json().await.expect("problem");
        let name = path
            .rsplit(['?', '&'])
            .next()
            .and_then(|pair| pair.split('=').next())
            .expect("a parameter");
        assert_eq!(problem["errors"][0]["tag"], name, "{path}: {problem}");
        assert_eq!(problem["errors"][0]["error"], "not-on-list", "{path}");
    }
    // A refused write changes nothing.
    let before = app
        .get_ok("/customer-event/events?customer-number=1400269", &token)
        .await["total-count"]
        .clone();
    let response = app
        .post_json(
            "/customer-event/communication-events?dry-run=true",
            &token,
            &json!({"customer-number": "1400269", "event-data-xml": "<communication-event><title>x</title></communication-event>"}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["tag"], "dry-run", "{problem}");
    let after = app
        .get_ok("/customer-event/events?customer-number=1400269", &token)
        .await["total-count"]
        .clone();
    assert_eq!(before, after);
    // Declared parameters still work, on both roots.
    app.get_ok(
        "/customer-order/v2.0/card-activations?page-size=5&page-number=1",
        &token,
    )
    .await;
}

/// Both documents as served, kept in `tests/api/snapshots/`: any change of the contract
/// shows in review as a change of these files (`INSTA_UPDATE=always cargo test contract`
/// rewrites them; `cargo insta review` also works where cargo-insta is installed).
#[tokio::test]
async fn the_documents_change_only_on_purpose() {
    let app = TestApp::spawn().await;
    for (name, path) in [
        ("customer-event.openapi", "/customer-event/openapi.json"),
        ("customer-order.openapi", "/customer-order/openapi.json"),
        ("system-of-record.openapi", "/system-of-record/openapi.json"),
        ("audit.openapi", "/audit/openapi.json"),
    ] {
        let doc = app.document(path).await;
        insta::assert_json_snapshot!(name, doc, { ".servers[].url" => "[server]" });
    }
}

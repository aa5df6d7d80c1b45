//! Account orders refused with their problem literals, listed together across kinds, and
//! many engines settling accounts into one, exactly.

use super::*;

#[tokio::test]
async fn account_orders_are_refused_with_their_problem_literals() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token(CUSTOMER);
    let post = |resource: &'static str, body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            app.post_json(&format!("/customer-order/{resource}"), &token, &body)
                .await
        }
    };
    let cases = [
        // The deposit, the loan and the facility draw on this current account.
        (
            "current-account-terminations",
            json!({"account-number": CURRENT_RSD, "cash-payout": true, "termination-reason": "other"}),
            409,
            "linked-product-exists",
        ),
        // 843.12 EUR must go somewhere.
        (
            "current-account-terminations",
            json!({"account-number": CURRENT_EUR, "cash-payout": false, "termination-reason": "other"}),
            422,
            "settlement-account-not-eligible",
        ),
        // An RSD account takes no EUR balance, and bankapi converts nothing.
        (
            "current-account-terminations",
            json!({"account-number": CURRENT_EUR, "cash-payout": false, "termination-reason": "other",
            "domestic-currency-settlement-account-number": CURRENT_RSD, "convert-to-domestic-currency": true}),
            422,
            "settlement-account-not-eligible",
        ),
        // A bundled account through the current accounts' resource.
        (
            "current-account-terminations",
            json!({"account-number": BUNDLED, "cash-payout": true, "termination-reason": "other"}),
            422,
            "account-kind-not-eligible",
        ),
        // 450,000.00 RSD owed, 184,520.50 RSD on the current account.
        (
            "loan-terminations",
            json!({"account-number": LOAN}),
            422,
            "insufficient-funds",
        ),
    ];
    for (resource, body, status, literal) in cases {
        let refused = problem(post(resource, body.clone()).await, status).await;
        assert_eq!(refused["problem"], literal, "{resource} {body}: {refused}");
    }
    // Someone else's account, or someone else's settlement account: as if none existed.
    for body in [
        json!({"account-number": "0064200002071", "cash-payout": true, "termination-reason": "other"}),
        json!({"account-number": CURRENT_EUR, "cash-payout": false, "termination-reason": "other",
               "domestic-currency-settlement-account-number": "0064200002097"}),
    ] {
        problem(post("current-account-terminations", body).await, 404).await;
    }
    // A current account's termination names its payout and its reason.
    let invalid = problem(
        post(
            "current-account-terminations",
            json!({"account-number": CURRENT_EUR}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        first_error(&invalid),
        ("cash-payout".into(), "required".into())
    );
    // The same account twice while the first is active.
    place(
        &app,
        "credit-facility-terminations",
        json!({"account-number": FACILITY}),
    )
    .await;
    let twice = problem(
        post(
            "credit-facility-terminations",
            json!({"account-number": FACILITY}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(twice["problem"], "request-already-exists");
    // Nothing changed on any account.
    assert_eq!(account(&app, CURRENT_EUR).await["balance"], "843.12");
    assert_eq!(account(&app, LOAN).await["status"], "active");
}

#[tokio::test]
async fn account_terminations_of_every_kind_are_listed_together() {
    let app = TestApp::spawn_demo().await;
    let closing = place(
        &app,
        "bundled-account-terminations",
        json!({"account-number": BUNDLED, "domestic-currency-settlement-account-number": CURRENT_RSD}),
    )
    .await;
    let redeeming = place(
        &app,
        "credit-facility-terminations",
        json!({"account-number": FACILITY}),
    )
    .await;
    place(
        &app,
        "card-blockades",
        json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    let page = app
        .get_ok(
            "/customer-order/account-terminations?sort-order=asc",
            &app.customer_token(CUSTOMER),
        )
        .await;
    assert_eq!(page["total-count"], 2, "card orders are not listed: {page}");
    let first = &page["items"][0];
    assert_eq!(first["order-number"], closing.as_str());
    assert_eq!(first["kind"], "bundled-account");
    assert_eq!(first["product-number"], "bundle-gold");
    assert_eq!(first["customer-name"], "Marko Jovanovic");
    assert_eq!(
        first["domestic-currency-settlement-account-number"],
        CURRENT_RSD
    );
    assert_eq!(first["cash-payout"], false);
    let second = &page["items"][1];
    assert_eq!(second["order-number"], redeeming.as_str());
    assert_eq!(second["kind"], "credit-facility");
    assert_eq!(
        second["domestic-currency-settlement-account-number"],
        Value::Null
    );
    let other = app.customer_token("1400054");
    let theirs = app
        .get_ok("/customer-order/account-terminations", &other)
        .await;
    assert_eq!(theirs["total-count"], 0);
}

/// An active account of the test's customer `1400269`.
fn test_account(
    number: &str,
    kind: bankapi::domain::account::ArrangementKind,
    minor: i64,
) -> bankapi::domain::account::Account {
    use bankapi::domain::account::{Account, ArrangementStatus, CurrencyCode, Money};
    Account {
        number: bankapi::domain::identifier::ArrangementNumber::parse("a", number)
            .expect("a number"),
        kind,
        owner: bankapi::domain::CustomerNumber::parse("c", CUSTOMER).expect("a customer"),
        product_code: "bundle-gold".into(),
        product_name: "Gold package account".into(),
        balance: Money {
            currency: CurrencyCode::parse("c", "RSD").expect("RSD"),
            minor,
        },
        status: ArrangementStatus::Active,
        linked: None,
        allows_cards: false,
        card_limit: 0,
        deposit: None,
    }
}

#[tokio::test]
async fn two_engines_settling_many_accounts_into_one_leave_it_exact() {
    use bankapi::domain::account::ArrangementKind;
    let app = TestApp::spawn_demo().await;
    let count = 24_i64;
    let accounts: Vec<_> = (1..=count)
        .map(|i| {
            test_account(
                &format!("T{i:012}"),
                ArrangementKind::BundledAccount,
                i * 10_001,
            )
        })
        .collect();
    app.stores
        .orders
        .import_reference_data(&[], &accounts, &[])
        .await
        .expect("import the accounts");
    let mut ids = Vec::new();
    for account in &accounts {
        ids.push(
            place(
                &app,
                "bundled-account-terminations",
                json!({"account-number": account.number.as_str(),
                       "domestic-currency-settlement-account-number": CURRENT_RSD}),
            )
            .await,
        );
    }
    // And one order taking money out of the same account meanwhile.
    ids.push(
        place(
            &app,
            "credit-facility-terminations",
            json!({"account-number": FACILITY}),
        )
        .await,
    );
    app.run_orders().await;
    for (index, id) in ids.iter().enumerate() {
        let resource = if index + 1 == ids.len() {
            "credit-facility-terminations"
        } else {
            "bundled-account-terminations"
        };
        assert_eq!(confirm(&app, resource, id).await.status(), 204);
    }
    // Two engines, as two instances would run, small batches so that they interleave.
    let engine = || {
        Engine::new(
            app.stores.orders.clone(),
            bankapi::operations::from_settings(&app.settings).expect("operations"),
            EngineSettings {
                batch: 3,
                ..EngineSettings::from_settings(&app.settings)
            },
        )
    };
    let (a, b) = (engine(), engine());
    let (first, second) = tokio::join!(a.run_until_idle(), b.run_until_idle());
    first.expect("engine a");
    second.expect("engine b");
    app.run_orders().await;
    for id in &ids[..ids.len() - 1] {
        let view = order(&app, "bundled-account-terminations", id).await;
        assert_eq!(view["status"], "external-processing-succeeded", "{view}");
    }
    // 184,520.50 + the sum of i * 100.01 for i in 1..=24 (300 * 100.01 = 30,003.00) - 20,000.00
    assert_eq!(account(&app, CURRENT_RSD).await["balance"], "194523.50");
    for number in accounts.iter().map(|a| a.number.to_string()) {
        let closed = account(&app, &number).await;
        assert_eq!(
            (closed["balance"].as_str(), closed["status"].as_str()),
            (Some("0.00"), Some("terminated")),
            "{number}"
        );
    }
    assert_eq!(
        bookings(&app, CURRENT_RSD).await.len(),
        25,
        "one credit per closure, one debit"
    );
}

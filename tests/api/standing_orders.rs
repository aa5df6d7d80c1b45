//! Standing orders (API.md section 9): set up as an order, then paid by the engine on
//! each date of their schedule exactly once (the engine's clock runs ahead in these
//! tests, so dates fall due without waiting); skip, rename, cancel and end date; the
//! refusals; and a current account that cannot close while a standing order pays from it.

use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, first_error, problem};

mod terms_and_views;

/// 1400269's package account (RSD 23,100.00): no demo standing order pays from it.
const DEBTOR: &str = "0064200002030";
/// 1400054's current account (RSD 91,200.00).
const CREDITOR: &str = "0064200002071";
/// 1400269's RSD current account (RSD 184,520.50).
const CURRENT_RSD: &str = "0064200002014";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A daily standing order of `amount` RSD from [`DEBTOR`] to [`CREDITOR`], from today
/// for `days` days.
fn daily(amount: &str, days: i64) -> Value {
    json!({
        "nickname": "Pocket money",
        "product-code": "standing-order-internal",
        "transfer-details": {
            "debtor-account-number": DEBTOR,
            "creditor-name": "Ana Petrovic",
            "creditor-account-number": CREDITOR,
            "amount": {"currency-code": "RSD", "amount": amount},
            "reference": "Week money"
        },
        "start-date": today().to_string(),
        "end-date": (today() + Duration::days(days - 1)).to_string(),
        "frequency": {"period": 1, "unit-of-time": "days"}
    })
}

/// Places `body` as 1400269 and runs the engine until it is set up; its path.
async fn set_up(app: &TestApp, body: &Value) -> String {
    let token = app.customer_token("1400269");
    let response = app
        .post_json("/customer-order/standing-orders", &token, body)
        .await;
    assert_eq!(response.status(), 202);
    let created: Value = response.json().await.expect("json");
    let path = format!(
        "/customer-order/standing-orders/{}",
        created["id"].as_str().expect("an id")
    );
    app.run_orders().await;
    let view = app.get_ok(&path, &token).await;
    assert_eq!(view["status"], "external-processing-succeeded", "{view}");
    path
}

async fn balance(app: &TestApp, account: &str) -> String {
    let token = app.staff_token();
    let view = app
        .get_ok(&format!("/customer-order/arrangements/{account}"), &token)
        .await;
    view["balance"].as_str().expect("a balance").to_owned()
}

/// The payments of the standing order at `path`, oldest first, each in its own view
/// (read where the list's `uri` says).
async fn payments(app: &TestApp, path: &str) -> Vec<Value> {
    let number = path.rsplit('/').next().expect("a number");
    let token = app.staff_token();
    let listed = app
        .get_ok(
            "/customer-order/orders?kinds=standing-order-payment&page-size=100",
            &token,
        )
        .await;
    let mut mine = Vec::new();
    for item in listed["items"].as_array().expect("items") {
        let uri = item["uri"].as_str().expect("a uri");
        let path = uri.split_once("/customer-order/").expect("an API uri").1;
        let view = app.get_ok(&format!("/customer-order/{path}"), &token).await;
        if view["standing-order-number"] == number {
            mine.push(view);
        }
    }
    mine.sort_by_key(|p| p["payment-date"].as_str().unwrap_or_default().to_owned());
    mine
}

#[tokio::test]
async fn each_date_is_paid_once_moving_the_money_on_both_accounts() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let path = set_up(&app, &daily("100.50", 10)).await;
    let view = app.get_ok(&path, &token).await;
    assert_eq!(view["standing-order-status"], "active", "{view}");
    // Set up today with a first date of today: today's payment is made at once.
    assert_eq!(view["dates-passed"], 1, "{view}");
    assert_eq!(
        view["next-payment-date"],
        (today() + Duration::days(1)).to_string()
    );
    assert_eq!(view["transfer-details"]["amount"]["amount"], "100.50");
    assert_eq!(view["frequency"]["unit-of-time"], "days");

    // Two days on: the next two dates fall due, each paid once, however often the
    // engine looks.
    let later = app.engine_ahead(Duration::days(2));
    later.run_until_idle().await.expect("engine");
    later.run_until_idle().await.expect("engine again");
    let paid = payments(&app, &path).await;
    let dates: Vec<&str> = paid
        .iter()
        .filter_map(|p| p["payment-date"].as_str())
        .collect();
    let expected: Vec<String> = (0..3)
        .map(|d| (today() + Duration::days(d)).to_string())
        .collect();
    assert_eq!(dates, expected, "{paid:?}");
    assert!(
        paid.iter()
            .all(|p| p["status"] == "external-processing-succeeded"),
        "{paid:?}"
    );
    assert_eq!(balance(&app, DEBTOR).await, "22798.50");
    assert_eq!(balance(&app, CREDITOR).await, "91501.50");
    let view = app.get_ok(&path, &token).await;
    assert_eq!(view["dates-passed"], 3, "{view}");
    assert_eq!(
        view["next-payment-date"],
        (today() + Duration::days(3)).to_string()
    );

    // Each side sees the money in its history, and the payment is one of 1400269's orders.
    let transactions = app
        .get_ok(
            "/customer-event/events?customer-number=1400054&event-kind=accounting-transaction",
            &app.staff_token(),
        )
        .await;
    let credits = transactions["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| {
            e["description"].as_str().is_some_and(|d| {
                d.starts_with("standing-order-payment") && d.contains("credit 100.50 RSD")
            })
        })
        .count();
    assert_eq!(credits, 3, "{transactions}");
    let mine = app
        .get_ok(
            "/customer-order/me/orders?kinds=standing-order-payment",
            &token,
        )
        .await;
    assert_eq!(mine["total-count"], 3, "{mine}");
    let one = paid[0]["id"].as_str().expect("an id");
    let seen = app
        .get_ok(&format!("/customer-order/orders/{one}"), &token)
        .await;
    assert_eq!(
        seen["standing-order-number"],
        path.rsplit('/').next().expect("n")
    );
    // Another customer sees none of it.
    let other = app.get(&path, &app.customer_token("1400054")).await;
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn two_engines_running_the_schedule_at_once_pay_each_date_once() {
    let app = TestApp::spawn_demo().await;
    let path = set_up(&app, &daily("10.00", 30)).await;
    let first = app.engine_ahead(Duration::days(4));
    let second = app.engine_ahead(Duration::days(4));
    let (a, b) = tokio::join!(first.run_until_idle(), second.run_until_idle());
    a.expect("first engine");
    b.expect("second engine");
    app.engine_ahead(Duration::days(4))
        .run_until_idle()
        .await
        .expect("engine");
    let paid = payments(&app, &path).await;
    assert_eq!(paid.len(), 5, "{paid:?}");
    assert_eq!(balance(&app, DEBTOR).await, "23050.00");
}

#[tokio::test]
async fn skip_passes_over_the_next_date_only() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let path = set_up(&app, &daily("100.00", 10)).await;
    let skipped = app
        .post_json(&format!("{path}/skip"), &token, &json!({}))
        .await;
    assert_eq!(skipped.status(), 200);
    let view: Value = skipped.json().await.expect("json");
    assert_eq!(view["next-payment-skipped"], true, "{view}");
    let again = app
        .post_json(&format!("{path}/skip"), &token, &json!({}))
        .await;
    assert_eq!(
        problem(again, 409).await["problem"],
        "standing-order-status-not-eligible"
    );
    app.engine_ahead(Duration::days(2))
        .run_until_idle()
        .await
        .expect("engine");
    let paid = payments(&app, &path).await;
    let dates: Vec<&str> = paid
        .iter()
        .filter_map(|p| p["payment-date"].as_str())
        .collect();
    // Today's was paid when it was set up; tomorrow's is skipped.
    assert_eq!(
        dates,
        [
            today().to_string(),
            (today() + Duration::days(2)).to_string()
        ]
    );
    let view = app.get_ok(&path, &token).await;
    assert_eq!(view["next-payment-skipped"], false);
    assert_eq!(view["dates-passed"], 3);
}

#[tokio::test]
async fn it_ends_after_its_end_date_and_a_cancel_ends_it_at_once() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let short = set_up(&app, &daily("1.00", 2)).await;
    let mut other = daily("2.00", 30);
    other["nickname"] = json!("Savings");
    let canceled = set_up(&app, &other).await;
    let response = app
        .post_json(&format!("{canceled}/cancel"), &token, &json!({}))
        .await;
    assert_eq!(response.status(), 204);
    let view = app.get_ok(&canceled, &token).await;
    assert_eq!(view["standing-order-status"], "canceled", "{view}");
    assert_eq!(view["next-payment-date"], Value::Null);
    let again = app
        .post_json(&format!("{canceled}/cancel"), &token, &json!({}))
        .await;
    assert_eq!(
        problem(again, 409).await["problem"],
        "standing-order-status-not-eligible"
    );

    app.engine_ahead(Duration::days(5))
        .run_until_idle()
        .await
        .expect("engine");
    assert_eq!(payments(&app, &short).await.len(), 2);
    assert_eq!(
        payments(&app, &canceled).await.len(),
        1,
        "today's, before the cancel"
    );
    let ended = app.get_ok(&short, &token).await;
    assert_eq!(ended["standing-order-status"], "ended", "{ended}");
    assert_eq!(ended["next-payment-date"], Value::Null);
    let skip = app
        .post_json(&format!("{short}/skip"), &token, &json!({}))
        .await;
    assert_eq!(
        problem(skip, 409).await["problem"],
        "standing-order-status-not-eligible"
    );
    assert_eq!(balance(&app, DEBTOR).await, "23096.00");
}

/// Two orders of one engine pass meet on one account: the package account closing (its
/// balance paid exactly to the RSD current account) and a standing order's payment into
/// it. Whichever is written first, the other's guard fails at the write (the balance or
/// the status it was judged on has moved); only that order is left out and judged again
/// on fresh balances, and no money is lost or made. When a failed guard refused the
/// whole batch, the engine's pass failed here, and every later pass read the same
/// balances and failed the same way.
#[tokio::test]
async fn a_payment_into_an_account_closing_in_the_same_pass_is_judged_again_alone() {
    let app = TestApp::spawn_with(Options {
        demo: true,
        // The engine below runs a day ahead: the closure must not expire by then.
        configure: Box::new(|settings| settings.order_deadline_seconds = 3 * 86_400),
    })
    .await;
    let token = app.customer_token("1400269");
    let mut body = daily("100.00", 3);
    body["transfer-details"]["debtor-account-number"] = json!(CURRENT_RSD);
    body["transfer-details"]["creditor-account-number"] = json!(DEBTOR);
    let path = set_up(&app, &body).await;
    assert_eq!(balance(&app, DEBTOR).await, "23200.00", "today's payment");
    assert_eq!(balance(&app, CURRENT_RSD).await, "184420.50");

    let placed = app
        .post_json(
            "/customer-order/bundled-account-terminations",
            &token,
            &json!({"account-number": DEBTOR,
                    "domestic-currency-settlement-account-number": CURRENT_RSD,
                    "termination-reason": "fees-too-high"}),
        )
        .await;
    assert_eq!(placed.status(), 202);
    let placed: Value = placed.json().await.expect("json");
    let closure = format!(
        "/customer-order/bundled-account-terminations/{}",
        placed["id"].as_str().expect("an id")
    );
    app.run_orders().await;
    assert_eq!(
        app.get_ok(&closure, &token).await["status"],
        "awaiting-confirmation"
    );
    let confirmed = app
        .post_json(&format!("{closure}/confirm"), &token, &json!({}))
        .await;
    assert_eq!(confirmed.status(), 204);

    // Tomorrow's payment falls due in the same pass as the confirmed closure.
    app.engine_ahead(Duration::days(1))
        .run_until_idle()
        .await
        .expect("every pass writes what holds");
    let closed = app.get_ok(&closure, &token).await;
    assert_eq!(
        closed["status"], "external-processing-succeeded",
        "{closed}"
    );
    let account = app
        .get_ok(&format!("/customer-order/arrangements/{DEBTOR}"), &token)
        .await;
    assert_eq!(
        (account["status"].as_str(), account["balance"].as_str()),
        (Some("terminated"), Some("0.00"))
    );
    // Closed first, the payment is refused (its creditor is closed); paid first, the
    // closure moves 100.00 more. Either way the money is where it was, once.
    assert_eq!(balance(&app, CURRENT_RSD).await, "207620.50");
    let paid = payments(&app, &path).await;
    let second = paid.get(1).map(|p| p["status"].clone());
    assert!(
        matches!(
            second.as_ref().and_then(Value::as_str),
            Some("rejected" | "external-processing-succeeded")
        ),
        "tomorrow's payment is final: {paid:?}"
    );
}

#[tokio::test]
async fn a_payment_the_account_cannot_cover_is_rejected_and_the_schedule_goes_on() {
    let app = TestApp::spawn_demo().await;
    let path = set_up(&app, &daily("20000.00", 5)).await;
    app.engine_ahead(Duration::days(1))
        .run_until_idle()
        .await
        .expect("engine");
    let paid = payments(&app, &path).await;
    let statuses: Vec<&str> = paid.iter().filter_map(|p| p["status"].as_str()).collect();
    assert_eq!(
        statuses,
        ["external-processing-succeeded", "rejected"],
        "{paid:?}"
    );
    assert!(
        paid[1]["rejection-reason"]
            .as_str()
            .is_some_and(|r| r.contains("less than the 20000.00 RSD")),
        "{paid:?}"
    );
    assert_eq!(balance(&app, DEBTOR).await, "3100.00");
    let view = app.get_ok(&path, &app.customer_token("1400269")).await;
    assert_eq!(view["standing-order-status"], "active");
    assert_eq!(view["dates-passed"], 2);
}

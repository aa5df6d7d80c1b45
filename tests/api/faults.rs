//! The database going away and coming back (PostgreSQL only: an embedded SQLite file
//! cannot go away on its own). The test puts a TCP proxy between bankapi and the
//! PostgreSQL server and cuts it, which looks to bankapi exactly like the server stopping
//! (connections reset, new ones refused) without disturbing the other tests that share
//! that server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::helpers::{Options, PG_ENV, TestApp, newest_communication, problem};

const POSTGRES: &str = "127.0.0.1:5432";

/// A cuttable TCP proxy in front of the PostgreSQL server.
struct Proxy {
    address: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("proxy address");
        let proxy = Self {
            address,
            tasks: Arc::new(Mutex::new(Vec::new())),
        };
        proxy.serve(listener).await;
        proxy
    }

    async fn serve(&self, listener: TcpListener) {
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(POSTGRES).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().await.push(link);
            }
        });
        self.tasks.lock().await.push(accept);
    }

    /// The database "stops": every connection drops and new ones are refused.
    async fn cut(&self) {
        for task in self.tasks.lock().await.drain(..) {
            task.abort();
            let _ = task.await;
        }
    }

    /// The database "comes back" on the same address.
    async fn restore(&self) {
        let listener = TcpListener::bind(self.address)
            .await
            .expect("rebind the proxy's port");
        self.serve(listener).await;
    }
}

async fn status_of(app: &TestApp, path: &str, token: &str) -> u16 {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_database_going_away_answers_503_and_the_service_recovers_by_itself() {
    if !crate::helpers::on_postgres() {
        return crate::helpers::skip(
            "the_database_going_away_answers_503_and_the_service_recovers_by_itself",
            "needs PostgreSQL: SQLite is a file in the process and cannot go away",
        );
    }
    let proxy = Proxy::start().await;
    let through = proxy.address.to_string();
    let app = TestApp::spawn_with(Options {
        demo: true,
        configure: Box::new(move |settings| {
            settings.database_url = settings.database_url.replace(POSTGRES, &through);
            // Orders take about two seconds, as in the demo: one is still running when
            // the database goes away.
            settings.executor_enabled = true;
            settings.order_duration_scale = 1.0;
        }),
    })
    .await;
    let token = app.customer_token("1400269");
    let accepted: Value = app
        .post_json(
            "/customer-order/card-activations",
            &token,
            &json!({"card-id": "C0000000202"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let order = accepted["id"].as_str().expect("accepted").to_owned();

    proxy.cut().await;
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("answer");
    assert_eq!(ready.status(), 503, "ready while the database is away");
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("answer");
    assert_eq!(live.status(), 200, "the process itself is alive");
    let refused = app
        .client
        .get(app.url("/customer-event/events"))
        .bearer_auth(&token)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("answer");
    let body = problem(refused, 503).await;
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("retry")),
        "{body}"
    );

    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.restore().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while status_of(&app, "/health/ready", &token).await != 200 {
        assert!(Instant::now() < deadline, "did not become ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status_of(&app, "/customer-event/events", &token).await, 200);

    // The order accepted before the outage still completes, once.
    let path = format!("/customer-order/card-activations/{order}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = app.get_ok(&path, &app.staff_token()).await;
        if now["status"] == "external-processing-succeeded" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the order did not complete: {now}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let card = app
        .get_ok("/customer-order/cards/C0000000202", &app.staff_token())
        .await;
    assert_eq!(card["status"], "active");
    let note = newest_communication(&app, "1400269", &token).await;
    assert_eq!(note["workitem-id"], order.as_str());
}

#[tokio::test]
async fn the_event_writer_reconnects_when_postgresql_ends_its_session() {
    let Some(admin_url) = std::env::var(PG_ENV).ok().filter(|v| !v.is_empty()) else {
        return crate::helpers::skip(
            "the_event_writer_reconnects_when_postgresql_ends_its_session",
            "needs PostgreSQL: SQLite has no server session to end",
        );
    };
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let body = json!({"customer-number": "1400269", "medium": "mail", "title": "before"});
    let first = app
        .post_json("/customer-event/communication-events", &token, &body)
        .await;
    assert_eq!(first.status(), 200, "the writer's connection is open now");

    // What a server restart or an administrator does to the writer's session: PostgreSQL
    // ends it (SQLSTATE 57P01), and bankapi only notices on its next write.
    let database = url::Url::parse(&app.settings.database_url)
        .expect("database URL")
        .path()
        .trim_start_matches('/')
        .to_owned();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
        .await
        .expect("connect as admin");
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = $1 AND application_name = 'bankapi event writer'",
    )
    .bind(&database)
    .fetch_all(&mut admin)
    .await
    .expect("terminate the writer's session");
    assert_eq!(ended, vec![true], "exactly one event writer session");

    // The group fails on the dead session; its events are written again, one by one,
    // on a new connection: the caller sees only a success.
    let after = app
        .post_json(
            "/customer-event/communication-events",
            &token,
            &json!({"customer-number": "1400269", "medium": "mail", "title": "after"}),
        )
        .await;
    assert_eq!(after.status(), 200, "{:?}", after.text().await);
    let note = newest_communication(&app, "1400269", &token).await;
    assert_eq!(note["title"], "after");
}

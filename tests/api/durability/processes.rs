//! The durability tests themselves: repeated SIGKILL during a stream of orders, one SQLite
//! file refused to a second server, several servers sharing PostgreSQL, and SIGTERM
//! draining the request in flight.

use super::*;

#[tokio::test]
async fn orders_survive_repeated_sigkill_and_run_exactly_once() {
    const CARDS: usize = 150;
    let database = prepared_database(CARDS).await;
    let client = Client::new();
    let token = staff_token();
    let mut accepted = Vec::new();
    let mut next = 1;
    // Three servers killed mid-stream, then one that finishes the work.
    for cycle in 0..4 {
        let server = Server::start(&client, database.url(), "0.02").await;
        let batch_end = if cycle < 3 {
            (next + 45).min(CARDS + 1)
        } else {
            CARDS + 1
        };
        let kill_after = Duration::from_millis(150 + 120 * cycle as u64);
        let started = Instant::now();
        while next < batch_end {
            if cycle < 3 && started.elapsed() > kill_after {
                break;
            }
            // A request that got no answer is retried with the same key after the restart.
            match activate(&client, &server.base, &token, next).await {
                Some(id) => {
                    accepted.push(id);
                    next += 1;
                }
                None => break,
            }
        }
        if cycle == 3 {
            wait_until_final_over_http(&client, &server.base, &token, &accepted).await;
        }
        server.kill();
    }
    {
        let stores = open(&database).await;
        check_invariants(&stores, &accepted, CARDS).await;
    }
    assert_eq!(accepted.len(), CARDS, "every card got its order");
    let unique: std::collections::HashSet<_> = accepted.iter().collect();
    assert_eq!(
        unique.len(),
        accepted.len(),
        "retries returned the first order, never a second"
    );
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_file_refuses_to_start() {
    if crate::helpers::on_postgres() {
        return crate::helpers::skip(
            "a_second_server_on_the_same_sqlite_file_refuses_to_start",
            "SQLite only; PostgreSQL runs several servers on purpose",
        );
    }
    let database = prepared_database(1).await;
    let client = Client::new();
    let _first = Server::start(&client, database.url(), "0").await;
    let output = server_command(database.url(), free_port(), "0")
        .stderr(Stdio::piped())
        .output()
        .expect("run a second bankapi");
    assert!(!output.status.success(), "the second server started");
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("another bankapi process"), "{message}");
}

#[tokio::test]
async fn several_servers_on_postgresql_share_the_work_and_run_each_step_once() {
    if !crate::helpers::on_postgres() {
        return crate::helpers::skip(
            "several_servers_on_postgresql_share_the_work_and_run_each_step_once",
            "needs PostgreSQL; SQLite allows one server per file",
        );
    }
    const CARDS: usize = 120;
    let database = prepared_database(CARDS).await;
    let client = Client::new();
    let token = staff_token();
    let servers = [
        Server::start(&client, database.url(), "0").await,
        Server::start(&client, database.url(), "0").await,
        Server::start(&client, database.url(), "0").await,
    ];
    let mut accepted = Vec::new();
    for n in 1..=CARDS {
        let server = &servers[n % servers.len()];
        accepted.push(
            activate(&client, &server.base, &token, n)
                .await
                .expect("accepted"),
        );
    }
    // PostgreSQL has no file lock: the store can be read while the servers run.
    let stores = open(&database).await;
    check_invariants(&stores, &accepted, CARDS).await;
}

/// SIGTERM: the server stops taking connections but finishes the request in flight; the
/// order it accepted is then run (by the next start, if the executor had stopped first)
/// exactly once.
#[tokio::test]
async fn sigterm_drains_the_request_in_flight_and_loses_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let database = prepared_database(1).await;
    let client = Client::new();
    let mut server = Server::start(&client, database.url(), "0").await;
    let token = staff_token();
    let body = json!({"card-id": "K0000000001"}).to_string();
    let (head, tail) = body.split_at(5);
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let request = format!(
        "POST /customer-order/card-activations HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Idempotency-Key: drain-1\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send head");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.child.try_wait().expect("wait").is_none(),
        "the server exited with a request in flight"
    );
    stream
        .write_all(tail.as_bytes())
        .await
        .expect("send the rest");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    let id = answer
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("order id")
        .to_owned();

    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");
    drop(server);

    // Whatever the executor had not finished is picked up by the next start.
    let server = Server::start(&client, database.url(), "0").await;
    wait_until_final_over_http(&client, &server.base, &token, std::slice::from_ref(&id)).await;
    server.kill();
    let stores = open(&database).await;
    check_invariants(&stores, &[id], 1).await;
}

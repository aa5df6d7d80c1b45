//! The feed on the bus (NATS JetStream): every event once across a restart of bankapi, and
//! a catch-up once NATS is back.

use super::*;

/// A NATS server for the bus test: `BANKAPI_TEST_NATS_URL`, else the local one on 4222
/// (`.ci/run` starts it), else a `nats-server` of our own on a free port, stopped when
/// the guard is dropped.
async fn nats_server() -> (String, Option<(tokio::process::Child, tempfile::TempDir)>) {
    if let Ok(url) = std::env::var("BANKAPI_TEST_NATS_URL")
        && !url.is_empty()
    {
        return (url, None);
    }
    if tokio::net::TcpStream::connect("127.0.0.1:4222")
        .await
        .is_ok()
    {
        return ("nats://127.0.0.1:4222".into(), None);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().expect("a JetStream directory");
    let child = start_nats(port, dir.path()).await;
    (format!("nats://127.0.0.1:{port}"), Some((child, dir)))
}

/// A `nats-server` with JetStream on `port`, storing under `dir`, once it accepts
/// connections.
async fn start_nats(port: u16, dir: &std::path::Path) -> tokio::process::Child {
    let child = tokio::process::Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(dir)
        .kill_on_drop(true)
        .spawn()
        .expect("no nats-server to start (apt install nats-server)");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

/// Settings that publish to the bus at `url` under fresh names.
fn on_bus(
    url: &str,
) -> (
    impl FnOnce(&mut bankapi::config::Settings) + Clone + Send + 'static,
    String,
    String,
) {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let prefix = format!("test-{suffix}");
    let stream = format!("TEST_{suffix}");
    let configure = {
        let (url, prefix, stream) = (url.to_owned(), prefix.clone(), stream.clone());
        move |settings: &mut bankapi::config::Settings| {
            settings.nats_url = Some(url);
            settings.nats_subject_prefix = prefix;
            settings.nats_stream = stream;
            settings.feed_poll_ms = 20;
        }
    };
    (configure, prefix, stream)
}

/// Waits (up to 20 s) for the relay to create its stream: it claims the sink at the
/// feed's head when it starts.
async fn wait_for_stream(jetstream: &async_nats::jetstream::Context, stream: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while jetstream.get_stream(stream).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream was never created"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every event id on `stream` once at least `expected` messages are there (30 s at
/// most), each checked as a CloudEvent under `prefix`.
async fn bus_ids(
    jetstream: &async_nats::jetstream::Context,
    stream: &str,
    prefix: &str,
    expected: usize,
) -> Vec<i64> {
    let source = jetstream.get_stream(stream).await.expect("stream");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let info = source.get_info().await.expect("info");
        if info.state.messages as usize >= expected || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let info = source.get_info().await.expect("info");
    assert!(info.state.messages > 0, "nothing reached the bus");
    let mut seen = Vec::new();
    for sequence in info.state.first_sequence..=info.state.last_sequence {
        let message = source.get_raw_message(sequence).await.expect("message");
        assert!(
            message
                .subject
                .starts_with(&format!("{prefix}.customer-event.")),
            "{}",
            message.subject
        );
        let cloud: Value = serde_json::from_slice(&message.payload).expect("a CloudEvent");
        assert_eq!(cloud["specversion"], "1.0");
        assert_eq!(cloud["type"], "customer-event.created");
        let id: i64 = cloud["id"].as_str().expect("id").parse().expect("numeric");
        assert_eq!(cloud["data"]["event-id"], id);
        seen.push(id);
    }
    seen
}

fn each_once(posted: &[i64], seen: &[i64]) {
    for id in posted {
        assert_eq!(
            seen.iter().filter(|s| *s == id).count(),
            1,
            "event {id} on the bus exactly once: {seen:?}"
        );
    }
}

#[tokio::test]
async fn the_bus_gets_every_event_once_across_a_restart() {
    let (url, _server) = nats_server().await;
    let client = async_nats::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("no NATS server at {url} ({e})"));
    let (configure, prefix, stream) = on_bus(&url);
    let app = TestApp::spawn_with(Options {
        demo: true,
        configure: Box::new(configure.clone()),
    })
    .await;
    let jetstream = async_nats::jetstream::new(client);
    wait_for_stream(&jetstream, &stream).await;
    let mut posted = Vec::new();
    for n in 0..5 {
        posted.push(note(&app, CUSTOMER, &format!("bus {n}")).await);
    }
    // A second process on the same database after this one: the sink's cursor is
    // durable, so it publishes what the first did not, and the first's repeats (if any)
    // are dropped by the stream's de-duplication.
    let again = app.restart(Box::new(configure)).await;
    for n in 5..10 {
        posted.push(note(&again, CUSTOMER, &format!("bus {n}")).await);
    }
    let seen = bus_ids(&jetstream, &stream, &prefix, posted.len()).await;
    let _ = jetstream.delete_stream(&stream).await;
    each_once(&posted, &seen);
}

#[tokio::test]
async fn the_bus_catches_up_once_nats_is_back() {
    // A NATS server of our own, to stop and start again on the same port and store.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().expect("a JetStream directory");
    let mut nats = start_nats(port, dir.path()).await;
    let url = format!("nats://127.0.0.1:{port}");
    let (configure, prefix, stream) = on_bus(&url);
    let app = TestApp::spawn_with(Options {
        demo: true,
        configure: Box::new(configure),
    })
    .await;
    let client = async_nats::connect(&url).await.expect("connect");
    let jetstream = async_nats::jetstream::new(client);
    wait_for_stream(&jetstream, &stream).await;
    let mut posted = Vec::new();
    for n in 0..3 {
        posted.push(note(&app, CUSTOMER, &format!("before {n}")).await);
    }
    assert_eq!(bus_ids(&jetstream, &stream, &prefix, 3).await.len(), 3);

    // NATS stops (cleanly: its store is flushed); events keep being registered.
    let pid = nats.id().expect("a pid").to_string();
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(stopped.success());
    nats.wait().await.expect("nats-server stopped");
    for n in 0..3 {
        posted.push(note(&app, CUSTOMER, &format!("while down {n}")).await);
    }
    // Long enough for the relay to fail and back off a few times.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let _nats = start_nats(port, dir.path()).await;
    for n in 0..3 {
        posted.push(note(&app, CUSTOMER, &format!("after {n}")).await);
    }
    let client = async_nats::connect(&url).await.expect("connect again");
    let jetstream = async_nats::jetstream::new(client);
    let seen = bus_ids(&jetstream, &stream, &prefix, posted.len()).await;
    each_once(&posted, &seen);
    // Published in the order they were registered.
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(seen, sorted, "the bus keeps the feed's order");
}

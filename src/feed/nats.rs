//! The bus: each event of the feed published to NATS JetStream as a CloudEvent (JSON,
//! structured mode) on `bankapi.customer-event.<kind>` (`bankapi` is
//! `BANKAPI_NATS_SUBJECT_PREFIX`), with `Nats-Msg-Id` the event's
//! id, so that a batch sent again after a crash or a lost acknowledgement is dropped by
//! the stream's de-duplication window instead of reaching consumers twice.
//!
//! Order status changes stay off the bus (API.md section 10 publishes events only).

use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage};
use async_trait::async_trait;
use serde_json::json;
use tokio::sync::Mutex;

use super::relay::Sink;
use crate::events::model::EventItem;
use crate::http::links::Links;
use crate::store::feed::{FeedEntry, FeedSubject};

/// How long connecting may take before the relay backs off and tries again.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long JetStream keeps message ids to drop repeats; the stream's setting when
/// bankapi creates it. Longer than a relay's lease, so a batch taken over by another
/// process after a crash is still recognised.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Publishes the feed's events to a JetStream stream.
pub struct NatsSink {
    url: String,
    stream: String,
    prefix: String,
    links: Links,
    /// Connected on first use, and again after a failure to connect (once connected,
    /// the client reconnects by itself).
    context: Mutex<Option<jetstream::Context>>,
}

impl NatsSink {
    /// A sink for the server at `url` and the stream named `stream` (created for the
    /// subjects `<prefix>.customer-event.>` if it does not exist). `links` makes the
    /// events' `uri`.
    pub fn new(url: &str, stream: &str, prefix: &str, links: Links) -> Self {
        Self {
            url: url.to_owned(),
            stream: stream.to_owned(),
            prefix: prefix.to_owned(),
            links,
            context: Mutex::new(None),
        }
    }

    async fn context(&self) -> anyhow::Result<jetstream::Context> {
        let mut held = self.context.lock().await;
        if let Some(context) = held.as_ref() {
            return Ok(context.clone());
        }
        let client = async_nats::ConnectOptions::new()
            .name("bankapi feed relay")
            .connection_timeout(CONNECT_TIMEOUT)
            .connect(self.url.as_str())
            .await?;
        let context = jetstream::new(client);
        context
            .get_or_create_stream(jetstream::stream::Config {
                name: self.stream.clone(),
                subjects: vec![format!("{}.customer-event.>", self.prefix)],
                duplicate_window: DUPLICATE_WINDOW,
                ..Default::default()
            })
            .await?;
        tracing::info!(stream = %self.stream, "publishing events to NATS JetStream");
        Ok(held.insert(context).clone())
    }

    /// The CloudEvent of one event: its item view as `data`.
    fn cloud_event(&self, entry: &FeedEntry) -> Option<(String, String, Vec<u8>)> {
        let FeedSubject::Event(event) = &entry.subject else {
            return None;
        };
        let subject = format!("{}.customer-event.{}", self.prefix, event.kind.as_str());
        let body = json!({
            "specversion": "1.0",
            "id": event.id.to_string(),
            "source": self.links.absolute(crate::events::LINK_ROOT),
            "type": "customer-event.created",
            "subject": event.customer_number.as_str(),
            "time": crate::http::time::format(&event.created_at),
            "datacontenttype": "application/json",
            "data": EventItem::from_record(event, &self.links),
        });
        Some((subject, event.id.to_string(), body.to_string().into_bytes()))
    }
}

#[async_trait]
impl Sink for NatsSink {
    fn name(&self) -> &str {
        "nats"
    }

    async fn ready(&self) -> anyhow::Result<()> {
        self.context().await.map(drop)
    }

    async fn deliver(&self, entries: &[FeedEntry]) -> anyhow::Result<()> {
        let messages: Vec<_> = entries.iter().filter_map(|e| self.cloud_event(e)).collect();
        if messages.is_empty() {
            return Ok(());
        }
        let context = self.context().await?;
        // Everything is sent first and the acknowledgements awaited after: one round trip
        // for the batch rather than one per event.
        let mut acks = Vec::with_capacity(messages.len());
        for (subject, id, body) in messages {
            let publish = PublishMessage::build().payload(body.into()).message_id(id);
            acks.push(context.send_publish(subject, publish).await?);
        }
        for ack in acks {
            ack.await?;
        }
        Ok(())
    }
}

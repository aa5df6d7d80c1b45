//! `GET /events/stream`: a customer's events as they are registered, as Server-Sent
//! Events (API.md section 10), for the app that shows them live.
//!
//! Every stream of the process reads from the same in-memory fan-out of the outbox
//! ([`crate::feed::Feed`]), so an open stream costs no query per event. A stream reads
//! the database only to resume (`Last-Event-ID`) and when it fell so far behind that the
//! fan-out's buffer dropped entries for it; both times from its own last place in the
//! feed, so it never skips an event and never repeats one.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc};
use utoipa::IntoParams;

use super::list::whose;
use super::model::EventItem;
use crate::auth::{Principal, Scope};
use crate::domain::{CustomerNumber, EventKind};
use crate::feed::{Feed, READ_BATCH};
use crate::http::extract::ApiQuery;
use crate::http::links::Links;
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::feed::{FeedCursor, FeedEntry, FeedSnapshot, FeedSubject};

/// How often a comment line keeps an idle connection (and the proxies on its way) open.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Events waiting for a slow client before its stream stops reading the fan-out.
const CLIENT_BUFFER: usize = 64;

/// Query parameters of the stream: the list's filters that apply to new events.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct StreamQuery {
    /// Whose events. Required for staff; a customer token defaults to its own customer.
    #[param(example = "1400269", pattern = "^[A-Z0-9]{1,20}$")]
    customer_number: Option<String>,
    /// Only this kind, spelled as in the list.
    #[param(value_type = Option<super::schema::EventKindInput>)]
    event_kind: Option<String>,
}

/// Follows a customer's new events.
#[utoipa::path(
    get,
    path = "/events/stream",
    tag = "events",
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<String>, Header, pattern = "^[0-9]{1,19}$",
         description = "The `id` of the last event received: the stream resumes right after it, with no gap and no repeat"),
    ),
    responses(
        (status = 200, description = "`text/event-stream`: each event as `id: <event-id>`, `event: <event-kind>`, \
`data: <the list's item JSON>`; a comment line every 15 s while nothing happens", content_type = "text/event-stream", body = String),
        (status = 400, description = "A parameter is not valid"),
        (status = 403, description = "The token lacks customer-event:read"),
        (status = 404, description = "The customer is not the caller's"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn stream_events(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    principal.require(Scope::EventRead)?;
    let mut errors = Errors::new();
    let customer = whose(query.customer_number.as_deref(), &principal, &mut errors);
    let kind = query
        .event_kind
        .as_deref()
        .and_then(|raw| errors.check(EventKind::parse("event-kind", raw)));
    let resume = headers
        .get("last-event-id")
        .and_then(|value| errors.check(parse_last_event_id(value.as_bytes())));
    errors.finish()?;
    let Some(customer) = customer else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "customer missing after validation"
        )));
    };
    if !principal.may_act_for(&customer) {
        return Err(ApiError::NotFound(format!("no customer {customer}")));
    }
    // Subscribed before anything is read, so that nothing falls between the resume and
    // the live events.
    let (live, mut last) = state.feed.subscribe();
    // Without a resume, what had committed when the client connected is not sent, even
    // if the feed's settled head was behind it.
    let before = match resume {
        Some(_) => None,
        None => Some(state.feed.store().feed_snapshot().await?),
    };
    if let Some(id) = resume {
        match state.feed.store().feed_cursor_of_event(id).await? {
            Some(cursor) => last = cursor,
            None => tracing::info!(
                last_event_id = id,
                "Last-Event-ID names no event still in the feed; following from now"
            ),
        }
    }
    let (sender, mut receiver) = mpsc::channel(CLIENT_BUFFER);
    let follower = Follower {
        feed: state.feed.clone(),
        links: state.links.clone(),
        customer,
        kind,
        last,
        before,
        sender,
    };
    metrics::gauge!("bankapi_event_streams_open").increment(1.0);
    tokio::spawn(async move {
        if let Err(error) = follower.run(live, resume.is_some()).await {
            tracing::warn!(%error, "an event stream ended on a database error");
        }
        metrics::gauge!("bankapi_event_streams_open").decrement(1.0);
    });
    let events = futures::stream::poll_fn(move |cx| receiver.poll_recv(cx).map(|e| e.map(Ok)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("keep-alive")))
}

/// `Last-Event-ID`: an event id as the stream sent it.
fn parse_last_event_id(raw: &[u8]) -> Result<i64, FieldError> {
    std::str::from_utf8(raw)
        .ok()
        .filter(|text| {
            !text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit())
        })
        .and_then(|text| text.parse::<i64>().ok())
        .ok_or_else(|| {
            FieldError::new(
                "Last-Event-ID",
                ErrorLiteral::InvalidFormat,
                "Last-Event-ID must be the id of an event the stream sent",
            )
        })
}

/// One client's stream: where it is in the feed and what it wants.
struct Follower {
    feed: Feed,
    links: Links,
    customer: CustomerNumber,
    kind: Option<EventKind>,
    /// The last entry of the feed this stream has dealt with.
    last: FeedCursor,
    /// What had committed when the client connected (not on a resume): not sent.
    before: Option<FeedSnapshot>,
    sender: mpsc::Sender<Event>,
}

/// Why a stream stopped sending.
enum Stop {
    /// The client hung up or the process is shutting down.
    Gone,
    /// The database failed.
    Store(StoreError),
}

impl Follower {
    /// Sends the backlog when resuming, then live events, until the client hangs up or
    /// the process shuts down.
    async fn run(
        mut self,
        mut live: broadcast::Receiver<std::sync::Arc<FeedEntry>>,
        resuming: bool,
    ) -> Result<(), StoreError> {
        let mut closing = self.feed.closing();
        let outcome = async {
            if resuming {
                self.catch_up().await?;
            }
            loop {
                let received = tokio::select! {
                    received = live.recv() => received,
                    _ = closing.changed() => return Err(Stop::Gone),
                    () = self.sender.closed() => return Err(Stop::Gone),
                };
                match received {
                    Ok(entry) => self.offer(&entry).await?,
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::debug!(
                            skipped,
                            "an event stream fell behind; catching up from the database"
                        );
                        self.catch_up().await?;
                    }
                    Err(broadcast::error::RecvError::Closed) => return Err(Stop::Gone),
                }
            }
        }
        .await;
        match outcome {
            Err(Stop::Store(error)) => Err(error),
            Ok(()) | Err(Stop::Gone) => Ok(()),
        }
    }

    /// Reads this customer's entries after `last` from the database until there are no
    /// more.
    async fn catch_up(&mut self) -> Result<(), Stop> {
        loop {
            let entries = self
                .feed
                .store()
                .feed_after(self.last, Some(self.customer.as_str()), READ_BATCH)
                .await
                .map_err(Stop::Store)?;
            let full = entries.len() == READ_BATCH;
            for entry in &entries {
                self.offer(entry).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Sends `entry` if it is new to this stream and one of the events it follows.
    async fn offer(&mut self, entry: &FeedEntry) -> Result<(), Stop> {
        if entry.cursor <= self.last {
            return Ok(());
        }
        self.last = entry.cursor;
        if self
            .before
            .as_ref()
            .is_some_and(|seen| seen.saw(entry.cursor))
        {
            return Ok(());
        }
        let FeedSubject::Event(event) = &entry.subject else {
            return Ok(());
        };
        if event.customer_number != self.customer || self.kind.is_some_and(|k| k != event.kind) {
            return Ok(());
        }
        let item = EventItem::from_record(event, &self.links);
        let message = Event::default()
            .id(event.id.to_string())
            .event(event.kind.as_str())
            .json_data(&item)
            .map_err(|error| Stop::Store(StoreError::Other(error.into())))?;
        self.sender.send(message).await.map_err(|_| Stop::Gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_is_an_event_id() {
        assert_eq!(parse_last_event_id(b"258242").ok(), Some(258_242));
        for bad in [&b""[..], b"-1", b"12a", b"99999999999999999999", b"\xff"] {
            assert!(parse_last_event_id(bad).is_err(), "{bad:?}");
        }
    }
}

//! Builds the application (store, verifier, router, listener) and runs it until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::audit::{self, AuditLog};
use crate::auth::TokenVerifier;
use crate::config::Settings;
use crate::domain::xml::XmlLimits;
use crate::engine::{Engine, EngineSettings};
use crate::http::ApiError;
use crate::http::extract::BodyLimit;
use crate::http::links::Links;
use crate::http::rate_limit::ClientRateLimiter;
use crate::state::{AppState, OrderSettings};
use crate::store::{self, Stores};
use crate::{events, ops, orders};

/// A bound, not yet serving, application.
pub struct Application {
    listener: TcpListener,
    router: Router,
    stores: Stores,
    engine: Option<Engine>,
    rate_limit: ClientRateLimiter,
    audit_writer: tokio::task::JoinHandle<()>,
    header_timeout: Duration,
    feed: crate::feed::Feed,
    feed_retention: Duration,
    bus: Option<Arc<dyn crate::feed::relay::Sink>>,
    feed_poll: Duration,
    /// How long a claim on a relay or a webhook delivery lasts unless renewed.
    feed_lease: Duration,
    webhooks: (
        Arc<dyn crate::feed::relay::Sink>,
        crate::feed::webhooks::Dispatcher,
    ),
}

impl Application {
    /// Connects and migrates the database, and binds the listener. The verifier must
    /// already exist: the caller decides what a missing key configuration means.
    pub async fn build(settings: &Settings, verifier: TokenVerifier) -> anyhow::Result<Self> {
        let stores = store::connect(
            &settings.database_url,
            settings.database_max_connections,
            true,
        )
        .await?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
        Self::build_with(settings, verifier, stores, listener).await
    }

    /// Like [`Application::build`] over an already opened store and a bound listener
    /// (tests bind port 0 first so the public URL can name the real port).
    pub async fn build_with(
        settings: &Settings,
        verifier: TokenVerifier,
        stores: Stores,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        verifier.warm_up().await;
        let stores = stores.with_event_cache(settings.event_cache_bytes);
        let (audit, audit_writer) = AuditLog::start(stores.audit.clone());
        let feed_poll = Duration::from_millis(settings.feed_poll_ms);
        let feed = crate::feed::Feed::new(stores.feed.clone(), feed_poll);
        feed.start_at_head().await?;
        let links = Links::new(settings.public_base());
        let bus = settings.nats_url.as_deref().map(|url| {
            Arc::new(crate::feed::nats::NatsSink::new(
                url,
                &settings.nats_stream,
                &settings.nats_subject_prefix,
                links.clone(),
            )) as Arc<dyn crate::feed::relay::Sink>
        });
        let created = Arc::new(tokio::sync::Notify::new());
        let webhooks = (
            Arc::new(crate::feed::webhooks::WebhookFanOut::new(
                stores.webhooks.clone(),
                stores.orders.clone(),
                links.clone(),
                created.clone(),
            )) as Arc<dyn crate::feed::relay::Sink>,
            crate::feed::webhooks::Dispatcher::new(
                stores.webhooks.clone(),
                Duration::from_millis(settings.webhook_poll_ms),
                Duration::from_secs(settings.feed_lease_seconds),
                settings.webhook_retry_scale,
                created.clone(),
            )?,
        );
        let state = AppState::new(crate::state::Services {
            webhook_due: created.clone(),
            webhook_allow_private: settings.webhook_allow_private,
            event_pages: Arc::new(crate::store::event_pages::EventPages::new(
                chrono::Duration::seconds(
                    i64::try_from(settings.event_marks_settle_seconds).unwrap_or(i64::MAX / 1000),
                ),
            )),
            rendered_pages: Arc::default(),
            feed: feed.clone(),
            audit,
            stores: stores.clone(),
            verifier: Arc::new(verifier),
            links,
            xml_limits: XmlLimits {
                max_bytes: settings.xml_limit_bytes,
                max_depth: settings.xml_max_depth,
            },
            rate_limit: ClientRateLimiter::new(
                settings.rate_limit_per_second,
                settings.rate_limit_burst,
            ),
            time_zone: crate::http::time::parse_zone(&settings.time_zone)?,
            orders: OrderSettings {
                durations: settings.step_durations(),
                deadline: i64::try_from(settings.order_deadline_seconds)
                    .ok()
                    .and_then(chrono::Duration::try_seconds)
                    .unwrap_or(chrono::Duration::MAX),
                acceptor: crate::store::orders::Acceptor::start(stores.orders.clone()),
                subjects: crate::store::orders::SubjectReader::start(stores.orders.clone()),
            },
        });
        let rate_limit = state.rate_limit.clone();
        let router = router(state, settings);
        let engine = if settings.executor_enabled {
            Some(Engine::new(
                stores.orders.clone(),
                crate::operations::from_settings(settings)?,
                EngineSettings::from_settings(settings),
            ))
        } else {
            None
        };
        Ok(Self {
            listener,
            router,
            stores,
            engine,
            rate_limit,
            audit_writer,
            header_timeout: Duration::from_secs(settings.header_timeout_seconds),
            feed,
            feed_retention: Duration::from_secs(settings.feed_retention_hours.saturating_mul(3600)),
            bus,
            feed_poll,
            feed_lease: Duration::from_secs(settings.feed_lease_seconds),
            webhooks,
        })
    }

    /// The address actually bound (port 0 becomes a real port).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The stores, for loading demo data before serving.
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// Serves (and runs the order engine) until `shutdown` completes, then lets
    /// in-flight requests and the engine's current passes finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = self.engine.map(|engine| engine.spawn(stopped.clone()));
        let tail = self.feed.spawn(stopped.clone());
        let pruner = self.feed.spawn_pruner(self.feed_retention, stopped.clone());
        let relay = self.bus.map(|sink| {
            tokio::spawn(crate::feed::relay::run(
                self.stores.feed.clone(),
                sink,
                self.feed_poll,
                self.feed_lease,
                self.feed.relay_wake(),
                stopped.clone(),
            ))
        });
        let (fan_out, dispatcher) = self.webhooks;
        let fan_out = tokio::spawn(crate::feed::relay::run(
            self.stores.feed.clone(),
            fan_out,
            self.feed_poll,
            self.feed_lease,
            self.feed.relay_wake(),
            stopped.clone(),
        ));
        let dispatcher = tokio::spawn(dispatcher.run(stopped));
        let feed = self.feed.clone();
        let sweeper = self.rate_limit.spawn_sweeper();
        let signal = async move {
            shutdown.await;
            let _ = stop.send(true);
            feed.close();
        };
        crate::http::serve::serve(self.listener, self.router, self.header_timeout, signal).await;
        if let Some(sweeper) = sweeper {
            sweeper.abort();
        }
        if let Some(worker) = worker {
            worker.await?;
        }
        tail.await?;
        pruner.await?;
        if let Some(relay) = relay {
            relay.await?;
        }
        fan_out.await?;
        dispatcher.await?;
        // The router and with it every sender is gone: the writer flushes and ends.
        if tokio::time::timeout(Duration::from_secs(5), self.audit_writer)
            .await
            .is_err()
        {
            tracing::warn!("the audit writer did not finish within 5 s of shutdown");
        }
        Ok(())
    }
}

/// The whole HTTP surface: both API roots (with and without the `v2.0` segment), the
/// documents, Swagger UI and the operations endpoints, under the shared middleware.
pub fn router(state: AppState, settings: &Settings) -> Router {
    ops::metrics::install();
    let (event_api, mut event_doc) = events::router().split_for_parts();
    // Classifications are compiled in: they answer even with the database away.
    crate::http::conventions::apply(&mut event_doc, |path| !path.starts_with("/classifications"));
    let (order_api, mut order_doc) = orders::router().split_for_parts();
    // Classifications are compiled in: they answer even with the database away.
    crate::http::conventions::apply(&mut order_doc, |path| !path.starts_with("/classifications"));
    let (audit_api, mut audit_doc) = audit::router().split_for_parts();
    crate::http::conventions::apply(&mut audit_doc, |_| true);
    let mut known = crate::http::query_names::KnownParameters::default();
    known.add(&[events::ROOT, events::LINK_ROOT], &event_doc);
    known.add(&[orders::ROOT, orders::LINK_ROOT], &order_doc);
    known.add(&[audit::ROOT], &audit_doc);
    let mut shapeable = crate::http::shaping::ShapeableFields::default();
    shapeable.add(&[events::ROOT, events::LINK_ROOT], &event_doc);
    shapeable.add(&[orders::ROOT, orders::LINK_ROOT], &order_doc);
    shapeable.add(&[audit::ROOT], &audit_doc);
    let api = Router::new()
        .nest(events::ROOT, event_api.clone())
        .nest(events::LINK_ROOT, event_api)
        .nest(orders::ROOT, order_api.clone())
        .nest(orders::LINK_ROOT, order_api)
        .nest(audit::ROOT, audit_api)
        // One composed layer, outermost first: applied to each route as a whole, so a
        // request clones the stack's handles once per layer instead of a boxed route per
        // layer below it (see the outer stack below).
        .layer(
            tower::ServiceBuilder::new()
                .layer(DefaultBodyLimit::max(settings.body_limit_bytes))
                .layer(axum::Extension(BodyLimit(settings.body_limit_bytes)))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    audit::record_changes,
                ))
                .layer(middleware::from_fn(
                    crate::http::control_chars::refuse_control_characters,
                ))
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(settings.request_timeout_seconds),
                ))
                .layer(middleware::from_fn_with_state(
                    known,
                    crate::http::query_names::refuse_unknown_parameters,
                ))
                .layer(middleware::from_fn_with_state(
                    state.rate_limit.clone(),
                    crate::http::rate_limit::add_headers,
                ))
                .layer(middleware::from_fn(crate::http::etag::conditional_get))
                .layer(middleware::from_fn_with_state(
                    shapeable,
                    crate::http::shaping::shape_answers,
                )),
        );
    let docs = SwaggerUi::new("/swagger-ui")
        .url("/customer-event/openapi.json", event_doc)
        .url("/customer-order/openapi.json", order_doc)
        .url("/audit/openapi.json", audit_doc)
        .url(
            "/system-of-record/openapi.json",
            crate::operations::contract::document(),
        );
    let routed = Router::new()
        .merge(api)
        .merge(ops::router())
        .merge(docs)
        .fallback(|| async { ApiError::NotFound("no such resource".into()) })
        .with_state(state)
        // Labels by the matched route, so it runs after routing, around each route.
        .layer(middleware::from_fn(ops::metrics::track));
    // The rest needs no route, so it wraps the router once instead of each route. A layer
    // on a route clones everything below it on every request (a boxed service per layer
    // below), so a stack of them on each route costs allocations that grow with the
    // square of its depth; wrapped around the router, each layer clones the router's
    // shared handle only.
    let outer = tower::ServiceBuilder::new()
        // Outermost, so that a preflight is answered before authentication and every
        // answer, problems too, carries the headers a page needs to read it.
        .option_layer(crate::http::cors::layer(
            &settings.cors_origins().unwrap_or_default(),
        ))
        // CORS answers a preflight with an empty body of the inner body's type.
        .map_response(IntoResponse::into_response)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let request_id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %request_id,
                    subject = tracing::field::Empty,
                )
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn(crate::http::problem::finish_problems))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| -> Response {
                ApiError::Internal(anyhow::anyhow!("a handler panicked")).into_response()
            },
        ))
        .service(routed);
    Router::new().fallback_service(outer)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

//! Operations endpoints (health, metrics), open to everyone, and the request metrics.

pub mod metrics;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use crate::state::AppState;

/// `/health/live`, `/health/ready` and `/metrics`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics::render))
}

/// The process answers: nothing else is checked, so orchestrators do not restart a
/// healthy process because its database is briefly away.
async fn live() -> impl IntoResponse {
    axum::Json(json!({"status": "up"}))
}

/// Ready to serve: the database answers.
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match state.stores.health.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(json!({"status": "up", "database": "up"})),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"status": "down", "database": "down"})),
            )
        }
    }
}

//! HTTP server: ingest, health, metrics and the read API.
//!
//! | route | |
//! |---|---|
//! | `POST /v1/readings` | batch ingest, body [`BatchRequest`], response [`BatchResponse`]; 400 malformed JSON, 413 body/batch too large, 429 writer queue full (`Retry-After: 1`), 503 store failure |
//! | `GET /health` | `{"status":"ok","devices":N,"readings":N}` |
//! | `GET /metrics` | Prometheus text |
//! | `GET /v1/devices/{pubkey_hex}` | stored-reading statistics of a device |
//! | `GET /v1/rounds/{round}` | local aggregation / submission progress, plus the on-chain round when the chain is enabled |
//! | `GET /v1/rounds/{round}/leaderboard?start_after=&limit=` | on-chain leaderboard (forwarded) |
//! | `GET /v1/rounds/{round}/scores/{owner}` | on-chain score with its multipliers (forwarded) |

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::ingest::{BatchError, BatchRequest, Ingestor};
use crate::metrics::HttpOutcome;

/// Boxed future of a [`ChainReader`] call: the contract's JSON answer or an error text.
pub type ReadFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, String>> + Send + 'a>>;

/// Read access to the mining-round contract for the read API (scores and leaderboard live on
/// chain; the relayer forwards the queries).
pub trait ChainReader: Send + Sync {
    /// `Leaderboard { round, start_after, limit }`.
    fn leaderboard(
        &self,
        round: u64,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> ReadFuture<'_>;
    /// `Score { round, owner }`.
    fn score(&self, round: u64, owner: String) -> ReadFuture<'_>;
    /// `Round { round }`.
    fn round(&self, round: u64) -> ReadFuture<'_>;
}

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    /// Ingest pipeline (holds store, directory, metrics).
    pub ingest: Arc<Ingestor>,
    /// Chain reads for `/v1/rounds/{n}/leaderboard` and `/v1/rounds/{n}/scores/{owner}`;
    /// `None` in offline mode (those routes answer 503 `chain_unavailable`).
    pub chain: Option<Arc<dyn ChainReader>>,
}

/// Builds the router. `max_body_bytes` bounds the request body (413 beyond).
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/v1/readings", post(post_readings))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/devices/{pubkey}", get(device_stats))
        .route("/v1/rounds/{round}", get(round_status))
        .route("/v1/rounds/{round}/leaderboard", get(leaderboard))
        .route("/v1/rounds/{round}/scores/{owner}", get(score))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

fn error(status: StatusCode, code: &str, detail: String) -> Response {
    (status, Json(json!({ "error": code, "detail": detail }))).into_response()
}

/// 503 for a store that failed or whose blocking task could not be joined.
fn store_unavailable(detail: impl std::fmt::Display) -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        detail.to_string(),
    )
}

async fn post_readings(
    State(st): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let m = st.ingest.metrics.clone();
    let body = match body {
        Ok(b) => b,
        Err(rej) => {
            let status = rej.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                m.http(HttpOutcome::TooLarge);
                return error(status, "body_too_large", rej.body_text());
            }
            m.http(HttpOutcome::BadRequest);
            return error(StatusCode::BAD_REQUEST, "bad_body", rej.body_text());
        }
    };
    let req: BatchRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            m.http(HttpOutcome::BadRequest);
            return error(StatusCode::BAD_REQUEST, "malformed_json", e.to_string());
        }
    };
    let n = req.readings.len();
    let span = tracing::debug_span!("ingest", readings = n);
    let _enter = span.enter();
    let result = st.ingest.process(req.readings).await;
    m.observe_latency(started.elapsed());
    match result {
        Ok(resp) => {
            m.http(HttpOutcome::Ok);
            (StatusCode::OK, Json(resp)).into_response()
        }
        Err(BatchError::TooManyItems { count, max }) => {
            m.http(HttpOutcome::TooLarge);
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_readings",
                format!("{count} readings, at most {max} per request"),
            )
        }
        Err(BatchError::Busy) => {
            m.http(HttpOutcome::Busy);
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "busy",
                "writer queue full, retry later".into(),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            r
        }
        Err(BatchError::Unavailable(detail)) => {
            m.http(HttpOutcome::Unavailable);
            tracing::error!(%detail, "store unavailable");
            store_unavailable(detail)
        }
    }
}

async fn health(State(st): State<AppState>) -> Response {
    let store = st.ingest.store.clone();
    let count = tokio::task::spawn_blocking(move || store.count_readings()).await;
    match count {
        Ok(Ok(n)) => Json(json!({
            "status": "ok",
            "devices": st.ingest.directory.len(),
            "readings": n,
        }))
        .into_response(),
        Ok(Err(e)) => store_unavailable(e),
        Err(e) => store_unavailable(e),
    }
}

async fn metrics(State(st): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.ingest.metrics.render(),
    )
        .into_response()
}

async fn device_stats(State(st): State<AppState>, Path(pubkey): Path<String>) -> Response {
    let mut key = [0u8; 32];
    if hex::decode_to_slice(&pubkey, &mut key).is_err() {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_pubkey",
            "expected 64 hex characters".into(),
        );
    }
    let store = st.ingest.store.clone();
    let stats = tokio::task::spawn_blocking(move || store.device_stats(&key)).await;
    let device = st.ingest.directory.get(&key);
    match stats {
        Ok(Ok(stats)) => {
            if stats.is_none() && device.is_none() {
                return error(StatusCode::NOT_FOUND, "unknown_device", pubkey);
            }
            Json(json!({
                "device_pubkey": pubkey,
                "registered": device.is_some(),
                "owner": device.as_ref().map(|d| d.owner.clone()),
                "model": device.as_ref().map(|d| d.model.as_str()),
                "timezone": device.as_ref().map(|d| d.timezone.name()),
                "stats": stats,
            }))
            .into_response()
        }
        Ok(Err(e)) => store_unavailable(e),
        Err(e) => store_unavailable(e),
    }
}

async fn round_status(State(st): State<AppState>, Path(round): Path<u64>) -> Response {
    let store = st.ingest.store.clone();
    let res = tokio::task::spawn_blocking(move || {
        Ok::<_, crate::store::StoreError>((store.round_progress(round)?, store.submissions(round)?))
    })
    .await;
    let bounds = st.ingest.policy.rounds.bounds(round);
    let on_chain = match &st.chain {
        Some(c) => c.round(round).await.ok(),
        None => None,
    };
    match res {
        Ok(Ok((progress, subs))) => Json(json!({
            "round": round,
            "on_chain": on_chain,
            "start": bounds.map(|b| b.0),
            "end": bounds.map(|b| b.1),
            "progress": progress.map(|p| json!({
                "policy_version": p.policy_version,
                "batch_count": p.batch_count,
                "status": p.status,
            })),
            "submissions": subs.into_iter().map(|s| json!({
                "batch_index": s.batch_index,
                "batch_hash": hex::encode(s.batch_hash),
                "kind": s.kind,
                "state": s.state,
                "tx_hash": s.tx_hash,
            })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Ok(Err(e)) => store_unavailable(e),
        Err(e) => store_unavailable(e),
    }
}

/// Query string of the leaderboard route.
#[derive(Debug, serde::Deserialize)]
pub struct LeaderboardQuery {
    /// Continue after this owner.
    pub start_after: Option<String>,
    /// Page size (the contract caps it).
    pub limit: Option<u32>,
}

fn forward(res: Result<Value, String>) -> Response {
    match res {
        Ok(v) => Json(v).into_response(),
        Err(e) => error(StatusCode::BAD_GATEWAY, "chain_query_failed", e),
    }
}

fn no_chain() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "chain_unavailable",
        "the relayer runs in offline mode".into(),
    )
}

async fn leaderboard(
    State(st): State<AppState>,
    Path(round): Path<u64>,
    Query(q): Query<LeaderboardQuery>,
) -> Response {
    match &st.chain {
        Some(c) => forward(c.leaderboard(round, q.start_after, q.limit).await),
        None => no_chain(),
    }
}

async fn score(State(st): State<AppState>, Path((round, owner)): Path<(u64, String)>) -> Response {
    match &st.chain {
        Some(c) => forward(c.score(round, owner).await),
        None => no_chain(),
    }
}

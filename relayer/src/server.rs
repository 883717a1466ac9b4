//! HTTP server: ingest, health, metrics and the read API.
//!
//! | route | |
//! |---|---|
//! | `POST /v1/readings` | batch ingest, body [`BatchRequest`], response [`BatchResponse`]; 400 malformed JSON, 413 body/batch too large, 429 `busy` (writer queue full, `Retry-After: 1`) or `client_quota` (`Retry-After: n`), 503 store failure |
//! | `GET /health` | `{"status":"ok","devices":N,"readings":N}` (counters only, no table scan) |
//! | `GET /v1/rounds/{round}/readings?after=&limit=` | peer exchange: every stored signed reading (evidence included) whose window touches the round, canonical order, paged by a `<device_hex>:<sequence>` cursor |
//! | `GET /v1/rounds/{round}/digest` | `{"round","count","digest"}` of that set ([`crate::store::readings_digest`]) |
//! | `GET /v1/evidence?round=` | readings of the round's set excluded by the union rule, with their conflict |
//! | `GET /metrics` | Prometheus text |
//! | `GET /v1/devices/{pubkey_hex}` | stored-reading statistics of a device |
//! | `GET /v1/rounds/{round}` | local aggregation / submission progress, plus the on-chain round when the chain is enabled |
//! | `GET /v1/rounds/{round}/leaderboard?start_after=&limit=` | on-chain leaderboard (forwarded) |
//! | `GET /v1/rounds/{round}/scores/{owner}` | on-chain score with its multipliers (forwarded) |

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::ingest::{BatchError, BatchRequest, Ingestor};
use crate::metrics::HttpOutcome;
use crate::store::StoreError;
use crate::telemetry::ReadingJson;

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
        .route("/v1/rounds/{round}/readings", get(round_readings))
        .route("/v1/rounds/{round}/digest", get(round_digest))
        .route("/v1/evidence", get(evidence))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

/// Connection-level limits of the HTTP server (slow or greedy clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// A connection must deliver a request's complete header block within this time after
    /// it starts sending it (or after it connects), else it is closed.
    pub header_timeout: std::time::Duration,
    /// A request body must be read completely within this time (408 beyond).
    pub body_timeout: std::time::Duration,
    /// Open connections in total; beyond it new connections are closed at once.
    pub max_connections: usize,
    /// Open connections from one IP address; beyond it that address's new connections are
    /// closed at once.
    pub max_connections_per_ip: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: std::time::Duration::from_secs(10),
            body_timeout: std::time::Duration::from_secs(30),
            max_connections: 1_024,
            max_connections_per_ip: 64,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let _ = limits; // TODO(server helper): enforce
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
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
    ext: axum::http::Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // Present when served through [`serve`]; keys the per-client quota.
    let client = ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip());
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
    let result = st.ingest.process_from(client, req.readings).await;
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
        Err(BatchError::ClientQuota { retry_after_secs }) => {
            m.http(HttpOutcome::Busy);
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "client_quota",
                format!("readings quota of this client spent, retry in {retry_after_secs} s"),
            );
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
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
    Json(json!({
        "status": "ok",
        "devices": st.ingest.directory.len(),
        "readings": st.ingest.store.reading_count(),
    }))
    .into_response()
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

/// Query string of `GET /v1/rounds/{round}/readings`.
#[derive(Debug, serde::Deserialize)]
pub struct ReadingsQuery {
    /// Cursor `<device_hex>:<sequence>` from the previous page's `next`.
    pub after: Option<String>,
    /// Page size (default [`DEFAULT_PAGE`], at most [`MAX_PAGE`]).
    pub limit: Option<usize>,
}

/// Default page size of the peer readings route.
pub const DEFAULT_PAGE: usize = 5_000;
/// Largest page size of the peer readings route.
pub const MAX_PAGE: usize = 20_000;

/// Parses a `<device_hex>:<sequence>` cursor.
pub fn parse_cursor(s: &str) -> Option<([u8; 32], u64)> {
    let (d, q) = s.split_once(':')?;
    let mut dev = [0u8; 32];
    hex::decode_to_slice(d, &mut dev).ok()?;
    Some((dev, q.parse().ok()?))
}

/// Formats a cursor for [`parse_cursor`].
pub fn format_cursor((dev, seq): ([u8; 32], u64)) -> String {
    format!("{}:{seq}", hex::encode(dev))
}

fn round_bounds(st: &AppState, round: u64) -> Result<(u64, u64), Box<Response>> {
    st.ingest.policy.rounds.bounds(round).ok_or_else(|| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "bad_round",
            format!("round {round} is out of range"),
        ))
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Box<Response>> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Box::new(store_unavailable(e))),
        Err(e) => Err(Box::new(store_unavailable(e))),
    }
}

async fn round_readings(
    State(st): State<AppState>,
    Path(round): Path<u64>,
    Query(q): Query<ReadingsQuery>,
) -> Response {
    let (from, to) = match round_bounds(&st, round) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let after = match q.after.as_deref().map(parse_cursor) {
        None => None,
        Some(Some(c)) => Some(c),
        Some(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_cursor",
                "expected <64 hex>:<sequence>".into(),
            )
        }
    };
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let store = st.ingest.store.clone();
    match blocking(move || store.round_readings_page(from, to, after, limit)).await {
        Ok(page) => Json(json!({
            "round": round,
            "readings": page.readings.iter().map(ReadingJson::from).collect::<Vec<_>>(),
            "next": page.next.map(format_cursor),
        }))
        .into_response(),
        Err(r) => *r,
    }
}

async fn round_digest(State(st): State<AppState>, Path(round): Path<u64>) -> Response {
    let (from, to) = match round_bounds(&st, round) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let store = st.ingest.store.clone();
    match blocking(move || store.round_digest(from, to)).await {
        Ok((count, digest)) => Json(json!({
            "round": round,
            "count": count,
            "digest": hex::encode(digest),
        }))
        .into_response(),
        Err(r) => *r,
    }
}

/// Query string of `GET /v1/evidence`.
#[derive(Debug, serde::Deserialize)]
pub struct EvidenceQuery {
    /// Round whose set is examined.
    pub round: u64,
}

async fn evidence(State(st): State<AppState>, Query(q): Query<EvidenceQuery>) -> Response {
    let (from, to) = match round_bounds(&st, q.round) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let store = st.ingest.store.clone();
    match blocking(move || store.evidence(from, to)).await {
        Ok(items) => Json(json!({
            "round": q.round,
            "count": items.len(),
            "evidence": items.iter().map(|e| json!({
                "conflict": e.kind.as_str(),
                "reading": ReadingJson::from(&e.reading),
            })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(r) => *r,
    }
}

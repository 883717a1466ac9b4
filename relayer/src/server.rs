//! HTTP server: ingest, health, metrics and the read API.
//!
//! | route | |
//! |---|---|
//! | `POST /v1/readings` | batch ingest, body [`BatchRequest`], response [`BatchResponse`]; 400 malformed JSON, 408 `body_timeout` (body not received within [`ServerLimits::body_timeout`]), 413 body/batch too large, 429 `busy` (writer queue full, `Retry-After: 1`) or `client_quota` (`Retry-After: n`), 503 store failure |
//! | `GET /health` | `{"status":"ok","chain":"connected"\|"connecting"\|"offline","devices":N,"readings":N}` (counters only, no table scan; `connecting`: started while the chain was down, ingest served, attestation waiting) |
//! | `GET /v1/rounds/{round}/readings?after=&limit=` | peer exchange: every stored signed reading (evidence included) whose window touches the round, canonical order, paged by a `<device_hex>:<sequence>` cursor |
//! | `GET /v1/rounds/{round}/digest` | `{"round","count","digest"}` of that set ([`crate::store::readings_digest`]) |
//! | `GET /v1/evidence?round=` | readings of the round's set excluded by the union rule, with their conflict |
//! | `GET /metrics` | Prometheus text |
//! | `GET /v1/devices/{pubkey_hex}` | stored-reading statistics of a device |
//! | `GET /v1/rounds/{round}` | local aggregation / submission progress, plus the on-chain round when the chain is enabled |
//! | `GET /v1/rounds/{round}/leaderboard?start_after=&limit=` | on-chain leaderboard (forwarded) |
//! | `GET /v1/rounds/{round}/scores/{owner}` | on-chain score with its multipliers (forwarded) |
//!
//! # Connection limits
//!
//! [`serve`] runs its own accept loop over HTTP/1.1 (hyper) and enforces [`ServerLimits`], so
//! that slow or greedy clients cannot starve the others:
//!
//! | limit | enforcement |
//! |---|---|
//! | `header_timeout` | hyper's header read timeout: a connection that does not deliver a complete request head within this time (counted from the accept, and again from each response on a keep-alive connection, so idle keep-alive connections are bounded too) is closed without an answer |
//! | `body_timeout` | a request body must arrive completely within this time, counted from its head (408 `body_timeout`); tower-http's body timeout also fails any body read that sees no data for that long |
//! | `max_connections` | open connections in total; a connection accepted beyond it is closed at once (the accept loop never waits for a slot) |
//! | `max_connections_per_ip` | open connections from one client address (IPv4-mapped IPv6 addresses count as their IPv4 address); a connection beyond it is closed at once |
//!
//! Accepted sockets get `TCP_NODELAY`. Accept errors (e.g. out of file descriptors) do not stop
//! the server: it logs them and retries shortly after. On shutdown it stops accepting, lets
//! in-flight connections finish their current request for up to 10 s, then closes the rest.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::Layer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutError};

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
    /// Whether the chain has answered (a relayer started while the chain was down serves
    /// ingest before it does; `/health` reports it).
    fn connected(&self) -> bool {
        true
    }
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
    /// A connection must deliver a request's complete header block within this time after it
    /// connects, and after each response it received (an idle keep-alive connection), else it
    /// is closed without an answer.
    pub header_timeout: Duration,
    /// A request body must be read completely within this time after its head (408 beyond).
    pub body_timeout: Duration,
    /// Open connections in total; beyond it new connections are closed at once.
    pub max_connections: usize,
    /// Open connections from one IP address; beyond it that address's new connections are
    /// closed at once.
    pub max_connections_per_ip: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 1_024,
            max_connections_per_ip: 64,
        }
    }
}

/// How long in-flight connections may take to finish once shutdown was requested.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause after an accept error that is not about a single connection (e.g. `EMFILE`).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Request extension: the time a request body may take to arrive (set by [`serve`]).
#[derive(Debug, Clone, Copy)]
struct BodyDeadline(Duration);

/// Serves `router` on `listener` with `limits` (see the module documentation) until `shutdown`
/// resolves; then stops accepting, lets in-flight connections finish for up to 10 s and closes
/// the rest. Handlers see the client address as [`ConnectInfo<SocketAddr>`]. Accept errors are
/// logged and retried, so this only returns once `shutdown` resolved.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(Extension(BodyDeadline(limits.body_timeout)));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    let per_ip = Arc::new(PerIpConnections::new(limits.max_connections_per_ip));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(ended) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = ended {
                    if e.is_panic() {
                        tracing::error!(error = %e, "HTTP connection task panicked");
                    }
                }
                continue;
            }
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        // Both refusals drop `stream` (closing the socket) and never wait.
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::debug!(
                %peer,
                max = limits.max_connections,
                "connection limit reached, connection closed"
            );
            continue;
        };
        let Some(ip_slot) = per_ip.try_acquire(peer.ip()) else {
            tracing::debug!(
                %peer,
                max = limits.max_connections_per_ip,
                "per-address connection limit reached, connection closed"
            );
            continue;
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "could not set TCP_NODELAY");
        }
        let service = TowerToHyperService::new(Extension(ConnectInfo(peer)).layer(app.clone()));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            if let Err(e) = connection.await {
                // Header timeouts, resets and malformed requests: the client's problem.
                tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
            }
            drop((slot, ip_slot));
        });
    }

    drop(listener);
    tracing::debug!(
        connections = connections.len(),
        "stopped accepting; draining HTTP connections"
    );
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = connections.len(),
            "HTTP connections still open after the drain timeout; closing them"
        );
    }
    connections.shutdown().await;
    Ok(())
}

/// Handles a failed `accept`: a connection that failed before it was accepted is skipped;
/// anything else (e.g. out of file descriptors) is logged and retried after a short pause, so
/// that the loop neither ends nor spins.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        tracing::debug!(error = %e, "connection failed before it was accepted");
        return;
    }
    tracing::warn!(error = %e, "accept failed; retrying shortly");
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

/// Open-connection counts per client address, bounded by `max`.
#[derive(Debug)]
struct PerIpConnections {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl PerIpConnections {
    fn new(max: usize) -> Self {
        PerIpConnections {
            max,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for one more connection from `ip`, or `None` when it already holds `max`.
    fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        let ip = ip.to_canonical();
        let mut open = self.lock();
        let n = open.get(&ip).copied().unwrap_or(0);
        if n >= self.max {
            return None;
        }
        open.insert(ip, n + 1);
        Some(IpSlot {
            table: Arc::clone(self),
            ip,
        })
    }

    /// Open connections of `ip` (0 when it has no entry).
    #[cfg(test)]
    fn open(&self, ip: IpAddr) -> usize {
        self.lock().get(&ip.to_canonical()).copied().unwrap_or(0)
    }

    /// Number of addresses with an entry.
    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        // The map stays consistent under a panic (single integer updates): keep using it.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One open connection counted in [`PerIpConnections`]; released (and the address's entry
/// removed at zero) when dropped.
#[derive(Debug)]
struct IpSlot {
    table: Arc<PerIpConnections>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = self.table.lock();
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
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

/// Why a request body could not be read.
#[derive(Debug)]
enum BodyError {
    /// Not received within the body timeout.
    TimedOut,
    /// Too large, or the connection failed.
    Rejected(BytesRejection),
}

/// Reads the request body, within `deadline` when one is set.
async fn read_body(
    req: Request,
    st: &AppState,
    deadline: Option<Duration>,
) -> Result<Bytes, BodyError> {
    let read = <Bytes as FromRequest<AppState>>::from_request(req, st);
    let result = match deadline {
        Some(d) => match tokio::time::timeout(d, read).await {
            Ok(r) => r,
            Err(_elapsed) => return Err(BodyError::TimedOut),
        },
        None => read.await,
    };
    result.map_err(|rej| {
        if is_body_timeout(&rej) {
            BodyError::TimedOut
        } else {
            BodyError::Rejected(rej)
        }
    })
}

/// Whether the body read failed on tower-http's body timeout.
fn is_body_timeout(rej: &BytesRejection) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(rej);
    while let Some(e) = cause {
        if e.is::<TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

async fn post_readings(State(st): State<AppState>, req: Request) -> Response {
    // Present when served through [`serve`]; keys the per-client quota.
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip());
    let deadline = req.extensions().get::<BodyDeadline>().map(|d| d.0);
    let m = st.ingest.metrics.clone();
    let body = read_body(req, &st, deadline).await;
    let started = Instant::now();
    let body = match body {
        Ok(b) => b,
        Err(BodyError::TimedOut) => {
            m.http(HttpOutcome::BadRequest);
            return error(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "the request body was not received in time".into(),
            );
        }
        Err(BodyError::Rejected(rej)) => {
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
    let chain = match &st.chain {
        None => "offline",
        Some(c) if c.connected() => "connected",
        Some(_) => "connecting",
    };
    Json(json!({
        "status": "ok",
        "chain": chain,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_ip_slots_are_bounded_and_released() {
        let table = Arc::new(PerIpConnections::new(2));
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let first = table.try_acquire(a);
        let second = table.try_acquire(a);
        assert!(first.is_some() && second.is_some());
        assert!(
            table.try_acquire(a).is_none(),
            "third connection of one address"
        );
        let other = table.try_acquire(b);
        assert!(other.is_some(), "another address has its own count");
        assert_eq!(table.open(a), 2);

        drop(first);
        assert_eq!(table.open(a), 1);
        let again = table.try_acquire(a);
        assert!(again.is_some(), "a released slot is usable again");
        drop((second, again, other));
        assert_eq!(table.open(a), 0);
        assert_eq!(table.addresses(), 0, "no entry is left at zero");
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        let table = Arc::new(PerIpConnections::new(1));
        let v4: IpAddr = [192, 0, 2, 7].into();
        let mapped: IpAddr = std::net::Ipv4Addr::new(192, 0, 2, 7)
            .to_ipv6_mapped()
            .into();
        let slot = table.try_acquire(v4);
        assert!(slot.is_some());
        assert!(table.try_acquire(mapped).is_none());
        drop(slot);
        assert!(table.try_acquire(mapped).is_some());
        assert_eq!(table.addresses(), 0);
    }

    #[test]
    fn zero_limit_refuses_without_leaving_entries() {
        let table = Arc::new(PerIpConnections::new(0));
        assert!(table.try_acquire([127, 0, 0, 1].into()).is_none());
        assert_eq!(table.addresses(), 0);
    }
}

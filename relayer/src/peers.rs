//! Pulling a round's signed readings from peer relayers, so that every relayer aggregates the
//! same set whatever each one received and in whatever order.
//!
//! Readings are self-authenticating (device signatures over the deployment's domain), so
//! relayers can share them without trusting each other: before aggregating round `r`, and
//! again whenever the chain shows a batch hash this relayer did not compute, the round worker
//! pulls `GET {peer}/v1/rounds/{r}/readings` from every configured peer (after comparing
//! `GET {peer}/v1/rounds/{r}/digest` with the local digest to skip equal peers), and imports
//! the pages through [`Ingestor::import_peer`] (every signature verified, durable on return). Aggregation then runs over the
//! union. An unreachable or misbehaving peer is logged and counted, never fatal: the next
//! pull retries it.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::ingest::Ingestor;
use crate::telemetry::{ReadingJson, SignedReading};

/// Upper bound on pages read from one peer for one round.
pub const MAX_PAGES: usize = 10_000;

/// `GET /v1/rounds/{r}/digest` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundDigest {
    /// Round.
    pub round: u64,
    /// Readings of the round held by the peer.
    pub count: u64,
    /// Hex digest of those readings.
    pub digest: String,
}

/// `GET /v1/rounds/{r}/readings` page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingsPage {
    /// Round.
    pub round: u64,
    /// Signed readings.
    pub readings: Vec<ReadingJson>,
    /// Cursor of the next page, if any.
    #[serde(default)]
    pub next: Option<String>,
}

/// Result of pulling one round from all peers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Peers configured.
    pub peers: u64,
    /// Peers answering.
    pub peers_ok: u64,
    /// Peers skipped because their digest equals ours.
    pub peers_equal: u64,
    /// Failed peers.
    pub failures: u64,
    /// Readings newly stored (evidence included).
    pub imported: u64,
    /// Readings refused (undecodable, bad signature, unknown device, implausible).
    pub rejected: u64,
}

impl PullReport {
    /// Whether every configured peer answered with a digest equal to ours (none configured:
    /// trivially true).
    pub fn agreed(&self) -> bool {
        self.peers_equal == self.peers
    }
}

/// Limits of pulling from one peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerLimits {
    /// Timeout of one HTTP request (connect to last byte).
    pub request_timeout: Duration,
    /// Deadline of one whole pull from one peer (digest and every page); what arrived before
    /// it is kept.
    pub pull_deadline: Duration,
    /// Largest page body accepted, bytes.
    pub max_page_bytes: usize,
    /// Most readings accepted in one page.
    pub max_page_items: usize,
}

impl Default for PeerLimits {
    fn default() -> Self {
        PeerLimits {
            request_timeout: Duration::from_secs(10),
            pull_deadline: Duration::from_secs(60),
            max_page_bytes: 16 * 1024 * 1024,
            max_page_items: 20_000,
        }
    }
}

/// The configured peers.
pub struct Peers {
    urls: Vec<String>,
    http: reqwest::Client,
}

/// Peer-side failures (logged, never fatal).
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// Transport or HTTP status.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// The answer names another round, pages without end, or holds undecodable readings.
    #[error("bad answer: {0}")]
    BadAnswer(String),
    /// Reading the local set or importing failed.
    #[error("local: {0}")]
    Local(String),
}

impl Peers {
    /// Peers at `urls` (base URLs such as `http://10.0.0.2:8080`).
    pub fn new(urls: Vec<String>, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Peers {
            urls: urls
                .into_iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            http,
        }
    }

    /// No peers configured.
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// Peer URLs.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Pulls round `round` (window bounds `[from, to)`) from every peer and imports it through
    /// `ingest` ([`Ingestor::import_peer`]: signatures verified, durable on return).
    pub async fn pull_round(
        &self,
        round: u64,
        (from, to): (u64, u64),
        ingest: &Ingestor,
    ) -> PullReport {
        let mut report = PullReport {
            peers: u64::try_from(self.urls.len()).unwrap_or(u64::MAX),
            ..PullReport::default()
        };
        for url in &self.urls {
            let res = self
                .pull_one(url, round, (from, to), ingest, &mut report)
                .instrument(tracing::info_span!("peer", peer = %url))
                .await;
            match res {
                Ok(()) => report.peers_ok += 1,
                Err(e) => {
                    report.failures += 1;
                    tracing::warn!(peer = %url, error = %e, "peer pull failed (will retry)");
                }
            }
        }
        if report.imported > 0 || report.failures > 0 || report.rejected > 0 {
            tracing::info!(?report, "pulled readings from peers");
        }
        report
    }

    async fn local_digest(ingest: &Ingestor, (from, to): (u64, u64)) -> Result<String, PeerError> {
        let store = ingest.store.clone();
        let set = tokio::task::spawn_blocking(move || store.round_readings(from, to))
            .await
            .map_err(|e| PeerError::Local(e.to_string()))?
            .map_err(|e| PeerError::Local(e.to_string()))?;
        Ok(hex::encode(set.digest))
    }

    async fn pull_one(
        &self,
        url: &str,
        round: u64,
        bounds: (u64, u64),
        ingest: &Ingestor,
        report: &mut PullReport,
    ) -> Result<(), PeerError> {
        let theirs: RoundDigest = self
            .http
            .get(format!("{url}/v1/rounds/{round}/digest"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if theirs.digest == Self::local_digest(ingest, bounds).await? {
            report.peers_equal += 1;
            return Ok(());
        }
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut req = self.http.get(format!("{url}/v1/rounds/{round}/readings"));
            if let Some(c) = &cursor {
                req = req.query(&[("after", c.as_str())]);
            }
            let page: ReadingsPage = req.send().await?.error_for_status()?.json().await?;
            if page.round != round {
                return Err(PeerError::BadAnswer(format!(
                    "asked round {round}, got {}",
                    page.round
                )));
            }
            let mut decoded = Vec::with_capacity(page.readings.len());
            for j in &page.readings {
                match SignedReading::try_from(j) {
                    Ok(s) => decoded.push(s),
                    Err(_) => report.rejected += 1,
                }
            }
            if !decoded.is_empty() {
                let r = ingest
                    .import_peer(decoded)
                    .await
                    .map_err(|e| PeerError::Local(format!("{e:?}")))?;
                report.imported += u64::try_from(r.new + r.evidence).unwrap_or(u64::MAX);
                report.rejected += u64::try_from(r.rejected).unwrap_or(u64::MAX);
            }
            match page.next {
                Some(n) if Some(&n) != cursor.as_ref() => cursor = Some(n),
                Some(_) => return Err(PeerError::BadAnswer("cursor does not advance".into())),
                None => return Ok(()),
            }
        }
        Err(PeerError::BadAnswer("too many pages".into()))
    }
}

//! Pulling a round's signed readings from peer relayers (finding 1 of issue 10).
//!
//! Readings are self-authenticating (device signatures over the deployment's domain), so
//! relayers can share them without trusting each other: before aggregating round `r`, and
//! again whenever the chain shows a batch hash this relayer did not compute, the round worker
//! pulls `GET {peer}/v1/rounds/{r}/readings` from every configured peer (after comparing
//! `GET {peer}/v1/rounds/{r}/digest` with the local digest to skip equal peers), verifies
//! every signature and imports what verifies into the store. Aggregation then runs over the
//! union. An unreachable or misbehaving peer is logged and counted, never fatal: the next
//! pull retries it.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::store::{InsertOutcome, ReadingStore};
use crate::telemetry::{Domain, ReadingJson, SignedReading};

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
    /// Peers answering.
    pub peers_ok: u64,
    /// Peers skipped because their digest equals ours.
    pub peers_equal: u64,
    /// Failed peers.
    pub failures: u64,
    /// Readings newly stored.
    pub imported: u64,
    /// Readings whose signature did not verify (dropped).
    pub bad_signatures: u64,
}

/// Local digest of a round (provided by the store side), to skip peers holding the same set.
pub type LocalDigest = Arc<dyn Fn(u64) -> Option<String> + Send + Sync>;

/// The configured peers.
pub struct Peers {
    urls: Vec<String>,
    http: reqwest::Client,
    domain: Domain,
    local_digest: Option<LocalDigest>,
}

/// Peer-side failures (logged, never fatal).
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// Transport or HTTP status.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// The answer names another round or pages without end.
    #[error("bad answer: {0}")]
    BadAnswer(String),
    /// Storing failed.
    #[error("store: {0}")]
    Store(String),
}

impl Peers {
    /// Peers at `urls` (base URLs such as `http://10.0.0.2:8080`), signature domain `domain`.
    pub fn new(urls: Vec<String>, domain: Domain, timeout: Duration) -> Self {
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
            domain,
            local_digest: None,
        }
    }

    /// Sets the local digest function (skips peers whose digest equals ours).
    pub fn with_local_digest(mut self, f: LocalDigest) -> Self {
        self.local_digest = Some(f);
        self
    }

    /// No peers configured.
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// Peer URLs.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Pulls `round` from every peer into `store`.
    pub async fn pull_round(&self, round: u64, store: Arc<dyn ReadingStore>) -> PullReport {
        let mut report = PullReport::default();
        for url in &self.urls {
            let span = tracing::info_span!("peer", peer = %url, round);
            let _ = span; // fields only; the calls below log with explicit fields
            match self.pull_one(url, round, store.clone(), &mut report).await {
                Ok(()) => report.peers_ok += 1,
                Err(e) => {
                    report.failures += 1;
                    tracing::warn!(peer = %url, round, error = %e, "peer pull failed (will retry)");
                }
            }
        }
        if report.imported > 0 || report.failures > 0 {
            tracing::info!(round, ?report, "pulled readings from peers");
        }
        report
    }

    async fn pull_one(
        &self,
        url: &str,
        round: u64,
        store: Arc<dyn ReadingStore>,
        report: &mut PullReport,
    ) -> Result<(), PeerError> {
        if let Some(local) = &self.local_digest {
            let theirs: RoundDigest = self
                .http
                .get(format!("{url}/v1/rounds/{round}/digest"))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            if Some(&theirs.digest) == local(round).as_ref() {
                report.peers_equal += 1;
                return Ok(());
            }
        }
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut req = self.http.get(format!("{url}/v1/rounds/{round}/readings"));
            if let Some(c) = &cursor {
                req = req.query(&[("cursor", c.as_str())]);
            }
            let page: ReadingsPage = req.send().await?.error_for_status()?.json().await?;
            if page.round != round {
                return Err(PeerError::BadAnswer(format!(
                    "asked round {round}, got {}",
                    page.round
                )));
            }
            self.import(page.readings, store.clone(), report).await?;
            match page.next {
                Some(n) if Some(&n) != cursor.as_ref() => cursor = Some(n),
                Some(_) => return Err(PeerError::BadAnswer("cursor does not advance".into())),
                None => return Ok(()),
            }
        }
        Err(PeerError::BadAnswer("too many pages".into()))
    }

    /// Verifies `items` and stores those that verify.
    async fn import(
        &self,
        items: Vec<ReadingJson>,
        store: Arc<dyn ReadingStore>,
        report: &mut PullReport,
    ) -> Result<(), PeerError> {
        if items.is_empty() {
            return Ok(());
        }
        let domain = self.domain.clone();
        let (good, bad) = tokio::task::spawn_blocking(move || {
            let decoded: Vec<SignedReading> = items
                .iter()
                .filter_map(|j| SignedReading::try_from(j).ok())
                .collect();
            let malformed = items.len().saturating_sub(decoded.len());
            let refs: Vec<&SignedReading> = decoded.iter().collect();
            let verdicts = domain.verify_many(&refs);
            let mut good = Vec::with_capacity(decoded.len());
            let mut bad = malformed;
            for (s, v) in decoded.iter().zip(verdicts) {
                if v.is_ok() {
                    good.push(s.clone());
                } else {
                    bad += 1;
                }
            }
            (good, bad)
        })
        .await
        .map_err(|e| PeerError::Store(e.to_string()))?;
        report.bad_signatures += u64::try_from(bad).unwrap_or(u64::MAX);
        if good.is_empty() {
            return Ok(());
        }
        let ack = store
            .submit(good)
            .map_err(|e| PeerError::Store(e.to_string()))?;
        let outcomes = ack
            .await
            .map_err(|_| PeerError::Store("writer dropped the request".into()))?
            .map_err(|e| PeerError::Store(e.to_string()))?;
        report.imported += u64::try_from(
            outcomes
                .iter()
                .filter(|o| **o == InsertOutcome::Accepted)
                .count(),
        )
        .unwrap_or(u64::MAX);
        Ok(())
    }
}

//! Pulling a round's signed readings from peer relayers, so that every relayer aggregates the
//! same set whatever each one received and in whatever order.
//!
//! Readings are self-authenticating (device signatures over the deployment's domain), so
//! relayers can share them without trusting each other: before aggregating round `r`, and
//! again whenever the chain shows a batch hash this relayer did not compute, the round worker
//! pulls `GET {peer}/v1/rounds/{r}/readings` from every configured peer (after comparing
//! `GET {peer}/v1/rounds/{r}/digest` with the local digest, streamed from the store, to skip
//! equal peers), and imports the pages through [`Ingestor::import_peer`] (every signature
//! verified, durable on return). Aggregation then runs over the union.
//!
//! A peer is not trusted to be fast or well-behaved:
//! * peers are pulled concurrently, each under one deadline for its whole pull
//!   ([`PeerLimits::pull_deadline`]); what arrived before it is kept, and aggregation goes on
//!   (a later pull, e.g. the re-sync on a foreign batch hash, picks up the rest);
//! * a page body is read chunk by chunk and parsed as it streams in, each reading decoded on
//!   arrival, within [`PeerLimits::max_page_bytes`] and [`PeerLimits::max_page_items`];
//! * only readings whose window touches the round, of devices registered as of the round,
//!   within each device's allowance for the round ([`crate::ingest::ImportScope`]) are stored.
//!
//! An unreachable or misbehaving peer is logged and counted, never fatal: the next pull
//! retries it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::ingest::{ImportScope, Ingestor};
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
    limits: PeerLimits,
    /// Registry (device keys) as of recent rounds, read once per round by the round worker.
    registries: std::sync::Mutex<std::collections::BTreeMap<u64, Arc<HashSet<[u8; 32]>>>>,
}

/// Rounds whose registry [`Peers`] keeps (the oldest is dropped beyond this).
const REGISTRY_CACHE: usize = 8;

/// Peer-side failures (logged, never fatal).
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// Transport or HTTP status.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// The answer names another round, pages without end, holds more readings than
    /// [`PeerLimits::max_page_items`] or is not a page.
    #[error("bad answer: {0}")]
    BadAnswer(String),
    /// A page body is larger than [`PeerLimits::max_page_bytes`].
    #[error("page larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The pull did not finish within [`PeerLimits::pull_deadline`]; what arrived is kept.
    #[error("pull deadline of {0:?} passed")]
    Deadline(Duration),
    /// Reading the local set or importing failed.
    #[error("local: {0}")]
    Local(String),
}

/// One page as decoded from the wire: readings decoded while the body streams in.
#[derive(Debug, Default)]
struct DecodedPage {
    round: Option<u64>,
    readings: Vec<SignedReading>,
    /// Items that are JSON readings but not valid ones (bad hex, bad text).
    undecodable: u64,
    next: Option<String>,
}

/// A blocking reader over body chunks sent from the async side.
struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(b) => self.current = b,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// `serde` seed of a page: `{"round", "readings": [...], "next"}`, each reading decoded as it
/// is parsed, at most `max_items` of them.
struct PageSeed {
    max_items: usize,
}

impl<'de> DeserializeSeed<'de> for PageSeed {
    type Value = DecodedPage;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<DecodedPage, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageSeed {
    type Value = DecodedPage;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a readings page")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DecodedPage, A::Error> {
        let mut page = DecodedPage::default();
        let mut seen_readings = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "round" => page.round = Some(map.next_value()?),
                "readings" => {
                    if seen_readings {
                        return Err(serde::de::Error::duplicate_field("readings"));
                    }
                    seen_readings = true;
                    let (readings, undecodable) = map.next_value_seed(ItemsSeed {
                        max_items: self.max_items,
                    })?;
                    page.readings = readings;
                    page.undecodable = undecodable;
                }
                "next" => page.next = map.next_value()?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        if !seen_readings {
            return Err(serde::de::Error::missing_field("readings"));
        }
        Ok(page)
    }
}

/// `serde` seed of the `readings` array: decoded readings and the count of undecodable ones.
struct ItemsSeed {
    max_items: usize,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = (Vec<SignedReading>, u64);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed {
    type Value = (Vec<SignedReading>, u64);

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of signed readings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut undecodable = 0u64;
        let mut n = 0usize;
        while let Some(j) = seq.next_element::<ReadingJson>()? {
            n += 1;
            if n > self.max_items {
                return Err(serde::de::Error::custom(format!(
                    "more than {} readings in one page",
                    self.max_items
                )));
            }
            match SignedReading::try_from(&j) {
                Ok(s) => out.push(s),
                Err(_) => undecodable += 1,
            }
        }
        Ok((out, undecodable))
    }
}

impl Peers {
    /// Peers at `urls` (base URLs such as `http://10.0.0.2:8080`).
    pub fn new(urls: Vec<String>, limits: PeerLimits) -> Self {
        let http = reqwest::Client::builder()
            .timeout(limits.request_timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Peers {
            urls: urls
                .into_iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            http,
            limits,
            registries: std::sync::Mutex::new(std::collections::BTreeMap::new()),
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

    /// The limits pulls run under.
    pub fn limits(&self) -> PeerLimits {
        self.limits
    }

    /// The registry of `round` remembered by [`Self::remember_registry`].
    pub fn registry(&self, round: u64) -> Option<Arc<HashSet<[u8; 32]>>> {
        self.registries.lock().ok()?.get(&round).cloned()
    }

    /// Remembers the registry (device keys registered as of `round`) for later pulls of it.
    pub fn remember_registry(&self, round: u64, keys: Arc<HashSet<[u8; 32]>>) {
        if let Ok(mut m) = self.registries.lock() {
            m.insert(round, keys);
            while m.len() > REGISTRY_CACHE {
                if m.pop_first().is_none() {
                    break;
                }
            }
        }
    }

    /// Pulls round `round` (window bounds `[from, to)`) from every peer at once and imports it
    /// through `ingest` ([`Ingestor::import_peer`]: signatures verified, durable on return).
    /// Only readings touching the round, of devices in `registered` (the round's registry,
    /// when given), within each device's allowance are imported. Each peer's pull ends at
    /// [`PeerLimits::pull_deadline`]; what arrived by then is kept, and the next pull goes on.
    pub async fn pull_round(
        &self,
        round: u64,
        (from, to): (u64, u64),
        registered: Option<&HashSet<[u8; 32]>>,
        ingest: &Ingestor,
    ) -> PullReport {
        let scope = ImportScope::new((from, to), registered);
        let local = Self::local_digest(ingest, (from, to)).await;
        let scope = &scope;
        let local = &local;
        let pulls = self.urls.iter().map(|url| async move {
            let mut one = PullReport::default();
            let res = tokio::time::timeout(
                self.limits.pull_deadline,
                self.pull_one(url, round, local, ingest, scope, &mut one),
            )
            .instrument(tracing::info_span!("peer", peer = %url))
            .await
            .unwrap_or(Err(PeerError::Deadline(self.limits.pull_deadline)));
            (url, res, one)
        });
        let mut report = PullReport {
            peers: u64::try_from(self.urls.len()).unwrap_or(u64::MAX),
            ..PullReport::default()
        };
        for (url, res, one) in futures_util::future::join_all(pulls).await {
            report.peers_equal += one.peers_equal;
            report.imported += one.imported;
            report.rejected += one.rejected;
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

    /// Count-free digest of the local round set, streamed from the store (no set in memory).
    async fn local_digest(ingest: &Ingestor, (from, to): (u64, u64)) -> Result<String, String> {
        let store = ingest.store.clone();
        let (_, digest) = tokio::task::spawn_blocking(move || store.round_digest(from, to))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        Ok(hex::encode(digest))
    }

    /// One page from `req`: the body is read chunk by chunk (at most
    /// [`PeerLimits::max_page_bytes`]) into a parser on a blocking thread that decodes each
    /// reading as it arrives (at most [`PeerLimits::max_page_items`]).
    async fn fetch_page(&self, req: reqwest::RequestBuilder) -> Result<DecodedPage, PeerError> {
        let mut resp = req.send().await?.error_for_status()?;
        let limit = self.limits.max_page_bytes;
        if resp
            .content_length()
            .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
        {
            return Err(PeerError::TooLarge { limit });
        }
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(8);
        let max_items = self.limits.max_page_items;
        let parser = tokio::task::spawn_blocking(move || {
            let reader = std::io::BufReader::with_capacity(
                64 * 1024,
                ChunkReader {
                    rx,
                    current: Bytes::new(),
                },
            );
            let mut de = serde_json::Deserializer::from_reader(reader);
            let page = PageSeed { max_items }.deserialize(&mut de)?;
            de.end()?;
            Ok::<_, serde_json::Error>(page)
        });
        let mut total = 0usize;
        let mut fed = Ok(());
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    total = total.saturating_add(chunk.len());
                    if total > limit {
                        fed = Err(PeerError::TooLarge { limit });
                        break;
                    }
                    // The parser gone means it already failed: its error is the answer.
                    if tx.send(chunk).await.is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    fed = Err(PeerError::Http(e));
                    break;
                }
            }
        }
        drop(tx);
        let parsed = parser.await.map_err(|e| PeerError::Local(e.to_string()))?;
        fed?;
        parsed.map_err(|e| PeerError::BadAnswer(e.to_string()))
    }

    async fn pull_one(
        &self,
        url: &str,
        round: u64,
        local: &Result<String, String>,
        ingest: &Ingestor,
        scope: &ImportScope<'_>,
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
        let local = local.as_ref().map_err(|e| PeerError::Local(e.clone()))?;
        if &theirs.digest == local {
            report.peers_equal += 1;
            return Ok(());
        }
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut req = self.http.get(format!("{url}/v1/rounds/{round}/readings"));
            if let Some(c) = &cursor {
                req = req.query(&[("after", c.as_str())]);
            }
            let page = self.fetch_page(req).await?;
            if page.round != Some(round) {
                return Err(PeerError::BadAnswer(format!(
                    "asked round {round}, got {:?}",
                    page.round
                )));
            }
            report.rejected += page.undecodable;
            if !page.readings.is_empty() {
                let r = ingest
                    .import_peer(page.readings, scope)
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

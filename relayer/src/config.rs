//! Relayer configuration: one TOML file (template: `relayer/config.example.toml`), every key
//! overridable from the environment as `RELAYER__<SECTION>__<KEY>` (e.g.
//! `RELAYER__HTTP__LISTEN=0.0.0.0:8080`; values are parsed as TOML, falling back to a string).
//! Unknown keys are errors. Secrets are wrapped in [`Secret`], which never prints or
//! serialises its content. [`Config::validate`] runs at start-up, before anything is served.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use cube_scoring::RatedPower;
use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

use crate::ingest::{IngestPolicy, Quota, RoundClock};
use crate::store::SqliteConfig;

/// Environment prefix of overrides.
pub const ENV_PREFIX: &str = "RELAYER__";

/// Configuration errors.
#[derive(Error, Debug)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// File path.
        path: String,
        /// IO error.
        source: std::io::Error,
    },
    /// TOML syntax or schema error (unknown key, wrong type).
    #[error("config: {0}")]
    Parse(String),
    /// An environment override names no `SECTION__KEY`.
    #[error("environment override {0} must be RELAYER__SECTION__KEY")]
    BadEnvKey(String),
    /// The configuration could not be rendered as TOML (e.g. a path that is not UTF-8).
    #[error("rendering config: {0}")]
    Render(String),
    /// The file could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// File path.
        path: String,
        /// IO error.
        source: std::io::Error,
    },
    /// A value fails validation.
    #[error("config {field}: {reason}")]
    Invalid {
        /// Dotted key.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// A secret string: never printed, never serialised.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret value (use only where it is needed, never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"[redacted]\""
        })
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { "[redacted]" })
    }
}

/// `[chain]`: which deployment this relayer serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// Chain id; part of the telemetry signature domain.
    pub chain_id: String,
    /// Mining-round contract address; part of the telemetry signature domain.
    pub mining_round_contract: String,
    /// Node REST (LCD) endpoint used by the chain client.
    #[serde(default = "default_rest_url")]
    pub rest_url: String,
    /// Node RPC endpoint used by the chain client.
    #[serde(default = "default_rpc_url")]
    pub rpc_url: String,
    /// Seconds between device-registry refreshes from the chain.
    #[serde(default = "default_refresh_secs")]
    pub device_refresh_secs: u64,
    /// Gas price of submissions, e.g. `0.025stake`.
    #[serde(default = "default_gas_price")]
    pub gas_price: String,
    /// Bech32 account prefix.
    #[serde(default = "default_account_prefix")]
    pub account_prefix: String,
    /// Read devices, policy and whitelist from chain and submit attestations (needs an
    /// operator key). `false`: offline mode (static devices, config whitelist, default
    /// policy v1; rounds are aggregated and recorded but not submitted).
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_gas_price() -> String {
    "0.025stake".into()
}
fn default_account_prefix() -> String {
    "wasm".into()
}
fn default_true() -> bool {
    true
}

fn default_rest_url() -> String {
    "http://127.0.0.1:1317".into()
}
fn default_rpc_url() -> String {
    "http://127.0.0.1:26657".into()
}
fn default_refresh_secs() -> u64 {
    30
}

/// `[operator]`: the oracle's chain account (secp256k1 key from a BIP-39 mnemonic at
/// m/44'/118'/0'/0/0, used through `packages/chain-client`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    /// File holding the mnemonic (mode 0600).
    #[serde(default)]
    pub mnemonic_file: Option<PathBuf>,
    /// Alternatively the mnemonic itself, best given as `RELAYER__OPERATOR__MNEMONIC`.
    #[serde(default)]
    pub mnemonic: Secret,
}

/// `[store]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// SQLite database file.
    #[serde(default = "default_db_path")]
    pub path: PathBuf,
    /// Requests waiting for the writer before 429.
    #[serde(default = "default_queue_capacity")]
    pub queue_capacity: usize,
    /// Readings per group commit at most.
    #[serde(default = "default_max_group")]
    pub max_group_readings: usize,
    /// `full` (fsync per commit) or `normal`.
    #[serde(default = "default_synchronous")]
    pub synchronous: String,
    /// Rounds finalized on chain whose readings are kept; older ones are pruned. Absent: keep
    /// every reading forever.
    #[serde(default)]
    pub retention_rounds: Option<u64>,
}

fn default_db_path() -> PathBuf {
    PathBuf::from("relayer.sqlite")
}
fn default_queue_capacity() -> usize {
    256
}
fn default_max_group() -> usize {
    20_000
}
fn default_synchronous() -> String {
    "full".into()
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: default_db_path(),
            queue_capacity: default_queue_capacity(),
            max_group_readings: default_max_group(),
            synchronous: default_synchronous(),
            retention_rounds: None,
        }
    }
}

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Listen address.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Request body limit (413 beyond).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Readings per request limit (413 beyond).
    #[serde(default = "default_max_items")]
    pub max_batch_items: usize,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_max_body() -> usize {
    1024 * 1024
}
fn default_max_items() -> usize {
    2_000
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_listen(),
            max_body_bytes: default_max_body(),
            max_batch_items: default_max_items(),
        }
    }
}

/// `[ingest]`: fairness limits. Rates are per second; a quota with `rate = 0` is disabled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Validly signed readings per device and second (token bucket refill).
    #[serde(default = "default_device_rate")]
    pub device_rate: f64,
    /// Device bucket capacity (a device catching up after being offline).
    #[serde(default = "default_device_burst")]
    pub device_burst: f64,
    /// Readings per client address and second (counted on arrival, whole request refused
    /// with 429 `client_quota`).
    #[serde(default = "default_client_rate")]
    pub client_rate: f64,
    /// Client bucket capacity.
    #[serde(default = "default_client_burst")]
    pub client_burst: f64,
    /// Invalid signatures tolerated per request before the rest is answered `signature_budget`.
    #[serde(default = "default_max_invalid")]
    pub max_invalid_signatures: usize,
}

impl Eq for IngestConfig {}

fn default_device_rate() -> f64 {
    1.0
}
fn default_device_burst() -> f64 {
    2_000.0
}
fn default_client_rate() -> f64 {
    5_000.0
}
fn default_client_burst() -> f64 {
    20_000.0
}
fn default_max_invalid() -> usize {
    crate::ingest::DEFAULT_MAX_INVALID_SIGNATURES
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            device_rate: default_device_rate(),
            device_burst: default_device_burst(),
            client_rate: default_client_rate(),
            client_burst: default_client_burst(),
            max_invalid_signatures: default_max_invalid(),
        }
    }
}

fn quota(rate: f64, burst: f64) -> Option<Quota> {
    (rate > 0.0).then_some(Quota { rate, burst })
}

/// `[rounds]`: must match the mining-round contract (read from chain once the client exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundsConfig {
    /// Start of round 0, unix seconds.
    pub genesis: u64,
    /// Round length, seconds.
    #[serde(default = "default_duration")]
    pub duration_secs: u64,
    /// Wait after a round's end before aggregating it (late readings are still accepted).
    #[serde(default = "default_grace")]
    pub grace_secs: u64,
    /// Device clock skew tolerated for window ends, seconds.
    #[serde(default = "default_skew")]
    pub clock_skew_secs: u64,
    /// Entries per attestation batch (derived from the gas budget; identical on all relayers).
    #[serde(default = "default_batch_entries")]
    pub max_entries_per_batch: usize,
}

fn default_duration() -> u64 {
    86_400
}
fn default_grace() -> u64 {
    600
}
fn default_skew() -> u64 {
    120
}
fn default_batch_entries() -> usize {
    50
}

/// `[devices]`: registry seed and hardware parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicesConfig {
    /// Optional JSON file of devices (`[{"pubkey": hex, "owner", "model", "timezone"}]`) used
    /// in addition to / instead of the chain registry (simulations, tests).
    #[serde(default)]
    pub static_file: Option<PathBuf>,
    /// Whitelisted battery ids (the chain's list takes precedence once read from chain).
    #[serde(default)]
    pub battery_whitelist: Vec<String>,
    /// CubeV1 rated power, W.
    #[serde(default = "default_v1_w")]
    pub cube_v1_w: u64,
    /// CubeV2 rated power, W.
    #[serde(default = "default_v2_w")]
    pub cube_v2_w: u64,
}

fn default_v1_w() -> u64 {
    RatedPower::default().cube_v1_w
}
fn default_v2_w() -> u64 {
    RatedPower::default().cube_v2_w
}

impl Default for DevicesConfig {
    fn default() -> Self {
        DevicesConfig {
            static_file: None,
            battery_whitelist: Vec::new(),
            cube_v1_w: default_v1_w(),
            cube_v2_w: default_v2_w(),
        }
    }
}

/// `[peers]`: other relayers of the same deployment. Before aggregating a round, and again
/// whenever the chain holds a batch hash this relayer did not compute, the round's signed
/// readings are pulled from every peer, verified and added to the local store; aggregation
/// runs over the union. Unreachable peers are logged and retried, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeersConfig {
    /// Base URLs of the peers' HTTP servers, e.g. `["http://10.0.0.2:8080"]`.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Per-request timeout, seconds.
    #[serde(default = "default_peer_timeout")]
    pub timeout_secs: u64,
}

fn default_peer_timeout() -> u64 {
    10
}

impl Default for PeersConfig {
    fn default() -> Self {
        PeersConfig {
            urls: Vec::new(),
            timeout_secs: default_peer_timeout(),
        }
    }
}

/// `[aggregation]`: the round workers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregationConfig {
    /// Seconds between two passes of a round worker over the chain state of its round.
    #[serde(default = "default_poll")]
    pub poll_secs: u64,
    /// At most this many past rounds are resumed after a restart (the rounds whose
    /// attestation window is still open, newest first).
    #[serde(default = "default_resume")]
    pub max_resume_rounds: u64,
    /// Seconds after a round's end before it is aggregated. Default: the time ingest still
    /// accepts readings of the round (one maximal window + `rounds.grace_secs`), so a reading
    /// counts by its window and not by when it arrived. Shorter only in tests where every
    /// reading is delivered before the round ends.
    #[serde(default)]
    pub delay_secs: Option<u64>,
    /// Before its first vote on a round, a relayer waits until every peer's digest of the
    /// round equals its own (pulling from the peers that differ), at most this many seconds.
    #[serde(default = "default_agreement_timeout")]
    pub agreement_timeout_secs: u64,
}

fn default_agreement_timeout() -> u64 {
    120
}

fn default_poll() -> u64 {
    6
}
fn default_resume() -> u64 {
    1_000
}

impl Default for AggregationConfig {
    fn default() -> Self {
        AggregationConfig {
            poll_secs: default_poll(),
            max_resume_rounds: default_resume(),
            delay_secs: None,
            agreement_timeout_secs: default_agreement_timeout(),
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `json` or `text`.
    #[serde(default = "default_log_format")]
    pub format: String,
    /// `tracing` filter, e.g. `info,relayer=debug` (`RUST_LOG` wins when set).
    #[serde(default = "default_log_level")]
    pub level: String,
}

fn default_log_format() -> String {
    "text".into()
}
fn default_log_level() -> String {
    "info".into()
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: default_log_format(),
            level: default_log_level(),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Deployment.
    pub chain: ChainConfig,
    /// Operator key.
    #[serde(default)]
    pub operator: OperatorConfig,
    /// Storage.
    #[serde(default)]
    pub store: StoreConfig,
    /// HTTP server.
    #[serde(default)]
    pub http: HttpConfig,
    /// Ingest fairness.
    #[serde(default)]
    pub ingest: IngestConfig,
    /// Rounds.
    pub rounds: RoundsConfig,
    /// Devices.
    #[serde(default)]
    pub devices: DevicesConfig,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// Peer relayers.
    #[serde(default)]
    pub peers: PeersConfig,
    /// Round workers.
    #[serde(default)]
    pub aggregation: AggregationConfig,
}

fn parse_env_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

impl Config {
    /// Parses TOML text, applies `env` overrides (pairs of name and value; pass
    /// `std::env::vars()`), and validates.
    pub fn from_toml_with_env(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        for (k, v) in env {
            let Some(rest) = k.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let mut parts = rest.splitn(2, "__");
            let (Some(section), Some(key)) = (parts.next(), parts.next()) else {
                return Err(ConfigError::BadEnvKey(k));
            };
            if section.is_empty() || key.is_empty() {
                return Err(ConfigError::BadEnvKey(k));
            }
            let section = section.to_ascii_lowercase();
            let key = key.to_ascii_lowercase();
            let entry = table
                .entry(section)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => {
                    t.insert(key, parse_env_value(&v));
                }
                _ => return Err(ConfigError::BadEnvKey(k)),
            }
        }
        let cfg: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// A builder starting from the daemon's defaults (every key the TOML file may omit), for
    /// programs that write relayer configs (tests, the demo, the localnet suite).
    pub fn builder(
        chain_id: impl Into<String>,
        mining_round_contract: impl Into<String>,
        genesis: u64,
    ) -> ConfigBuilder {
        ConfigBuilder::new(chain_id, mining_round_contract, genesis)
    }

    /// The configuration as a TOML file [`Config::load`] reads back to an equal value. Unlike
    /// `Serialize` (which redacts secrets, for logs), an inline `operator.mnemonic` is written
    /// in clear: this is the file the daemon will read. Prefer `operator.mnemonic_file`.
    pub fn to_toml(&self) -> Result<String, ConfigError> {
        let mut table =
            toml::Table::try_from(self).map_err(|e| ConfigError::Render(e.to_string()))?;
        if !self.operator.mnemonic.is_empty() {
            if let Some(toml::Value::Table(op)) = table.get_mut("operator") {
                op.insert(
                    "mnemonic".into(),
                    toml::Value::String(self.operator.mnemonic.expose().to_string()),
                );
            }
        }
        toml::to_string(&table).map_err(|e| ConfigError::Render(e.to_string()))
    }

    /// Writes [`Config::to_toml`] to `path` (replacing it). A config holding an inline mnemonic
    /// is written as a secret file (mode 0600, fsynced).
    pub fn write(&self, path: &Path) -> Result<(), ConfigError> {
        let text = self.to_toml()?;
        let written = if self.operator.mnemonic.is_empty() {
            std::fs::write(path, text)
        } else {
            host_util::replace_secret_file(path, text.as_bytes())
        };
        written.map_err(|source| ConfigError::Write {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads `path` and the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_with_env(&text, std::env::vars())
    }

    /// Checks every value; called by the loaders.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, reason: &str| {
            Err(ConfigError::Invalid {
                field,
                reason: reason.to_string(),
            })
        };
        if self.chain.chain_id.is_empty() {
            return invalid("chain.chain_id", "must not be empty");
        }
        if self.chain.mining_round_contract.is_empty() {
            return invalid("chain.mining_round_contract", "must not be empty");
        }
        if self.chain.enabled
            && self.operator.mnemonic.is_empty()
            && self.operator.mnemonic_file.is_none()
        {
            return invalid(
                "operator",
                "chain.enabled needs mnemonic or mnemonic_file (or set chain.enabled = false)",
            );
        }
        if !(self.chain.rest_url.starts_with("http://")
            || self.chain.rest_url.starts_with("https://"))
        {
            return invalid("chain.rest_url", "must start with http:// or https://");
        }
        if self.chain.device_refresh_secs == 0 {
            return invalid("chain.device_refresh_secs", "must be at least 1");
        }
        if self.http.listen.parse::<SocketAddr>().is_err() {
            return invalid("http.listen", "must be host:port with an IP address");
        }
        if self.http.max_body_bytes < 1024 {
            return invalid("http.max_body_bytes", "must be at least 1024");
        }
        if self.http.max_batch_items == 0 {
            return invalid("http.max_batch_items", "must be at least 1");
        }
        if self.store.queue_capacity == 0 {
            return invalid("store.queue_capacity", "must be at least 1");
        }
        if self.store.max_group_readings == 0 {
            return invalid("store.max_group_readings", "must be at least 1");
        }
        if !matches!(self.store.synchronous.as_str(), "full" | "normal") {
            return invalid("store.synchronous", "must be \"full\" or \"normal\"");
        }
        for (field, v) in [
            ("ingest.device_rate", self.ingest.device_rate),
            ("ingest.device_burst", self.ingest.device_burst),
            ("ingest.client_rate", self.ingest.client_rate),
            ("ingest.client_burst", self.ingest.client_burst),
        ] {
            if !v.is_finite() || v < 0.0 {
                return invalid(field, "must be a finite number >= 0");
            }
        }
        if self.ingest.device_rate > 0.0 && self.ingest.device_burst < 1.0 {
            return invalid("ingest.device_burst", "must be at least 1");
        }
        if self.ingest.client_rate > 0.0 && self.ingest.client_burst < 1.0 {
            return invalid("ingest.client_burst", "must be at least 1");
        }
        if self.ingest.max_invalid_signatures == 0 {
            return invalid("ingest.max_invalid_signatures", "must be at least 1");
        }
        if self.rounds.duration_secs < 60 {
            return invalid("rounds.duration_secs", "must be at least 60");
        }
        if self.rounds.grace_secs >= self.rounds.duration_secs {
            return invalid("rounds.grace_secs", "must be shorter than a round");
        }
        if self.rounds.max_entries_per_batch == 0 {
            return invalid("rounds.max_entries_per_batch", "must be at least 1");
        }
        if self.devices.cube_v1_w == 0 || self.devices.cube_v2_w == 0 {
            return invalid("devices.cube_v*_w", "rated power must be positive");
        }
        for u in &self.peers.urls {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return invalid(
                    "peers.urls",
                    "every peer must start with http:// or https://",
                );
            }
        }
        if self.peers.timeout_secs == 0 {
            return invalid("peers.timeout_secs", "must be at least 1");
        }
        if self.aggregation.poll_secs == 0 {
            return invalid("aggregation.poll_secs", "must be at least 1");
        }
        if !matches!(self.log.format.as_str(), "json" | "text") {
            return invalid("log.format", "must be \"json\" or \"text\"");
        }
        if !self.operator.mnemonic.is_empty() && self.operator.mnemonic_file.is_some() {
            return invalid("operator", "set mnemonic_file or mnemonic, not both");
        }
        if !self.operator.mnemonic.is_empty() {
            let words = self.operator.mnemonic.expose().split_whitespace().count();
            if ![12, 15, 18, 21, 24].contains(&words) {
                return invalid("operator.mnemonic", "must have 12, 15, 18, 21 or 24 words");
            }
        }
        Ok(())
    }

    /// Round timing.
    pub fn round_clock(&self) -> RoundClock {
        RoundClock::new(
            self.rounds.genesis,
            self.rounds.duration_secs,
            self.rounds.grace_secs,
        )
    }

    /// Ingest limits.
    pub fn ingest_policy(&self) -> IngestPolicy {
        IngestPolicy {
            max_batch_items: self.http.max_batch_items,
            clock_skew_secs: self.rounds.clock_skew_secs,
            rounds: self.round_clock(),
            rated_power: RatedPower {
                cube_v1_w: self.devices.cube_v1_w,
                cube_v2_w: self.devices.cube_v2_w,
            },
            device_quota: quota(self.ingest.device_rate, self.ingest.device_burst),
            client_quota: quota(self.ingest.client_rate, self.ingest.client_burst),
            max_invalid_signatures: self.ingest.max_invalid_signatures,
        }
    }

    /// With `[store] retention_rounds = k` and round `finalized` the newest round finalized on
    /// chain: the time to pass to `ReadingStore::prune_rounds_before` (the end of round
    /// `finalized - k`), or `None` when nothing is to be pruned.
    pub fn prune_before(&self, finalized: u64) -> Option<u64> {
        let k = self.store.retention_rounds?;
        let r = finalized.checked_sub(k)?;
        self.round_clock().bounds(r).map(|(_, end)| end)
    }

    /// Seconds after a round's end before the round worker aggregates it.
    pub fn aggregation_delay(&self) -> u64 {
        self.aggregation
            .delay_secs
            .unwrap_or_else(|| crate::store::MAX_WINDOW_SECS.saturating_add(self.rounds.grace_secs))
    }

    /// Store settings.
    pub fn sqlite(&self) -> SqliteConfig {
        SqliteConfig {
            path: self.store.path.clone(),
            queue_capacity: self.store.queue_capacity,
            max_group_readings: self.store.max_group_readings,
            synchronous_full: self.store.synchronous == "full",
        }
    }

    /// Whitelist as a set.
    pub fn whitelist(&self) -> HashSet<String> {
        self.devices.battery_whitelist.iter().cloned().collect()
    }
}

/// Builds a [`Config`] in code; see [`Config::builder`]. Each setter names the TOML key it
/// sets; [`ConfigBuilder::build`] validates like the loader.
#[derive(Debug, Clone)]
#[must_use]
pub struct ConfigBuilder {
    cfg: Config,
}

impl ConfigBuilder {
    fn new(
        chain_id: impl Into<String>,
        mining_round_contract: impl Into<String>,
        genesis: u64,
    ) -> Self {
        ConfigBuilder {
            cfg: Config {
                chain: ChainConfig {
                    chain_id: chain_id.into(),
                    mining_round_contract: mining_round_contract.into(),
                    rest_url: default_rest_url(),
                    rpc_url: default_rpc_url(),
                    device_refresh_secs: default_refresh_secs(),
                    gas_price: default_gas_price(),
                    account_prefix: default_account_prefix(),
                    enabled: true,
                },
                operator: OperatorConfig::default(),
                store: StoreConfig::default(),
                http: HttpConfig::default(),
                ingest: IngestConfig::default(),
                rounds: RoundsConfig {
                    genesis,
                    duration_secs: default_duration(),
                    grace_secs: default_grace(),
                    clock_skew_secs: default_skew(),
                    max_entries_per_batch: default_batch_entries(),
                },
                devices: DevicesConfig::default(),
                log: LogConfig::default(),
                peers: PeersConfig::default(),
                aggregation: AggregationConfig::default(),
            },
        }
    }

    /// `chain.enabled = false`: offline mode (no chain reads, no submissions, no operator key).
    pub fn offline(mut self) -> Self {
        self.cfg.chain.enabled = false;
        self
    }

    /// `chain.rest_url`.
    pub fn rest_url(mut self, url: impl Into<String>) -> Self {
        self.cfg.chain.rest_url = url.into();
        self
    }

    /// `chain.rpc_url`.
    pub fn rpc_url(mut self, url: impl Into<String>) -> Self {
        self.cfg.chain.rpc_url = url.into();
        self
    }

    /// `chain.gas_price`, e.g. `0.025stake`.
    pub fn gas_price(mut self, price: impl Into<String>) -> Self {
        self.cfg.chain.gas_price = price.into();
        self
    }

    /// `chain.account_prefix`.
    pub fn account_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.cfg.chain.account_prefix = prefix.into();
        self
    }

    /// `chain.device_refresh_secs`.
    pub fn device_refresh_secs(mut self, secs: u64) -> Self {
        self.cfg.chain.device_refresh_secs = secs;
        self
    }

    /// `operator.mnemonic_file`.
    pub fn mnemonic_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.cfg.operator.mnemonic_file = Some(path.into());
        self
    }

    /// `operator.mnemonic` (inline; [`Config::write`] then writes a 0600 file).
    pub fn mnemonic(mut self, words: impl Into<String>) -> Self {
        self.cfg.operator.mnemonic = Secret(words.into());
        self
    }

    /// `store.path`.
    pub fn store_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.cfg.store.path = path.into();
        self
    }

    /// `store.synchronous = "normal"` (no fsync per commit; demos and tests).
    pub fn synchronous_normal(mut self) -> Self {
        self.cfg.store.synchronous = "normal".into();
        self
    }

    /// `store.retention_rounds`.
    pub fn retention_rounds(mut self, rounds: u64) -> Self {
        self.cfg.store.retention_rounds = Some(rounds);
        self
    }

    /// `http.listen`.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.cfg.http.listen = addr.to_string();
        self
    }

    /// `http.listen = "127.0.0.1:<port>"`.
    pub fn listen_local(self, port: u16) -> Self {
        self.listen(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    /// `http.max_body_bytes`.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.cfg.http.max_body_bytes = bytes;
        self
    }

    /// `http.max_batch_items`.
    pub fn max_batch_items(mut self, items: usize) -> Self {
        self.cfg.http.max_batch_items = items;
        self
    }

    /// The whole `[ingest]` section.
    pub fn ingest(mut self, ingest: IngestConfig) -> Self {
        self.cfg.ingest = ingest;
        self
    }

    /// `rounds.duration_secs`.
    pub fn round_duration_secs(mut self, secs: u64) -> Self {
        self.cfg.rounds.duration_secs = secs;
        self
    }

    /// `rounds.grace_secs`.
    pub fn grace_secs(mut self, secs: u64) -> Self {
        self.cfg.rounds.grace_secs = secs;
        self
    }

    /// `rounds.clock_skew_secs`.
    pub fn clock_skew_secs(mut self, secs: u64) -> Self {
        self.cfg.rounds.clock_skew_secs = secs;
        self
    }

    /// `rounds.max_entries_per_batch`.
    pub fn max_entries_per_batch(mut self, entries: usize) -> Self {
        self.cfg.rounds.max_entries_per_batch = entries;
        self
    }

    /// `devices.static_file`.
    pub fn static_devices(mut self, path: impl Into<PathBuf>) -> Self {
        self.cfg.devices.static_file = Some(path.into());
        self
    }

    /// `devices.battery_whitelist`.
    pub fn battery_whitelist<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.cfg.devices.battery_whitelist = ids.into_iter().map(Into::into).collect();
        self
    }

    /// `devices.cube_v1_w` and `devices.cube_v2_w`.
    pub fn rated_power(mut self, rated: RatedPower) -> Self {
        self.cfg.devices.cube_v1_w = rated.cube_v1_w;
        self.cfg.devices.cube_v2_w = rated.cube_v2_w;
        self
    }

    /// `peers.urls`.
    pub fn peers<S: Into<String>>(mut self, urls: impl IntoIterator<Item = S>) -> Self {
        self.cfg.peers.urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// `peers.timeout_secs`.
    pub fn peer_timeout_secs(mut self, secs: u64) -> Self {
        self.cfg.peers.timeout_secs = secs;
        self
    }

    /// `aggregation.poll_secs`.
    pub fn poll_secs(mut self, secs: u64) -> Self {
        self.cfg.aggregation.poll_secs = secs;
        self
    }

    /// `aggregation.delay_secs`.
    pub fn aggregation_delay_secs(mut self, secs: u64) -> Self {
        self.cfg.aggregation.delay_secs = Some(secs);
        self
    }

    /// `aggregation.agreement_timeout_secs`.
    pub fn agreement_timeout_secs(mut self, secs: u64) -> Self {
        self.cfg.aggregation.agreement_timeout_secs = secs;
        self
    }

    /// `aggregation.max_resume_rounds`.
    pub fn max_resume_rounds(mut self, rounds: u64) -> Self {
        self.cfg.aggregation.max_resume_rounds = rounds;
        self
    }

    /// `log.format`: `json` or `text`.
    pub fn log_format(mut self, format: impl Into<String>) -> Self {
        self.cfg.log.format = format.into();
        self
    }

    /// `log.level`: a `tracing` filter.
    pub fn log_level(mut self, level: impl Into<String>) -> Self {
        self.cfg.log.level = level.into();
        self
    }

    /// The configuration, validated like a loaded file.
    pub fn build(self) -> Result<Config, ConfigError> {
        self.cfg.validate()?;
        Ok(self.cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"
        [chain]
        chain_id = "cube-1"
        mining_round_contract = "wasm1abc"
        enabled = false
        [rounds]
        genesis = 1700000000
    "#;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The field a config with these overrides is rejected for.
    fn rejected_field(pairs: &[(&str, &str)]) -> &'static str {
        match Config::from_toml_with_env(MIN, env(pairs)) {
            Err(ConfigError::Invalid { field, .. }) => field,
            other => panic!("{pairs:?}: expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn defaults_apply() {
        let c = Config::from_toml_with_env(MIN, vec![]).unwrap();
        assert_eq!(c.http.listen, "127.0.0.1:8080");
        assert_eq!(c.rounds.duration_secs, 86_400);
        assert_eq!(c.store.synchronous, "full");
        assert!(c.sqlite().synchronous_full);
        assert_eq!(c.ingest_policy().rated_power, RatedPower::default());
    }

    #[test]
    fn ingest_quotas_and_retention() {
        let c = Config::from_toml_with_env(MIN, vec![]).unwrap();
        let p = c.ingest_policy();
        assert_eq!(
            p.device_quota,
            Some(crate::ingest::Quota {
                rate: 1.0,
                burst: 2_000.0
            })
        );
        assert_eq!(p.max_invalid_signatures, 16);
        assert_eq!(c.prune_before(10), None, "no retention: keep everything");
        let c = Config::from_toml_with_env(
            MIN,
            env(&[
                ("RELAYER__INGEST__CLIENT_RATE", "0"),
                ("RELAYER__STORE__RETENTION_ROUNDS", "3"),
            ]),
        )
        .unwrap();
        assert_eq!(c.ingest_policy().client_quota, None, "rate 0 disables");
        // Round 10 finalized, keep 3: prune up to the end of round 7.
        assert_eq!(c.prune_before(10), Some(1_700_000_000 + 8 * 86_400));
        assert_eq!(c.prune_before(2), None);
        for (k, v, field) in [
            ("RELAYER__INGEST__DEVICE_RATE", "-1.0", "ingest.device_rate"),
            (
                "RELAYER__INGEST__DEVICE_BURST",
                "0.5",
                "ingest.device_burst",
            ),
            (
                "RELAYER__INGEST__MAX_INVALID_SIGNATURES",
                "0",
                "ingest.max_invalid_signatures",
            ),
        ] {
            assert_eq!(rejected_field(&[(k, v)]), field, "{k}");
        }
    }

    #[test]
    fn env_overrides_typed_values() {
        let c = Config::from_toml_with_env(
            MIN,
            env(&[
                ("RELAYER__HTTP__LISTEN", "0.0.0.0:9000"),
                ("RELAYER__ROUNDS__DURATION_SECS", "900"),
                ("RELAYER__DEVICES__BATTERY_WHITELIST", "[\"A\", \"B\"]"),
                ("RELAYER__OPERATOR__MNEMONIC", &["abandon"; 12].join(" ")),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.http.listen, "0.0.0.0:9000");
        assert_eq!(c.rounds.duration_secs, 900);
        assert_eq!(c.devices.battery_whitelist, vec!["A", "B"]);
        assert_eq!(c.operator.mnemonic.expose(), ["abandon"; 12].join(" "));
    }

    #[test]
    fn secrets_never_printed() {
        let c = Config::from_toml_with_env(
            MIN,
            env(&[("RELAYER__OPERATOR__MNEMONIC", &["zebra"; 24].join(" "))]),
        )
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("zebra"), "{dbg}");
        assert!(dbg.contains("[redacted]"));
        let ser = toml::to_string(&c).unwrap();
        assert!(!ser.contains("zebra"), "{ser}");
    }

    #[test]
    fn unknown_keys_and_bad_values_fail_loudly() {
        let e = Config::from_toml_with_env(&format!("{MIN}\n[http]\nlisten_port = 1\n"), vec![])
            .unwrap_err();
        assert!(
            matches!(e, ConfigError::Parse(ref m) if m.contains("listen_port")),
            "{e}"
        );
        let e = Config::from_toml_with_env(MIN, env(&[("RELAYER__HTTP", "x")])).unwrap_err();
        assert!(
            matches!(e, ConfigError::BadEnvKey(ref k) if k == "RELAYER__HTTP"),
            "{e}"
        );
        for (k, v, field) in [
            ("RELAYER__HTTP__LISTEN", "nope", "http.listen"),
            ("RELAYER__ROUNDS__GRACE_SECS", "90000", "rounds.grace_secs"),
            (
                "RELAYER__OPERATOR__MNEMONIC",
                "one two",
                "operator.mnemonic",
            ),
            ("RELAYER__CHAIN__ENABLED", "true", "operator"),
            ("RELAYER__STORE__SYNCHRONOUS", "off", "store.synchronous"),
        ] {
            assert_eq!(rejected_field(&[(k, v)]), field, "{k}");
        }
    }

    #[test]
    fn builder_defaults_are_the_loader_defaults() {
        let built = Config::builder("cube-1", "wasm1abc", 1_700_000_000)
            .offline()
            .build()
            .unwrap();
        assert_eq!(built, Config::from_toml_with_env(MIN, vec![]).unwrap());
    }

    #[test]
    fn built_config_round_trips_through_the_loader() {
        let dir = tempfile::tempdir().unwrap();
        let mnemonic = ["abandon"; 24].join(" ");
        let built = Config::builder("cube-localnet", "wasm1round", 1_700_000_000)
            .rest_url("http://10.0.0.1:1317")
            .gas_price("0.1ucube")
            .device_refresh_secs(1)
            .mnemonic(mnemonic.clone())
            .store_path(dir.path().join("r.sqlite"))
            .synchronous_normal()
            .retention_rounds(4)
            .listen_local(18080)
            .ingest(IngestConfig {
                device_rate: 0.5,
                ..IngestConfig::default()
            })
            .round_duration_secs(600)
            .grace_secs(10)
            .clock_skew_secs(300)
            .static_devices(dir.path().join("devices.json"))
            .battery_whitelist(["WL-BAT-A", "WL-BAT-B"])
            .peers(["http://127.0.0.1:18081"])
            .poll_secs(2)
            .aggregation_delay_secs(25)
            .log_format("json")
            .build()
            .unwrap();
        let path = dir.path().join("relayer.toml");
        built.write(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o777,
                0o600,
                "an inline mnemonic makes the file a secret"
            );
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = Config::from_toml_with_env(&text, vec![]).unwrap();
        assert_eq!(loaded, built);
        assert_eq!(loaded.operator.mnemonic.expose(), mnemonic);
        assert_eq!(Config::load(&path).unwrap().http, built.http);
        let e = Config::builder("cube-1", "wasm1abc", 0)
            .build()
            .unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    field: "operator",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn example_template_parses() {
        let text = include_str!("../config.example.toml");
        let c = Config::from_toml_with_env(
            text,
            env(&[("RELAYER__OPERATOR__MNEMONIC", &["abandon"; 24].join(" "))]),
        )
        .unwrap();
        assert!(c.chain.enabled);
        assert_eq!(c.chain.chain_id, "cube-localnet");
    }
}

//! Relayer configuration: one TOML file (template: `relayer/config.example.toml`), every key
//! overridable from the environment as `RELAYER__<SECTION>__<KEY>` (e.g.
//! `RELAYER__HTTP__LISTEN=0.0.0.0:8080`; values are parsed as TOML, falling back to a string).
//!
//! * Unknown keys are errors. A file or override that does not parse is reported with its line,
//!   column and key and a value-free description ([`ParseError`]): never the value or the
//!   source line, so a mistyped mnemonic does not end up in a terminal or a log.
//! * Secrets are wrapped in [`Secret`], which never prints or serialises its content.
//! * [`Config::validate`] runs in the loaders, before anything is served: every value that
//!   would break the daemon or make it unsafe is refused with its key
//!   ([`ConfigError::Invalid`]).
//! * [`Config::check_secret_files`] runs at start-up and refuses a mnemonic file that group or
//!   others may read or write.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cube_scoring::RatedPower;
use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

use crate::ingest::{IngestPolicy, Quota, RoundClock};
use crate::peers::PeerLimits;
use crate::server::ServerLimits;
use crate::store::SqliteConfig;

/// Environment prefix of overrides.
pub const ENV_PREFIX: &str = "RELAYER__";

/// Smallest accepted `peers.max_page_bytes` (64 KiB).
pub const MIN_PEER_PAGE_BYTES: usize = 64 * 1024;

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
    /// TOML syntax or schema error (unknown key, wrong type, missing key), located without
    /// quoting the value.
    #[error("config: {0}")]
    Parse(ParseError),
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
    /// A file holding a secret may be read or written by group or others.
    #[error(
        "config {field}: {path} has mode {mode:03o}, readable or writable by group or others; \
         run `chmod 600 {path}`"
    )]
    InsecureSecretFile {
        /// Dotted key naming the file.
        field: &'static str,
        /// File path.
        path: String,
        /// Permission bits of the file.
        mode: u32,
    },
}

/// Where and why a configuration failed to parse. It never holds the offending value or the
/// source line: a syntax error on the mnemonic line must not print the mnemonic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the file, when the error has a place in it.
    pub line: Option<usize>,
    /// 1-based column (characters) in that line.
    pub column: Option<usize>,
    /// Dotted key the error is about, when known (e.g. `operator.mnemonic`).
    pub key: Option<String>,
    /// The environment variable that set the key, when the value came from an override.
    pub env_var: Option<String>,
    /// What is wrong, without the value, e.g. `wrong type, expected a string`,
    /// ``unknown key `x` ``, ``missing key `x` ``.
    pub description: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: ")?,
            (Some(line), None) => write!(f, "line {line}: ")?,
            _ => {}
        }
        if let Some(key) = &self.key {
            write!(f, "key `{key}`")?;
            if let Some(var) = &self.env_var {
                write!(f, " (set by {var})")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.description)
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = before
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        .saturating_add(1);
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i.saturating_add(1));
    let column = String::from_utf8_lossy(before.get(line_start..).unwrap_or_default())
        .chars()
        .count()
        .saturating_add(1);
    (line, column)
}

/// The text of `s` without its quoted parts (backticks, double and single quotes): what serde
/// and TOML quote in messages are values, which are never echoed.
fn without_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut closing: Option<char> = None;
    // Inside double quotes (Rust's `{:?}` of a string, as serde renders values) a backslash
    // escapes the next character.
    let mut escaped = false;
    for c in s.chars() {
        match closing {
            Some(_) if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => closing = None,
            Some(_) => {}
            None if matches!(c, '`' | '"' | '\'') => closing = Some(c),
            None => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The name between the first pair of backticks after `prefix`, if `message` starts with it.
fn named_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// A value-free description of a schema error message (from serde through `toml`) and the
/// key it names, if any (unknown or missing keys).
fn schema_description(message: &str) -> (String, Option<String>) {
    if let Some(key) = named_after(message, "unknown field `") {
        return (format!("unknown key `{key}`"), Some(key.to_string()));
    }
    if let Some(key) = named_after(message, "missing field `") {
        return (format!("missing key `{key}`"), Some(key.to_string()));
    }
    // `invalid type: string "…", expected u64`: the part before the last ", expected " is the
    // value; what follows describes the type wanted.
    let expected = message
        .rfind(", expected ")
        .and_then(|i| message.get(i.saturating_add(", expected ".len())..))
        .map(without_quoted)
        .filter(|e| !e.is_empty());
    let what = if message.starts_with("invalid type") {
        "wrong type"
    } else if message.starts_with("invalid value") {
        "invalid value"
    } else if message.starts_with("invalid length") {
        "wrong number of items"
    } else {
        let rest = without_quoted(message.lines().next().unwrap_or_default());
        return (
            if rest.is_empty() {
                "invalid value".to_string()
            } else {
                rest
            },
            None,
        );
    };
    match expected {
        Some(e) => (format!("{what}, expected {e}"), None),
        None => (what.to_string(), None),
    }
}

/// A syntax error of the file (`toml` parser): located by its span; the parser's message
/// names tokens and keys, never the value, but is never combined with the source line.
fn syntax_error(text: &str, e: &toml::de::Error) -> ParseError {
    let (line, column) = e.span().map(|s| line_col(text, s.start)).unzip();
    let description = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    ParseError {
        line,
        column,
        key: None,
        env_var: None,
        description: if description.is_empty() {
            "invalid TOML".to_string()
        } else {
            description
        },
    }
}

/// A schema error of the merged file and overrides (no span): its key path (rendered by
/// `toml` as ``in `a.b` `` after the message), located in `text` unless an override set it.
fn schema_error(text: &str, e: &toml::de::Error, env_keys: &HashMap<String, String>) -> ParseError {
    let message = e.message();
    let rendered = e.to_string();
    let mut path: Vec<String> = rendered
        .strip_prefix(message)
        .map(str::trim)
        .and_then(|rest| rest.strip_prefix("in `"))
        .and_then(|rest| rest.strip_suffix('`'))
        .map(|p| p.split('.').map(str::to_string).collect())
        .unwrap_or_default();
    let (description, named) = schema_description(message);
    path.extend(named);
    let env_var = path
        .get(..2)
        .and_then(|p| env_keys.get(&p.join(".")))
        .cloned();
    let place = if env_var.is_some() {
        None
    } else {
        // A missing key has no line: fall back to its table.
        (1..=path.len())
            .rev()
            .find_map(|n| locate_key(text, path.get(..n).unwrap_or_default()))
    };
    ParseError {
        line: place.map(|p| p.0),
        column: place.map(|p| p.1),
        key: (!path.is_empty()).then(|| path.join(".")),
        env_var,
        description,
    }
}

/// Splits a TOML key (`a.b`, `"a".b`) into its parts, unquoted and trimmed.
fn split_key(key: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in key.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '.' => parts.push(std::mem::take(&mut cur).trim().to_string()),
            None => cur.push(c),
        }
    }
    parts.push(cur.trim().to_string());
    parts
}

/// Byte index of the first `=` of `line` outside quotes.
fn find_eq(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '=' => return Some(i),
            None if c == '#' => return None,
            None => {}
        }
    }
    None
}

/// Line and column where `path` is defined in `text`: the start of its value for a key, the
/// header for a table. A plain line scan (tables, dotted keys, multi-line strings skipped);
/// `None` when not found.
fn locate_key(text: &str, path: &[String]) -> Option<(usize, usize)> {
    if path.is_empty() {
        return None;
    }
    let chars = |s: &str| s.chars().count();
    let mut table: Vec<String> = Vec::new();
    let mut in_multiline: Option<&str> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i.saturating_add(1);
        if let Some(delim) = in_multiline {
            if raw.contains(delim) {
                in_multiline = None;
            }
            continue;
        }
        let trimmed = raw.trim_start();
        let indent = raw.len().saturating_sub(trimmed.len());
        let indent_chars = chars(raw.get(..indent).unwrap_or_default());
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.starts_with('[') {
            let name = trimmed
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or_default();
            table = split_key(name);
            if table.as_slice() == path {
                return Some((line_no, indent_chars.saturating_add(1)));
            }
            continue;
        }
        let Some(eq) = find_eq(trimmed) else {
            continue;
        };
        let mut full = table.clone();
        full.extend(split_key(trimmed.get(..eq).unwrap_or_default()));
        let after = trimmed.get(eq.saturating_add(1)..).unwrap_or_default();
        let value = after.trim_start();
        if full.as_slice() == path {
            let before_value = eq
                .saturating_add(1)
                .saturating_add(after.len().saturating_sub(value.len()));
            let column = indent_chars
                .saturating_add(chars(trimmed.get(..before_value).unwrap_or_default()))
                .saturating_add(1);
            return Some((line_no, column));
        }
        for delim in ["\"\"\"", "'''"] {
            if let Some(rest) = value.strip_prefix(delim) {
                if !rest.contains(delim) {
                    in_multiline = Some(delim);
                }
            }
        }
    }
    None
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
    /// operator key). While the chain is unreachable ingest is served anyway (last known
    /// registry and static devices) and the connection retried. `false`: offline mode (static
    /// devices, config whitelist, default policy v1; rounds are aggregated and recorded but
    /// not submitted).
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
    /// File holding the mnemonic; refused at start while group or others may read or write it
    /// ([`Config::check_secret_files`]).
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
    /// Seconds a connection has to deliver a request's complete header block (else it is
    /// closed).
    #[serde(default = "default_header_timeout")]
    pub header_timeout_secs: u64,
    /// Seconds a request body has to arrive completely (408 beyond).
    #[serde(default = "default_body_timeout")]
    pub body_timeout_secs: u64,
    /// Open connections in total; further ones are closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Open connections from one IP address; further ones from it are closed at once.
    #[serde(default = "default_max_connections_per_ip")]
    pub max_connections_per_ip: usize,
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
fn default_header_timeout() -> u64 {
    10
}
fn default_body_timeout() -> u64 {
    30
}
fn default_max_connections() -> usize {
    1_024
}
fn default_max_connections_per_ip() -> usize {
    64
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_listen(),
            max_body_bytes: default_max_body(),
            max_batch_items: default_max_items(),
            header_timeout_secs: default_header_timeout(),
            body_timeout_secs: default_body_timeout(),
            max_connections: default_max_connections(),
            max_connections_per_ip: default_max_connections_per_ip(),
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
    /// Deadline of one whole pull from one peer (digest and every page), seconds; what
    /// arrived before it is kept. At least `timeout_secs`.
    #[serde(default = "default_pull_deadline")]
    pub pull_deadline_secs: u64,
    /// Largest page body accepted from a peer, bytes (at least 64 KiB).
    #[serde(default = "default_max_page_bytes")]
    pub max_page_bytes: usize,
    /// Most readings accepted in one page from a peer.
    #[serde(default = "default_max_page_items")]
    pub max_page_items: usize,
}

fn default_peer_timeout() -> u64 {
    10
}
fn default_pull_deadline() -> u64 {
    60
}
fn default_max_page_bytes() -> usize {
    16 * 1024 * 1024
}
fn default_max_page_items() -> usize {
    20_000
}

impl Default for PeersConfig {
    fn default() -> Self {
        PeersConfig {
            urls: Vec::new(),
            timeout_secs: default_peer_timeout(),
            pull_deadline_secs: default_pull_deadline(),
            max_page_bytes: default_max_page_bytes(),
            max_page_items: default_max_page_items(),
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
    /// accepts readings of the round (one maximal window + `rounds.grace_secs`, see
    /// [`Config::ingest_close_secs`]), so a reading counts by its window and not by when it
    /// arrived. A shorter delay is refused unless `unsafe_short_delay` is set.
    #[serde(default)]
    pub delay_secs: Option<u64>,
    /// Allows `delay_secs` below the ingest close. Only for test deployments where every
    /// reading is delivered before the round ends: otherwise readings accepted after the
    /// aggregation are missing from it, and relayers that received different late readings
    /// disagree.
    #[serde(default)]
    pub unsafe_short_delay: bool,
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
            unsafe_short_delay: false,
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
    /// `std::env::vars()`), and validates. A parse error ([`ConfigError::Parse`]) names the
    /// line, column and key, never the value.
    pub fn from_toml_with_env(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::Parse(syntax_error(text, &e)))?;
        // `section.key` → the variable that set it.
        let mut env_keys: HashMap<String, String> = HashMap::new();
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
            env_keys.insert(format!("{section}.{key}"), k.clone());
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
            .map_err(|e: toml::de::Error| ConfigError::Parse(schema_error(text, &e, &env_keys)))?;
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

    /// Checks every value; called by the loaders and [`ConfigBuilder::build`]. The first
    /// value that would break the daemon or make it unsafe is refused with its dotted key
    /// ([`ConfigError::Invalid`]).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, reason: &str| {
            Err(ConfigError::Invalid {
                field,
                reason: reason.to_string(),
            })
        };
        let is_http = |u: &str| u.starts_with("http://") || u.starts_with("https://");
        // [chain]
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
        if !is_http(&self.chain.rest_url) {
            return invalid("chain.rest_url", "must start with http:// or https://");
        }
        if !is_http(&self.chain.rpc_url) {
            return invalid("chain.rpc_url", "must start with http:// or https://");
        }
        if self.chain.device_refresh_secs == 0 {
            return invalid("chain.device_refresh_secs", "must be at least 1");
        }
        let bad_prefix = self.chain.account_prefix.is_empty()
            || !self
                .chain
                .account_prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if self.chain.enabled && bad_prefix {
            return invalid(
                "chain.account_prefix",
                "must be a non-empty bech32 prefix (lower-case letters and digits)",
            );
        }
        #[cfg(feature = "chain")]
        if self.chain.enabled
            && self
                .chain
                .gas_price
                .parse::<chain_client::GasPrice>()
                .is_err()
        {
            return invalid(
                "chain.gas_price",
                "must be an amount and a denom, e.g. 0.025stake",
            );
        }
        // [operator]
        if !self.operator.mnemonic.is_empty() && self.operator.mnemonic_file.is_some() {
            return invalid("operator", "set mnemonic_file or mnemonic, not both");
        }
        if self
            .operator
            .mnemonic_file
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return invalid("operator.mnemonic_file", "must not be empty");
        }
        if !self.operator.mnemonic.is_empty() {
            let words = self.operator.mnemonic.expose().split_whitespace().count();
            if ![12, 15, 18, 21, 24].contains(&words) {
                return invalid("operator.mnemonic", "must have 12, 15, 18, 21 or 24 words");
            }
        }
        // [store]
        if self.store.path.as_os_str().is_empty() {
            return invalid("store.path", "must not be empty");
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
        // [http]
        if self.http.listen.parse::<SocketAddr>().is_err() {
            return invalid("http.listen", "must be host:port with an IP address");
        }
        if self.http.max_body_bytes < 1024 {
            return invalid("http.max_body_bytes", "must be at least 1024");
        }
        if self.http.max_batch_items == 0 {
            return invalid("http.max_batch_items", "must be at least 1");
        }
        if self.http.header_timeout_secs == 0 {
            return invalid("http.header_timeout_secs", "must be at least 1");
        }
        if self.http.body_timeout_secs == 0 {
            return invalid("http.body_timeout_secs", "must be at least 1");
        }
        if self.http.max_connections == 0 {
            return invalid("http.max_connections", "must be at least 1");
        }
        if self.http.max_connections_per_ip == 0
            || self.http.max_connections_per_ip > self.http.max_connections
        {
            return invalid(
                "http.max_connections_per_ip",
                "must be at least 1 and at most http.max_connections",
            );
        }
        // [ingest]
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
        // [rounds]
        if self.rounds.duration_secs < 60 {
            return invalid("rounds.duration_secs", "must be at least 60");
        }
        if self.rounds.grace_secs >= self.rounds.duration_secs {
            return invalid("rounds.grace_secs", "must be shorter than a round");
        }
        if self.rounds.max_entries_per_batch == 0 {
            return invalid("rounds.max_entries_per_batch", "must be at least 1");
        }
        if u32::try_from(self.rounds.max_entries_per_batch).is_err() {
            return invalid("rounds.max_entries_per_batch", "must fit in 32 bits");
        }
        // [devices]
        if self.devices.cube_v1_w == 0 {
            return invalid("devices.cube_v1_w", "rated power must be positive");
        }
        if self.devices.cube_v2_w == 0 {
            return invalid("devices.cube_v2_w", "rated power must be positive");
        }
        if self
            .devices
            .static_file
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return invalid("devices.static_file", "must not be empty");
        }
        // [peers]
        if self.peers.urls.iter().any(|u| !is_http(u)) {
            return invalid(
                "peers.urls",
                "every peer must start with http:// or https://",
            );
        }
        if self.peers.timeout_secs == 0 {
            return invalid("peers.timeout_secs", "must be at least 1");
        }
        if self.peers.pull_deadline_secs < self.peers.timeout_secs {
            return invalid(
                "peers.pull_deadline_secs",
                "must be at least peers.timeout_secs",
            );
        }
        if self.peers.max_page_bytes < MIN_PEER_PAGE_BYTES {
            return invalid("peers.max_page_bytes", "must be at least 65536 (64 KiB)");
        }
        if self.peers.max_page_items == 0 {
            return invalid("peers.max_page_items", "must be at least 1");
        }
        // [aggregation]
        if self.aggregation.poll_secs == 0 {
            return invalid("aggregation.poll_secs", "must be at least 1");
        }
        let close = self.ingest_close_secs();
        if let Some(delay) = self.aggregation.delay_secs {
            if delay < close && !self.aggregation.unsafe_short_delay {
                return Err(ConfigError::Invalid {
                    field: "aggregation.delay_secs",
                    reason: format!(
                        "{delay} s is shorter than the ingest close of a round ({close} s: one \
                         maximal window + rounds.grace_secs), so readings accepted later would \
                         be missing from the aggregate; only a test deployment that delivers \
                         every reading before the round ends may set \
                         aggregation.unsafe_short_delay = true"
                    ),
                });
            }
        }
        // [log]
        if !matches!(self.log.format.as_str(), "json" | "text") {
            return invalid("log.format", "must be \"json\" or \"text\"");
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return invalid(
                "log.level",
                "must be a tracing filter, e.g. info or info,relayer=debug",
            );
        }
        Ok(())
    }

    /// Refuses secret files that group or others may read or write (unix: any of the mode
    /// bits `0o077`), naming the file and the `chmod 600` that fixes it. With the chain enabled
    /// the mnemonic file must also exist. Called at start-up, before anything is served.
    pub fn check_secret_files(&self) -> Result<(), ConfigError> {
        if !self.chain.enabled {
            return Ok(());
        }
        let Some(path) = &self.operator.mnemonic_file else {
            return Ok(());
        };
        let meta = std::fs::metadata(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(ConfigError::InsecureSecretFile {
                    field: "operator.mnemonic_file",
                    path: path.display().to_string(),
                    mode,
                });
            }
        }
        #[cfg(not(unix))]
        let _ = meta;
        Ok(())
    }

    /// Seconds after a round's end until ingest stops accepting its readings: one maximal
    /// window ([`crate::store::MAX_WINDOW_SECS`]) + `rounds.grace_secs`.
    pub fn ingest_close_secs(&self) -> u64 {
        crate::store::MAX_WINDOW_SECS.saturating_add(self.rounds.grace_secs)
    }

    /// HTTP server connection limits (`[http]`).
    pub fn server_limits(&self) -> ServerLimits {
        ServerLimits {
            header_timeout: Duration::from_secs(self.http.header_timeout_secs),
            body_timeout: Duration::from_secs(self.http.body_timeout_secs),
            max_connections: self.http.max_connections,
            max_connections_per_ip: self.http.max_connections_per_ip,
        }
    }

    /// Limits of pulling from one peer (`[peers]`).
    pub fn peer_limits(&self) -> PeerLimits {
        PeerLimits {
            request_timeout: Duration::from_secs(self.peers.timeout_secs),
            pull_deadline: Duration::from_secs(self.peers.pull_deadline_secs),
            max_page_bytes: self.peers.max_page_bytes,
            max_page_items: self.peers.max_page_items,
        }
    }

    /// The last device registry read from chain, kept next to the database
    /// (`<store.path>.devices.json`, a device file): loaded at start so ingest serves the known
    /// devices while the chain is unreachable.
    pub fn device_registry_file(&self) -> PathBuf {
        let mut name = self.store.path.clone().into_os_string();
        name.push(".devices.json");
        PathBuf::from(name)
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

    /// Seconds after a round's end before the round worker aggregates it: `delay_secs`, by
    /// default [`Config::ingest_close_secs`].
    pub fn aggregation_delay(&self) -> u64 {
        self.aggregation
            .delay_secs
            .unwrap_or_else(|| self.ingest_close_secs())
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

    /// `http.header_timeout_secs`.
    pub fn header_timeout_secs(mut self, secs: u64) -> Self {
        self.cfg.http.header_timeout_secs = secs;
        self
    }

    /// `http.body_timeout_secs`.
    pub fn body_timeout_secs(mut self, secs: u64) -> Self {
        self.cfg.http.body_timeout_secs = secs;
        self
    }

    /// `http.max_connections`.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.cfg.http.max_connections = connections;
        self
    }

    /// `http.max_connections_per_ip` (at most `http.max_connections`).
    pub fn max_connections_per_ip(mut self, connections: usize) -> Self {
        self.cfg.http.max_connections_per_ip = connections;
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

    /// `peers.pull_deadline_secs` (at least `peers.timeout_secs`).
    pub fn peer_pull_deadline_secs(mut self, secs: u64) -> Self {
        self.cfg.peers.pull_deadline_secs = secs;
        self
    }

    /// `peers.max_page_bytes` (at least 64 KiB).
    pub fn peer_max_page_bytes(mut self, bytes: usize) -> Self {
        self.cfg.peers.max_page_bytes = bytes;
        self
    }

    /// `peers.max_page_items`.
    pub fn peer_max_page_items(mut self, items: usize) -> Self {
        self.cfg.peers.max_page_items = items;
        self
    }

    /// `aggregation.poll_secs`.
    pub fn poll_secs(mut self, secs: u64) -> Self {
        self.cfg.aggregation.poll_secs = secs;
        self
    }

    /// `aggregation.delay_secs`. A delay below the ingest close ([`Config::ingest_close_secs`]:
    /// one maximal window + `rounds.grace_secs`) also sets `aggregation.unsafe_short_delay =
    /// true` (without it the loader refuses such a delay): this builder writes the configs of
    /// tests and demos with short rounds, whose readings are all delivered before the round
    /// ends. [`ConfigBuilder::build`] re-evaluates the flag with the final `rounds.grace_secs`,
    /// so the order of the setters does not matter.
    pub fn aggregation_delay_secs(mut self, secs: u64) -> Self {
        self.cfg.aggregation.delay_secs = Some(secs);
        self.cfg.aggregation.unsafe_short_delay = secs < self.cfg.ingest_close_secs();
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
    pub fn build(mut self) -> Result<Config, ConfigError> {
        if let Some(delay) = self.cfg.aggregation.delay_secs {
            self.cfg.aggregation.unsafe_short_delay = delay < self.cfg.ingest_close_secs();
        }
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
        assert_eq!(c.server_limits(), ServerLimits::default());
        assert_eq!(c.peer_limits(), PeerLimits::default());
        assert_eq!(c.aggregation_delay(), 3_600 + 600);
        assert!(!c.aggregation.unsafe_short_delay);
        assert_eq!(
            c.device_registry_file(),
            PathBuf::from("relayer.sqlite.devices.json")
        );
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
            matches!(
                e,
                ConfigError::Parse(ParseError { ref key, ref description, .. })
                    if key.as_deref() == Some("http.listen_port")
                        && description.contains("unknown key `listen_port`")
            ),
            "{e}"
        );
        assert!(e.to_string().contains("line "), "{e}");
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

    /// 24 words that appear in no message of the parser, serde or this module.
    const WORDS: [&str; 24] = [
        "velvet", "orchard", "tundra", "glimpse", "harbor", "mosaic", "falcon", "lantern",
        "pepper", "quarry", "saddle", "timber", "umbrella", "walnut", "zephyr", "bramble",
        "cobalt", "dahlia", "ember", "fjord", "gecko", "hazel", "iris", "juniper",
    ];

    fn assert_no_words(shown: &str) {
        for w in WORDS {
            assert!(!shown.contains(w), "{w} printed: {shown}");
        }
    }

    #[test]
    fn syntax_error_on_the_mnemonic_line_names_the_line_not_the_words() {
        // Line 6: the closing quote is missing.
        let text = format!(
            "[chain]\nchain_id = \"cube-1\"\nmining_round_contract = \"wasm1abc\"\n\n\
             [operator]\nmnemonic = \"{}\n\n[rounds]\ngenesis = 1700000000\n",
            WORDS.join(" ")
        );
        let e = Config::from_toml_with_env(&text, vec![]).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("line 6"), "{shown}");
        assert!(
            matches!(e, ConfigError::Parse(ParseError { line: Some(6), .. })),
            "{shown}"
        );
        assert_no_words(&shown);
        assert_no_words(&format!("{e:?}"));
        // Also when the quote is missing on the last line of the file.
        let text = format!("{MIN}\n[operator]\nmnemonic = \"{}", WORDS.join(" "));
        let e = Config::from_toml_with_env(&text, vec![]).unwrap_err();
        let line = text.lines().count();
        assert!(e.to_string().contains(&format!("line {line}")), "{e}");
        assert_no_words(&e.to_string());
    }

    #[test]
    fn wrong_type_names_line_and_key_not_the_value() {
        let text = "[chain]\nchain_id = \"cube-1\"\nmining_round_contract = \"wasm1abc\"\n\
                    enabled = false\n\n[operator]\nmnemonic = 12345\n\n[rounds]\ngenesis = 1\n";
        let e = Config::from_toml_with_env(text, vec![]).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("line 7, column 12"), "{shown}");
        assert!(shown.contains("operator.mnemonic"), "{shown}");
        assert!(shown.contains("wrong type"), "{shown}");
        assert!(!shown.contains("12345"), "{shown}");
        // A string where a number belongs: serde quotes the string; it is dropped.
        let text = format!("{MIN}\n[http]\nmax_body_bytes = \"{}\"\n", WORDS.join(" "));
        let e = Config::from_toml_with_env(&text, vec![]).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("http.max_body_bytes"), "{shown}");
        assert!(
            shown.contains(&format!("line {}", text.lines().count())),
            "{shown}"
        );
        assert_no_words(&shown);
        // The same from an override: named by its variable, no line.
        let e = Config::from_toml_with_env(
            MIN,
            env(&[("RELAYER__ROUNDS__DURATION_SECS", &WORDS.join(" "))]),
        )
        .unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("RELAYER__ROUNDS__DURATION_SECS"), "{shown}");
        assert!(shown.contains("rounds.duration_secs"), "{shown}");
        assert!(!shown.contains("line"), "{shown}");
        assert_no_words(&shown);
        // A missing key points at its table.
        let e = Config::from_toml_with_env(
            "[chain]\nchain_id = \"c\"\nmining_round_contract = \"w\"\nenabled = false\n\
             [rounds]\nduration_secs = 600\n",
            vec![],
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::Parse(ParseError { line: Some(5), ref key, ref description, .. })
                    if key.as_deref() == Some("rounds.genesis")
                        && description == "missing key `genesis`"
            ),
            "{e}"
        );
    }

    #[test]
    fn quoted_values_are_dropped_from_descriptions() {
        assert_eq!(
            schema_description("invalid type: string \"a \\\" b, expected c\", expected u64").0,
            "wrong type, expected u64"
        );
        assert_eq!(without_quoted("x \"a \\\" b\" y `k` z"), "x y z");
        assert_eq!(line_col("a\nbc\n", 4), (2, 3));
        assert_eq!(
            locate_key(
                "[a]\nx = 1\n[b]\n  y =  \"\"\"\nz = 2\n\"\"\"\nz = 3\n",
                &["b".to_string(), "z".to_string()]
            ),
            Some((7, 5))
        );
    }

    #[cfg(unix)]
    #[test]
    fn mnemonic_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("operator.mnemonic");
        std::fs::write(&path, WORDS.join(" ")).unwrap();
        let cfg = Config::builder("cube-1", "wasm1abc", 1_700_000_000)
            .mnemonic_file(&path)
            .build()
            .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = cfg.check_secret_files().unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("chmod 600"), "{shown}");
        assert!(shown.contains(&path.display().to_string()), "{shown}");
        assert!(
            matches!(
                e,
                ConfigError::InsecureSecretFile {
                    field: "operator.mnemonic_file",
                    mode: 0o644,
                    ..
                }
            ),
            "{shown}"
        );
        assert_no_words(&shown);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        cfg.check_secret_files().unwrap();
        // Offline, the file is not used and not checked.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let offline = Config {
            chain: ChainConfig {
                enabled: false,
                ..cfg.chain.clone()
            },
            ..cfg.clone()
        };
        offline.check_secret_files().unwrap();
        assert!(cfg.check_secret_files().is_err());
        // A missing file is an error with the chain enabled.
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            cfg.check_secret_files(),
            Err(ConfigError::Read { .. })
        ));
    }

    #[test]
    fn unsafe_values_are_refused_with_their_key() {
        let twelve = WORDS[..12].join(" ");
        for (pairs, field) in [
            (&[("RELAYER__CHAIN__CHAIN_ID", "")][..], "chain.chain_id"),
            (
                &[("RELAYER__CHAIN__REST_URL", "127.0.0.1:1317")][..],
                "chain.rest_url",
            ),
            (
                &[("RELAYER__CHAIN__RPC_URL", "127.0.0.1:26657")][..],
                "chain.rpc_url",
            ),
            (
                &[("RELAYER__CHAIN__DEVICE_REFRESH_SECS", "0")][..],
                "chain.device_refresh_secs",
            ),
            (&[("RELAYER__STORE__PATH", "")][..], "store.path"),
            (
                &[("RELAYER__STORE__QUEUE_CAPACITY", "0")][..],
                "store.queue_capacity",
            ),
            (
                &[("RELAYER__STORE__MAX_GROUP_READINGS", "0")][..],
                "store.max_group_readings",
            ),
            (
                &[("RELAYER__HTTP__MAX_BODY_BYTES", "10")][..],
                "http.max_body_bytes",
            ),
            (
                &[("RELAYER__HTTP__MAX_BATCH_ITEMS", "0")][..],
                "http.max_batch_items",
            ),
            (
                &[("RELAYER__HTTP__HEADER_TIMEOUT_SECS", "0")][..],
                "http.header_timeout_secs",
            ),
            (
                &[("RELAYER__HTTP__BODY_TIMEOUT_SECS", "0")][..],
                "http.body_timeout_secs",
            ),
            (
                &[("RELAYER__HTTP__MAX_CONNECTIONS", "0")][..],
                "http.max_connections",
            ),
            (
                &[("RELAYER__HTTP__MAX_CONNECTIONS_PER_IP", "0")][..],
                "http.max_connections_per_ip",
            ),
            (
                &[("RELAYER__HTTP__MAX_CONNECTIONS_PER_IP", "2000")][..],
                "http.max_connections_per_ip",
            ),
            (
                &[("RELAYER__INGEST__CLIENT_RATE", "nan")][..],
                "ingest.client_rate",
            ),
            (
                &[("RELAYER__INGEST__CLIENT_BURST", "0.5")][..],
                "ingest.client_burst",
            ),
            (
                &[("RELAYER__ROUNDS__DURATION_SECS", "30")][..],
                "rounds.duration_secs",
            ),
            (
                &[("RELAYER__ROUNDS__MAX_ENTRIES_PER_BATCH", "0")][..],
                "rounds.max_entries_per_batch",
            ),
            (
                &[("RELAYER__DEVICES__CUBE_V1_W", "0")][..],
                "devices.cube_v1_w",
            ),
            (
                &[("RELAYER__DEVICES__CUBE_V2_W", "0")][..],
                "devices.cube_v2_w",
            ),
            (
                &[("RELAYER__PEERS__URLS", "[\"ftp://x\"]")][..],
                "peers.urls",
            ),
            (
                &[("RELAYER__PEERS__TIMEOUT_SECS", "0")][..],
                "peers.timeout_secs",
            ),
            (
                &[("RELAYER__PEERS__PULL_DEADLINE_SECS", "5")][..],
                "peers.pull_deadline_secs",
            ),
            (
                &[("RELAYER__PEERS__MAX_PAGE_BYTES", "65535")][..],
                "peers.max_page_bytes",
            ),
            (
                &[("RELAYER__PEERS__MAX_PAGE_ITEMS", "0")][..],
                "peers.max_page_items",
            ),
            (
                &[("RELAYER__AGGREGATION__POLL_SECS", "0")][..],
                "aggregation.poll_secs",
            ),
            (
                &[("RELAYER__AGGREGATION__DELAY_SECS", "25")][..],
                "aggregation.delay_secs",
            ),
            (
                &[("RELAYER__AGGREGATION__DELAY_SECS", "4199")][..],
                "aggregation.delay_secs",
            ),
            (&[("RELAYER__LOG__FORMAT", "xml")][..], "log.format"),
            (
                &[("RELAYER__LOG__LEVEL", "info,relayer=loud")][..],
                "log.level",
            ),
            (
                &[
                    ("RELAYER__CHAIN__ENABLED", "true"),
                    ("RELAYER__OPERATOR__MNEMONIC", twelve.as_str()),
                    ("RELAYER__CHAIN__ACCOUNT_PREFIX", "Wasm"),
                ][..],
                "chain.account_prefix",
            ),
        ] {
            assert_eq!(rejected_field(pairs), field, "{pairs:?}");
        }
        #[cfg(feature = "chain")]
        assert_eq!(
            rejected_field(&[
                ("RELAYER__CHAIN__ENABLED", "true"),
                ("RELAYER__OPERATOR__MNEMONIC", twelve.as_str()),
                ("RELAYER__CHAIN__GAS_PRICE", "cheap"),
            ]),
            "chain.gas_price"
        );
        // The boundaries are accepted.
        let ok = Config::from_toml_with_env(
            MIN,
            env(&[
                ("RELAYER__AGGREGATION__DELAY_SECS", "4200"),
                ("RELAYER__PEERS__PULL_DEADLINE_SECS", "10"),
                ("RELAYER__PEERS__MAX_PAGE_BYTES", "65536"),
                ("RELAYER__HTTP__MAX_CONNECTIONS_PER_IP", "1024"),
                ("RELAYER__LOG__LEVEL", "warn,relayer=debug"),
            ]),
        )
        .unwrap();
        assert_eq!(ok.aggregation_delay(), 4_200);
    }

    #[test]
    fn short_aggregation_delay_needs_the_unsafe_flag() {
        let c = Config::from_toml_with_env(
            MIN,
            env(&[
                ("RELAYER__AGGREGATION__DELAY_SECS", "25"),
                ("RELAYER__AGGREGATION__UNSAFE_SHORT_DELAY", "true"),
            ]),
        )
        .unwrap();
        assert_eq!(c.aggregation_delay(), 25);
        // The builder sets the flag for short delays (whatever the order of the setters) and
        // only for them.
        let built = Config::builder("cube-1", "wasm1abc", 1_700_000_000)
            .offline()
            .aggregation_delay_secs(25)
            .grace_secs(10)
            .build()
            .unwrap();
        assert!(built.aggregation.unsafe_short_delay);
        let built = Config::builder("cube-1", "wasm1abc", 1_700_000_000)
            .offline()
            .grace_secs(10)
            .aggregation_delay_secs(3_610)
            .build()
            .unwrap();
        assert!(!built.aggregation.unsafe_short_delay);
        let short = Config::builder("cube-1", "wasm1abc", 1_700_000_000)
            .offline()
            .aggregation_delay_secs(60);
        assert!(short.cfg.aggregation.unsafe_short_delay);
    }

    #[test]
    fn new_limits_reach_server_and_peers() {
        let c = Config::builder("cube-1", "wasm1abc", 1_700_000_000)
            .offline()
            .header_timeout_secs(3)
            .body_timeout_secs(4)
            .max_connections(100)
            .max_connections_per_ip(10)
            .peer_timeout_secs(5)
            .peer_pull_deadline_secs(20)
            .peer_max_page_bytes(1 << 20)
            .peer_max_page_items(500)
            .build()
            .unwrap();
        assert_eq!(
            c.server_limits(),
            ServerLimits {
                header_timeout: Duration::from_secs(3),
                body_timeout: Duration::from_secs(4),
                max_connections: 100,
                max_connections_per_ip: 10,
            }
        );
        assert_eq!(
            c.peer_limits(),
            PeerLimits {
                request_timeout: Duration::from_secs(5),
                pull_deadline: Duration::from_secs(20),
                max_page_bytes: 1 << 20,
                max_page_items: 500,
            }
        );
        let text = c.to_toml().unwrap();
        assert_eq!(Config::from_toml_with_env(&text, vec![]).unwrap(), c);
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

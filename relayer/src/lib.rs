//! Cube relayer: the oracle daemon of PRODUCT.md §3.
//!
//! * [`telemetry`]: reading format, canonical encoding, ed25519 signing / verification.
//! * [`store`]: durable storage behind the [`store::ReadingStore`] trait (SQLite, WAL, group
//!   commit).
//! * [`directory`]: registered devices (owner, model, time zone), filled from the chain.
//! * [`ingest`]: the checks of §3 and the batch pipeline; [`server`]: HTTP routes.
//! * [`metrics`]: Prometheus counters and histogram.

pub mod aggregate;
pub mod bench;
#[cfg(feature = "chain")]
pub mod chain;
pub mod config;
pub mod directory;
pub mod ingest;
pub mod metrics;
pub mod server;
pub mod sim;
pub mod store;
pub mod telemetry;

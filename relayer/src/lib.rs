//! Cube relayer: the oracle daemon of PRODUCT.md §3.
//!
//! * [`telemetry`]: reading format, canonical encoding, ed25519 signing / verification.
//! * [`store`]: durable storage behind the [`store::ReadingStore`] trait (SQLite, WAL, group
//!   commit).
//! * [`directory`]: registered devices (owner, model, time zone), filled from the chain.
//! * [`ingest`]: the checks of §3 and the batch pipeline; [`server`]: HTTP routes.
//! * [`metrics`]: Prometheus counters and histogram.
//! * [`service`]: the supervised daemon (ingest server, registry follower, round manager);
//!   [`round_worker`]: one round from pinned inputs to finalization; [`plans`]: persisted
//!   round plans; [`peers`]: pulling signed readings from other relayers.

pub mod aggregate;
pub mod bench;
#[cfg(feature = "chain")]
pub mod chain;
pub mod config;
pub mod directory;
pub mod ingest;
pub mod metrics;
pub mod peers;
pub mod plans;
pub mod round_worker;
pub mod server;
pub mod service;
pub mod sim;
pub mod store;
pub mod telemetry;

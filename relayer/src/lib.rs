//! Cube relayer: the oracle daemon (specification: `docs/spec.md` §3).
//!
//! * [`telemetry`]: the Cube wire format (`cube-telemetry`): readings, canonical encoding,
//!   ed25519 signing / verification, the device-directory file.
//! * [`store`]: durable storage behind the [`store::ReadingStore`] trait (SQLite, WAL, group
//!   commit).
//! * [`directory`]: registered devices (owner, model, time zone), filled from the chain.
//! * [`ingest`]: the ingest checks and the batch pipeline; [`server`]: HTTP routes.
//! * [`metrics`]: Prometheus counters and histogram.
//! * [`service`]: the supervised daemon (ingest server, registry follower, round manager);
//!   [`round_worker`]: one round from pinned inputs to finalization; [`plans`]: persisted
//!   round plans; [`peers`]: pulling signed readings from other relayers.

pub mod aggregate;
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
pub mod store;

/// The Cube wire format, re-exported so paths stay `relayer::telemetry::…`.
pub use cube_telemetry as telemetry;

//! The one-command demo of the whole system (`scripts/demo.sh`, binary `demo`).
//!
//! * [`localnet`] the localnet's `accounts.json` and one chain client per account
//! * [`params`]   the demo deployment parameters (`tools/demo/demo.toml` + run-time values)
//! * [`fleet`]    `cube-sim fleet` output and on-chain device registration by the owners
//! * [`procs`]    relayers and `cube-sim` as children in one process group, stopped together
//! * [`pool`]     the reward-pool driver: content actions and ad fees with the reporter key
//! * [`claims`]   holders claiming TOK and ECT, read back from the token contracts
//! * [`chain`]    read-only views of the deployed contracts (used by the demo and its test) and
//!   [`chain::Units`], the symbols and decimals every token amount is printed with
//! * [`summary`]  the live summary printed while rounds go by
//!
//! The demo never attests on behalf of the relayers: rounds finalize only if the relayer
//! daemons submit their votes themselves; otherwise the demo says so loudly.

pub mod chain;
pub mod claims;
pub mod error;
pub mod fleet;
pub mod localnet;
pub mod params;
pub mod pool;
pub mod procs;
pub mod summary;

pub use error::DemoError;

/// The banner printed when relayers are missing or do not attest on chain; the proof test
/// looks for it when no vote reached the chain.
pub const NOT_ATTESTING_BANNER: &str = "RELAYERS DID NOT ATTEST ON CHAIN";

//! cw-multi-test suites over a real cw20-base ECT, a real cw4-stake group with the timelock as
//! its hook, a cw20-base TOK held by the timelock and, for ownership, a real reward-pool.

mod activation;
mod config;
mod schedule;
mod suite;
mod veto;

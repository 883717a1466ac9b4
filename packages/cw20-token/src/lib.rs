//! Pins cw20-base 2.0, the token contract deployed for TOK and ECT.
//!
//! `scripts/build-wasm.sh` builds the `cw20-base` package itself (`-p cw20-base`, its own
//! crates.io source) into `artifacts/cw20_base.wasm`; this crate only makes cw20-base a normal
//! (not dev-only) dependency of the workspace, which `cargo build -p` needs.

pub use cw20_base::msg::{ExecuteMsg, InstantiateMsg, QueryMsg};

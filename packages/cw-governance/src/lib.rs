//! Pins cw4-stake 2.0 and cw3-flex-multisig 2.0, the governance contracts deployed over ECT.
//!
//! `scripts/build-wasm.sh` builds the `cw4-stake` and `cw3-flex-multisig` packages themselves
//! (`-p cw4-stake -p cw3-flex-multisig`, their own published sources) into
//! `artifacts/cw4_stake.wasm` and `artifacts/cw3_flex_multisig.wasm`; this crate only makes
//! them normal (not dev-only) dependencies of the workspace, which `cargo build -p` needs, and
//! re-exports their messages for the deploy command and the tests.

/// cw4-stake: holders bond ECT (a CW20 `Send` with [`stake::ReceiveMsg::Bond`]) for weight.
pub mod stake {
    pub use cw4_stake::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, ReceiveMsg, StakedResponse};
}

/// cw3-flex-multisig: proposals voted by the weights of a cw4 group.
pub mod multisig {
    pub use cw3_flex_multisig::msg::{ExecuteMsg, InstantiateMsg, QueryMsg};
    pub use cw3_flex_multisig::state::Executor;
}

pub use cw3::{ProposalListResponse, ProposalResponse, Status, Vote, VoteInfo, VoteResponse};
pub use cw4::{MemberResponse, TotalWeightResponse};
pub use cw_utils::{Duration, Expiration, Threshold, ThresholdResponse};

//! The published contracts we deploy unchanged, pinned at one version each:
//!
//! * [`token`]    cw20-base 2.0, deployed twice: TOK (reward pool) and ECT (mining rounds)
//! * [`stake`]    cw4-stake 2.0: holders bond ECT for voting weight
//! * [`multisig`] cw3-flex-multisig 2.0: proposals voted by the weights of that group
//!
//! `scripts/build-wasm.sh` builds these packages themselves (their own published sources) into
//! `artifacts/` (the list is `deploy/artifacts.txt`); this crate makes them normal, not
//! dev-only, dependencies of the workspace, which `cargo build -p` needs, and re-exports their
//! messages for the deploy command and the tests.

/// cw20-base: the TOK and ECT tokens.
pub mod token {
    pub use cw20_base::msg::{ExecuteMsg, InstantiateMsg, QueryMsg};
}

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

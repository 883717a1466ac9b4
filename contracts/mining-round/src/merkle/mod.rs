//! Merkle attestation mode: oracles vote one Merkle-sum root per round that commits to every
//! owner's cumulative entitlement (`AttestRoot`, `AcceptRoot`); owners claim the difference to
//! what they were paid with a proof (`ClaimCumulative`). Acceptance and claims are O(1) in the
//! number of owners. Encodings: the `cube-merkle` crate; rules: `README.md`.

pub mod attest;
pub mod claim;
pub mod dispute;
pub mod finalize;
pub mod query;
pub mod state;

pub use attest::{accept_proposal, accept_root, attest_root, rewards_between, root_tally};
pub use claim::{claim_cumulative, claim_many, verify_leaf, CumulativeClaim};
pub use dispute::{dispute_bond, dispute_root, reaffirm_root, Disputer};
pub use finalize::{finalize_due, finalize_pending};
pub use state::{
    totals, Attestation, RootRecord, Totals, CLAIMED, PROPOSALS, ROOTS, ROOT_VOTES, TOTALS,
};

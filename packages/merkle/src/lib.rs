//! # cube-merkle
//!
//! Merkle-sum trees over the cumulative reward entitlements of a round, shared by the
//! `mining-round` contract (wasm: it verifies proofs and attestation hashes) and the oracles
//! (native: they build the tree, serve proofs and publish the leaves file).
//!
//! * [`Leaf`] / [`LeafContext`] / [`leaf_hash`]: one owner's entry of a round (usage buckets,
//!   score, lifetime cumulative entitlement), hashed with the chain id, the contract and the
//!   round so that a leaf can never be replayed elsewhere.
//! * [`Node`]: `(hash, sum)`. Internal nodes hash both children's hashes *and sums*, so the
//!   root's sum (the total entitlement) is committed: no proof can present a leaf amount or a
//!   sibling sum other than the ones in the tree.
//! * [`Tree`]: positional tree, leaves sorted by owner and padded to `2^depth` with
//!   [`Node::empty`]; [`Tree::proof`] in O(depth).
//! * [`compute_root`]: the contract's verification: folds a proof (`depth ×`[`SIBLING_LEN`]
//!   bytes) from a leaf node up to the root.
//! * [`RootAttestation`]: what every oracle votes for a round; its [`RootAttestation::hash`] is
//!   the vote's identity on chain.
//! * [`leaves_file`] / [`parse_leaves_file`] / [`leaves_digest`]: the canonical text file of a
//!   tree's leaves, published by every oracle so that anyone can rebuild and check the tree.
//! * [`pro_rata`] / [`next_leaves`]: exact floor shares of a round's reward and the next
//!   round's leaves from the previous ones.
//!
//! Domain separation: a leaf hash starts with [`LEAF_PREFIX`], an internal node with
//! [`NODE_PREFIX`], the padding leaf is `SHA256(`[`EMPTY_PREFIX`]`)`; no preimage of one kind
//! can be presented as another.
//!
//! No I/O, no floating point, no panics: fallible functions return [`MerkleError`].

// No slice indexing and no unchecked arithmetic: this crate runs inside the contract.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

mod attestation;
mod error;
mod leaf;
mod leaves_file;
mod node;
mod proof;
mod share;
mod tree;

pub use attestation::RootAttestation;
pub use cube_scoring::UsageBuckets;
pub use error::MerkleError;
pub use leaf::{depth_for, leaf_hash, leaf_node, Leaf, LeafContext, LeafHasher};
pub use leaves_file::{leaves_digest, leaves_file, parse_leaves_file};
pub use node::{Hash, Node};
pub use proof::{compute_root, Proof};
pub use share::{next_leaves, pro_rata};
pub use tree::Tree;

/// First byte of every leaf hash preimage.
pub const LEAF_PREFIX: u8 = 0x00;
/// First byte of every internal node hash preimage.
pub const NODE_PREFIX: u8 = 0x01;
/// The whole preimage of the padding leaf's hash.
pub const EMPTY_PREFIX: u8 = 0x02;
/// Domain tag of a leaf hash (after [`LEAF_PREFIX`]).
pub const LEAF_TAG: &[u8] = b"cube-rewards/merkle-leaf/v1";
/// Domain tag of [`RootAttestation::encode`].
pub const ATTESTATION_TAG: &[u8] = b"cube-rewards/merkle-root/v1";
/// First word of the leaves file's header line.
pub const LEAVES_FILE_TAG: &str = "cube-rewards/merkle-leaves/v1";
/// Deepest tree: at most 2^32 leaves.
pub const MAX_DEPTH: u8 = 32;
/// Bytes per proof element: 32-byte sibling hash ‖ 16-byte big-endian sibling sum.
pub const SIBLING_LEN: usize = 48;

/// Length byte of a length-prefixed string (≤ 255 bytes).
pub(crate) fn short_len(field: &'static str, value: &str) -> Result<u8, MerkleError> {
    u8::try_from(value.len()).map_err(|_| MerkleError::FieldTooLong {
        field,
        len: value.len(),
    })
}

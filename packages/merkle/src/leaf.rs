use cube_scoring::UsageBuckets;
use sha2::{Digest, Sha256};

use crate::{short_len, Hash, MerkleError, Node, LEAF_PREFIX, LEAF_TAG, MAX_DEPTH};

/// Where a leaf belongs: chain id, contract address, round. Each string ≤ 255 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafContext {
    /// The chain's id (`env.block.chain_id`).
    pub chain_id: String,
    /// The mining-round contract's address (`env.contract.address`).
    pub contract: String,
    /// The round whose tree holds the leaf.
    pub round: u64,
}

/// One owner's entry of a round's cumulative tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// Bech32 address, ≤ 255 bytes, canonical (as the chain normalizes it).
    pub owner: String,
    /// The owner's usage in this round (zeros if none).
    pub buckets: UsageBuckets,
    /// The owner's score in this round (micro-points).
    pub score: u128,
    /// Lifetime entitlement in reward-token base units, through this round.
    pub cumulative: u128,
}

/// Leaf hashing with the context's constant prefix
/// (`0x00 ‖ LEAF_TAG ‖ u8 len ‖ chain_id ‖ u8 len ‖ contract ‖ round u64 BE`) absorbed once;
/// every leaf clones that state. Same result as [`leaf_hash`], without rehashing the prefix.
#[derive(Clone, Debug)]
pub struct LeafHasher {
    prefix: Sha256,
}

impl LeafHasher {
    /// Absorbs the context's prefix; [`MerkleError::FieldTooLong`] for a string > 255 bytes.
    pub fn new(ctx: &LeafContext) -> Result<LeafHasher, MerkleError> {
        let chain_len = short_len("chain_id", &ctx.chain_id)?;
        let contract_len = short_len("contract", &ctx.contract)?;
        let mut prefix = Sha256::new();
        prefix.update([LEAF_PREFIX]);
        prefix.update(LEAF_TAG);
        prefix.update([chain_len]);
        prefix.update(ctx.chain_id.as_bytes());
        prefix.update([contract_len]);
        prefix.update(ctx.contract.as_bytes());
        prefix.update(ctx.round.to_be_bytes());
        Ok(LeafHasher { prefix })
    }

    /// The leaf's hash (see [`leaf_hash`]).
    pub fn hash(&self, leaf: &Leaf) -> Result<Hash, MerkleError> {
        let owner_len = short_len("owner", &leaf.owner)?;
        let mut hasher = self.prefix.clone();
        hasher.update([owner_len]);
        hasher.update(leaf.owner.as_bytes());
        for wh in leaf.buckets.wh.iter().flatten() {
            hasher.update(wh.to_be_bytes());
        }
        hasher.update(leaf.score.to_be_bytes());
        hasher.update(leaf.cumulative.to_be_bytes());
        Ok(hasher.finalize().into())
    }

    /// The leaf's node: `{ hash, sum: cumulative }`.
    pub fn node(&self, leaf: &Leaf) -> Result<Node, MerkleError> {
        Ok(Node {
            hash: self.hash(leaf)?,
            sum: leaf.cumulative,
        })
    }
}

/// Leaf hash: SHA256(0x00 ‖ LEAF_TAG ‖ u8 len(chain_id) ‖ chain_id ‖ u8 len(contract) ‖ contract
///   ‖ round u64 BE ‖ u8 len(owner) ‖ owner ‖ wh\[0\]\[0\] wh\[0\]\[1\] wh\[0\]\[2\] wh\[1\]\[0\]
///   wh\[1\]\[1\] wh\[1\]\[2\] (each u64 BE) ‖ score u128 BE ‖ cumulative u128 BE).
pub fn leaf_hash(ctx: &LeafContext, leaf: &Leaf) -> Result<Hash, MerkleError> {
    LeafHasher::new(ctx)?.hash(leaf)
}

/// Leaf node = `{ hash: leaf_hash(ctx, leaf), sum: leaf.cumulative }`.
pub fn leaf_node(ctx: &LeafContext, leaf: &Leaf) -> Result<Node, MerkleError> {
    LeafHasher::new(ctx)?.node(leaf)
}

/// Minimal depth: smallest d with 2^d ≥ leaf_count (1 → 0, 2 → 1, 3 → 2, 1_000_000 → 20).
/// leaf_count 0 → [`MerkleError::EmptyTree`]; > 2^32 → [`MerkleError::TooManyLeaves`].
pub fn depth_for(leaf_count: u64) -> Result<u8, MerkleError> {
    if leaf_count == 0 {
        return Err(MerkleError::EmptyTree);
    }
    // Bits needed to write the largest index, leaf_count − 1.
    let last_index = leaf_count.saturating_sub(1);
    let depth = u64::BITS.saturating_sub(last_index.leading_zeros());
    match u8::try_from(depth) {
        Ok(depth) if depth <= MAX_DEPTH => Ok(depth),
        _ => Err(MerkleError::TooManyLeaves { leaf_count }),
    }
}

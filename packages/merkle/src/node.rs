use sha2::{Digest, Sha256};

use crate::{MerkleError, EMPTY_PREFIX, NODE_PREFIX};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// A node of a Merkle-sum tree: its hash and the sum of the entitlements below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    /// Leaf: [`crate::leaf_hash`]; internal: [`Node::parent`]; padding: [`Node::empty`].
    pub hash: Hash,
    /// Leaf: its cumulative entitlement; internal: the sum of both children.
    pub sum: u128,
}

impl Node {
    /// The explicit empty leaf: hash = SHA256(0x02), sum 0. Pads the leaf level to 2^depth.
    pub fn empty() -> Node {
        Node {
            hash: Sha256::digest([EMPTY_PREFIX]).into(),
            sum: 0,
        }
    }

    /// SHA256(0x01 ‖ left.hash ‖ left.sum u128 BE ‖ right.hash ‖ right.sum u128 BE),
    /// sum = left.sum + right.sum (checked: [`MerkleError::SumOverflow`]).
    pub fn parent(left: &Node, right: &Node) -> Result<Node, MerkleError> {
        let sum = left
            .sum
            .checked_add(right.sum)
            .ok_or(MerkleError::SumOverflow)?;
        let mut hasher = Sha256::new();
        hasher.update([NODE_PREFIX]);
        hasher.update(left.hash);
        hasher.update(left.sum.to_be_bytes());
        hasher.update(right.hash);
        hasher.update(right.sum.to_be_bytes());
        Ok(Node {
            hash: hasher.finalize().into(),
            sum,
        })
    }
}

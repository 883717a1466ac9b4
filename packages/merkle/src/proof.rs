use crate::{MerkleError, Node, MAX_DEPTH, SIBLING_LEN};

/// Siblings from the leaf level up (`siblings[0]` is the leaf's sibling).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The leaf's position in the tree.
    pub index: u64,
    /// One sibling per level, leaf level first.
    pub siblings: Vec<Node>,
}

impl Proof {
    /// depth × 48 bytes: each sibling hash ‖ sum u128 BE, leaf level first.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.siblings.len().saturating_mul(SIBLING_LEN));
        for sibling in &self.siblings {
            bytes.extend_from_slice(&sibling.hash);
            bytes.extend_from_slice(&sibling.sum.to_be_bytes());
        }
        bytes
    }

    /// The inverse of [`Proof::to_bytes`]: [`MerkleError::ProofLength`] unless the length is a
    /// multiple of [`SIBLING_LEN`], [`MerkleError::DepthTooLarge`] beyond [`MAX_DEPTH`] siblings.
    pub fn from_bytes(index: u64, bytes: &[u8]) -> Result<Proof, MerkleError> {
        let chunks = bytes.chunks_exact(SIBLING_LEN);
        if !chunks.remainder().is_empty() {
            return Err(MerkleError::ProofLength {
                expected: bytes.len().saturating_sub(chunks.remainder().len()),
                got: bytes.len(),
            });
        }
        let depth = u8::try_from(chunks.len()).unwrap_or(u8::MAX);
        if depth > MAX_DEPTH {
            return Err(MerkleError::DepthTooLarge {
                depth,
                max: MAX_DEPTH,
            });
        }
        let siblings = chunks.map(read_sibling).collect::<Result<_, _>>()?;
        Ok(Proof { index, siblings })
    }
}

/// One proof element: 32-byte hash ‖ 16-byte big-endian sum.
fn read_sibling(chunk: &[u8]) -> Result<Node, MerkleError> {
    let bad_length = || MerkleError::ProofLength {
        expected: SIBLING_LEN,
        got: chunk.len(),
    };
    let (hash, rest) = chunk.split_first_chunk::<32>().ok_or_else(bad_length)?;
    let sum = rest.first_chunk::<16>().ok_or_else(bad_length)?;
    Ok(Node {
        hash: *hash,
        sum: u128::from_be_bytes(*sum),
    })
}

/// Recomputes the root from a leaf node. Checks, in this order:
///   depth ≤ [`MAX_DEPTH`] ([`MerkleError::DepthTooLarge`]), leaf_count ≥ 1 and
///   leaf_count ≤ 2^depth ([`MerkleError::InvalidLeafCount`]), proof.len() == depth × 48
///   ([`MerkleError::ProofLength`]), index < leaf_count ([`MerkleError::IndexOutOfRange`]),
/// then folds: bit k of index = 0 → parent(current, sibling_k), = 1 → parent(sibling_k, current).
///
/// The caller compares the result's hash *and* sum with the attested root and total.
pub fn compute_root(
    leaf: Node,
    index: u64,
    leaf_count: u64,
    depth: u8,
    proof: &[u8],
) -> Result<Node, MerkleError> {
    if depth > MAX_DEPTH {
        return Err(MerkleError::DepthTooLarge {
            depth,
            max: MAX_DEPTH,
        });
    }
    let capacity = 1u64.checked_shl(u32::from(depth)).unwrap_or(0);
    if leaf_count == 0 || leaf_count > capacity {
        return Err(MerkleError::InvalidLeafCount { leaf_count, depth });
    }
    let expected = usize::from(depth).saturating_mul(SIBLING_LEN);
    if proof.len() != expected {
        return Err(MerkleError::ProofLength {
            expected,
            got: proof.len(),
        });
    }
    if index >= leaf_count {
        return Err(MerkleError::IndexOutOfRange { index, leaf_count });
    }
    let mut current = leaf;
    let mut position = index;
    for chunk in proof.chunks_exact(SIBLING_LEN) {
        let sibling = read_sibling(chunk)?;
        current = if position & 1 == 0 {
            Node::parent(&current, &sibling)?
        } else {
            Node::parent(&sibling, &current)?
        };
        position >>= 1;
    }
    Ok(current)
}

use crate::{depth_for, Leaf, LeafContext, LeafHasher, MerkleError, Node, Proof};

/// Positional Merkle-sum tree. Leaves sorted strictly ascending by owner (byte order), unique.
///
/// The leaf level is padded to 2^depth with [`Node::empty`]; all internal nodes are
/// [`Node::parent`]. Only the nodes above real leaves are stored (level k holds
/// ⌈leaf_count / 2^k⌉ nodes); a subtree made of padding only is the per-level constant
/// `empty_k = parent(empty_{k−1}, empty_{k−1})`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    /// `levels[0]` the leaves, `levels[depth]` the root alone.
    levels: Vec<Vec<Node>>,
    /// `empties[k]`: the all-padding subtree of height k, k = 0..=depth.
    empties: Vec<Node>,
    depth: u8,
    leaf_count: u64,
    root: Node,
}

impl Tree {
    /// Hashes the leaves (the context's prefix once) and builds the tree.
    /// [`MerkleError::UnsortedLeaves`] when an owner is below its predecessor,
    /// [`MerkleError::DuplicateOwner`] when equal, [`MerkleError::EmptyTree`] without leaves.
    pub fn build(ctx: &LeafContext, leaves: &[Leaf]) -> Result<Tree, MerkleError> {
        check_sorted(leaves)?;
        let hasher = LeafHasher::new(ctx)?;
        let mut nodes = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            nodes.push(hasher.node(leaf)?);
        }
        Tree::from_nodes(nodes)
    }

    /// A tree over already hashed leaf nodes, in the given order (no order check).
    pub fn from_nodes(leaf_nodes: Vec<Node>) -> Result<Tree, MerkleError> {
        let leaf_count =
            u64::try_from(leaf_nodes.len()).map_err(|_| MerkleError::TooManyLeaves {
                leaf_count: u64::MAX,
            })?;
        let depth = depth_for(leaf_count)?;
        let mut empties = Vec::with_capacity(usize::from(depth).saturating_add(1));
        let mut empty = Node::empty();
        empties.push(empty);
        for _ in 0..depth {
            empty = Node::parent(&empty, &empty)?;
            empties.push(empty);
        }
        let mut levels = Vec::with_capacity(usize::from(depth).saturating_add(1));
        levels.push(leaf_nodes);
        for pad in empties.iter().take(usize::from(depth)) {
            let below = levels.last().ok_or(MerkleError::EmptyTree)?;
            let mut above = Vec::with_capacity(below.len().div_ceil(2));
            for pair in below.chunks(2) {
                let node = match pair {
                    [left, right] => Node::parent(left, right)?,
                    [left] => Node::parent(left, pad)?,
                    _ => return Err(MerkleError::EmptyTree),
                };
                above.push(node);
            }
            levels.push(above);
        }
        let root = levels
            .last()
            .and_then(|top| top.first())
            .copied()
            .ok_or(MerkleError::EmptyTree)?;
        Ok(Tree {
            levels,
            empties,
            depth,
            leaf_count,
            root,
        })
    }

    /// The root node: hash and total entitlement.
    pub fn root(&self) -> Node {
        self.root
    }

    /// Minimal depth for the leaf count ([`depth_for`]).
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// Number of real (non-padding) leaves.
    pub fn leaf_count(&self) -> u64 {
        self.leaf_count
    }

    /// The leaf node at `index`, `None` at or beyond the leaf count.
    pub fn leaf(&self, index: u64) -> Option<Node> {
        let index = usize::try_from(index).ok()?;
        self.levels.first()?.get(index).copied()
    }

    /// The siblings of leaf `index` from the leaf level up, in O(depth).
    /// [`MerkleError::IndexOutOfRange`] at or beyond the leaf count (padding included).
    pub fn proof(&self, index: u64) -> Result<Proof, MerkleError> {
        if index >= self.leaf_count {
            return Err(MerkleError::IndexOutOfRange {
                index,
                leaf_count: self.leaf_count,
            });
        }
        let mut siblings = Vec::with_capacity(usize::from(self.depth));
        let mut position = index;
        for (level, pad) in self
            .levels
            .iter()
            .zip(&self.empties)
            .take(usize::from(self.depth))
        {
            let sibling = usize::try_from(position ^ 1)
                .ok()
                .and_then(|at| level.get(at))
                .copied()
                .unwrap_or(*pad);
            siblings.push(sibling);
            position >>= 1;
        }
        Ok(Proof { index, siblings })
    }
}

/// Owners strictly ascending: [`MerkleError::UnsortedLeaves`] / [`MerkleError::DuplicateOwner`].
pub(crate) fn check_sorted(leaves: &[Leaf]) -> Result<(), MerkleError> {
    for ((previous, leaf), index) in leaves.iter().zip(leaves.iter().skip(1)).zip(1u64..) {
        match previous.owner.as_bytes().cmp(leaf.owner.as_bytes()) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => {
                return Err(MerkleError::DuplicateOwner {
                    owner: leaf.owner.clone(),
                })
            }
            std::cmp::Ordering::Greater => return Err(MerkleError::UnsortedLeaves { index }),
        }
    }
    Ok(())
}

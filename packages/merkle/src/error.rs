use thiserror::Error;

/// Everything that can go wrong in this crate. Each variant carries the data needed to fix it.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum MerkleError {
    /// A tree needs at least one leaf.
    #[error("a Merkle tree needs at least one leaf")]
    EmptyTree,

    /// More than 2^32 leaves ([`crate::MAX_DEPTH`]).
    #[error("{leaf_count} leaves exceed the maximum of 2^32")]
    TooManyLeaves { leaf_count: u64 },

    /// A sum of entitlements (node sums, pro-rata totals, cumulative amounts) exceeds `u128`.
    #[error("sum overflows u128")]
    SumOverflow,

    /// A length-prefixed string is longer than 255 bytes.
    #[error("{field} is {len} bytes long, at most 255 allowed")]
    FieldTooLong { field: &'static str, len: usize },

    /// A string of the leaves file is empty or holds a space or a control character, so it
    /// could not be read back.
    #[error("{field} is empty or holds a space or a control character")]
    InvalidField { field: &'static str },

    /// Leaves not strictly ascending by owner at `index` (the first out-of-order leaf).
    #[error("leaves not sorted strictly ascending by owner at index {index}")]
    UnsortedLeaves { index: u64 },

    /// A leaf index at or beyond the leaf count (padding positions included).
    #[error("leaf index {index} is out of range (the tree has {leaf_count} leaves)")]
    IndexOutOfRange { index: u64, leaf_count: u64 },

    /// A depth above [`crate::MAX_DEPTH`].
    #[error("depth {depth} exceeds the maximum of {max}")]
    DepthTooLarge { depth: u8, max: u8 },

    /// A leaf count of 0 or above 2^depth.
    #[error("{leaf_count} leaves do not fit a tree of depth {depth}")]
    InvalidLeafCount { leaf_count: u64, depth: u8 },

    /// A proof whose length is not depth × [`crate::SIBLING_LEN`] bytes.
    #[error("proof is {got} bytes long, expected {expected}")]
    ProofLength { expected: usize, got: usize },

    /// The same owner twice (in the usage of a round, or among the leaves of a tree).
    #[error("owner {owner} appears twice")]
    DuplicateOwner { owner: String },

    /// A malformed leaves file; `line` counts from 1 (the header).
    #[error("leaves file line {line}: {reason}")]
    ParseLeaves { line: u64, reason: String },
}

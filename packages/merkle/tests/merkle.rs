//! cube-merkle: golden vectors (the encodings are consensus: any change must fail here), the
//! attacks a Merkle-sum proof must stop, proofs of random trees, the leaves file, pro-rata
//! shares and the next round's leaves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

use cube_merkle::*;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn ctx() -> LeafContext {
    LeafContext {
        chain_id: "rewards-local-1".into(),
        contract: "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d".into(),
        round: 7,
    }
}

fn golden_leaves() -> Vec<Leaf> {
    vec![
        Leaf {
            owner: "wasm10a6yhzl3nlw2cevqjhvmzle9vfqcr5lfx7emsy".into(),
            buckets: UsageBuckets {
                wh: [[120, 0, 35], [0, 7, 0]],
            },
            score: 12_345_678,
            cumulative: 1_000_000,
        },
        Leaf {
            owner: "wasm1jcq5hcwx3cm6el0kvxhmz3zk0y5ya8ps5jtzu0".into(),
            buckets: UsageBuckets {
                wh: [[0, 0, 0], [400, 0, 15]],
            },
            score: 98_765_432,
            cumulative: 2_500_000,
        },
        Leaf {
            owner: "wasm1vqhc7lz4q0hce8k3u9q2aecyf7f0e52ap2xwln".into(),
            buckets: UsageBuckets {
                wh: [[0, 3, 0], [0, 0, 0]],
            },
            score: 4_200_000,
            cumulative: 0,
        },
    ]
}

fn golden_attestation(tree: &Tree, leaves: &[Leaf]) -> RootAttestation {
    RootAttestation {
        round: 7,
        root: tree.root().hash,
        total_entitlement: tree.root().sum,
        total_score: leaves.iter().map(|l| l.score).sum(),
        leaf_count: tree.leaf_count(),
        depth: tree.depth(),
        policy_version: 1,
        leaves_digest: leaves_digest(&ctx(), leaves).unwrap(),
        input_digest: [0x11; 32],
    }
}

/// A simple owner that sorts by `i`.
fn owner(i: usize) -> String {
    format!("wasm1{i:058}")
}

fn leaf(i: usize, cumulative: u128) -> Leaf {
    Leaf {
        owner: owner(i),
        buckets: UsageBuckets::default(),
        score: 0,
        cumulative,
    }
}

// ---------------------------------------------------------------------------------------------
// Golden vectors
// ---------------------------------------------------------------------------------------------

const GOLDEN_LEAF_HASHES: [&str; 3] = [
    "54401aacb3c85bd3415bc283f35be3f39f294db2502ea261f64823451ec7734e",
    "a8b7e38e97c9ffad72193f05e455dc7d237ec42114707b1d32dd663aa95a9c57",
    "f462c9e2fda02d418f6d9391867dd594671c7ce3850ba74be737320468469538",
];
const GOLDEN_EMPTY_HASH: &str = "dbc1b4c900ffe48d575b5da5c638040125f65db0fe3e24494b76ea986457d986";
const GOLDEN_ROOT_HASH: &str = "4dcc70b44a610abcaa24778c7c87e000844a6dc1ad8619160c4bdaec8fd20bdc";
const GOLDEN_ROOT_SUM: u128 = 3_500_000;
const GOLDEN_PROOF_1: &str = concat!(
    "54401aacb3c85bd3415bc283f35be3f39f294db2502ea261f64823451ec7734e",
    "000000000000000000000000000f4240",
    "92d01c0a5bcb044d734e21de1601b4bd7508054af5c75a9436ae3911a75f812a",
    "00000000000000000000000000000000",
);
const GOLDEN_LEAVES_DIGEST: &str =
    "78afe93e7cc9b3854ddc2d2c6a95d3a6a35d164c55d6f2557a0fdb8a7ff38632";
const GOLDEN_ATTESTATION_HASH: &str =
    "b503d6e20b6cdcd0c06c14f4e973585db7751627edadb0afc4173f9e075e2871";
const GOLDEN_LEAVES_FILE: &str = "\
cube-rewards/merkle-leaves/v1 rewards-local-1 wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d 7 3
wasm10a6yhzl3nlw2cevqjhvmzle9vfqcr5lfx7emsy 120 0 35 0 7 0 12345678 1000000
wasm1jcq5hcwx3cm6el0kvxhmz3zk0y5ya8ps5jtzu0 0 0 0 400 0 15 98765432 2500000
wasm1vqhc7lz4q0hce8k3u9q2aecyf7f0e52ap2xwln 0 3 0 0 0 0 4200000 0
";

#[test]
fn golden_leaf_hashes() {
    let ctx = ctx();
    for (leaf, expected) in golden_leaves().iter().zip(GOLDEN_LEAF_HASHES) {
        assert_eq!(hex::encode(leaf_hash(&ctx, leaf).unwrap()), expected);
        let node = leaf_node(&ctx, leaf).unwrap();
        assert_eq!(hex::encode(node.hash), expected);
        assert_eq!(node.sum, leaf.cumulative);
        assert_eq!(LeafHasher::new(&ctx).unwrap().node(leaf).unwrap(), node);
    }
    assert_eq!(hex::encode(Node::empty().hash), GOLDEN_EMPTY_HASH);
    assert_eq!(Node::empty().sum, 0);
    let expected_empty: [u8; 32] = Sha256::digest([EMPTY_PREFIX]).into();
    assert_eq!(Node::empty().hash, expected_empty);
}

#[test]
fn golden_tree_and_proof() {
    let (ctx, leaves) = (ctx(), golden_leaves());
    let tree = Tree::build(&ctx, &leaves).unwrap();
    assert_eq!(hex::encode(tree.root().hash), GOLDEN_ROOT_HASH);
    assert_eq!(tree.root().sum, GOLDEN_ROOT_SUM);
    assert_eq!(tree.depth(), 2);
    assert_eq!(tree.leaf_count(), 3);

    // The root by hand: ((l0, l1), (l2, empty)).
    let nodes: Vec<Node> = leaves.iter().map(|l| leaf_node(&ctx, l).unwrap()).collect();
    let left = Node::parent(&nodes[0], &nodes[1]).unwrap();
    let right = Node::parent(&nodes[2], &Node::empty()).unwrap();
    assert_eq!(Node::parent(&left, &right).unwrap(), tree.root());

    let proof = tree.proof(1).unwrap();
    assert_eq!(proof.index, 1);
    assert_eq!(proof.siblings, vec![nodes[0], right]);
    let bytes = proof.to_bytes();
    assert_eq!(hex::encode(&bytes), GOLDEN_PROOF_1);
    assert_eq!(Proof::from_bytes(1, &bytes).unwrap(), proof);
    for (index, node) in nodes.iter().enumerate() {
        let index = index as u64;
        let proof = tree.proof(index).unwrap().to_bytes();
        assert_eq!(proof.len(), 2 * SIBLING_LEN);
        assert_eq!(
            compute_root(*node, index, 3, 2, &proof).unwrap(),
            tree.root()
        );
        assert_eq!(tree.leaf(index), Some(*node));
    }
    assert_eq!(tree.leaf(3), None);
}

#[test]
fn golden_attestation_and_leaves_file() {
    let (ctx, leaves) = (ctx(), golden_leaves());
    let tree = Tree::build(&ctx, &leaves).unwrap();
    let file = leaves_file(&ctx, &leaves).unwrap();
    assert_eq!(String::from_utf8(file.clone()).unwrap(), GOLDEN_LEAVES_FILE);
    assert_eq!(
        hex::encode(leaves_digest(&ctx, &leaves).unwrap()),
        GOLDEN_LEAVES_DIGEST
    );
    let file_digest: [u8; 32] = Sha256::digest(&file).into();
    assert_eq!(hex::encode(file_digest), GOLDEN_LEAVES_DIGEST);

    let attestation = golden_attestation(&tree, &leaves);
    assert_eq!(attestation.total_score, 115_311_110);
    assert_eq!(attestation.total_entitlement, GOLDEN_ROOT_SUM);
    let hash = attestation.hash(&ctx.chain_id, &ctx.contract).unwrap();
    assert_eq!(hex::encode(hash), GOLDEN_ATTESTATION_HASH);
    let encoded = attestation.encode(&ctx.chain_id, &ctx.contract).unwrap();
    let encoded_hash: [u8; 32] = Sha256::digest(&encoded).into();
    assert_eq!(encoded_hash, hash);
    assert_eq!(
        encoded.len(),
        ATTESTATION_TAG.len()
            + 1
            + ctx.chain_id.len()
            + 1
            + ctx.contract.len()
            + 8
            + 32
            + 16
            + 16
            + 8
            + 1
            + 4
            + 32
            + 32
    );
    assert!(encoded.starts_with(ATTESTATION_TAG));
    assert!(encoded.ends_with(&[0x11; 32]));

    // Every field is bound: change one, the hash changes.
    let mut changed = attestation.clone();
    changed.policy_version = 2;
    assert_ne!(changed.hash(&ctx.chain_id, &ctx.contract).unwrap(), hash);
    let mut changed = attestation.clone();
    changed.total_score += 1;
    assert_ne!(changed.hash(&ctx.chain_id, &ctx.contract).unwrap(), hash);
    assert_ne!(
        attestation.hash("rewards-local-2", &ctx.contract).unwrap(),
        hash
    );
    assert_eq!(
        attestation.hash(&"x".repeat(256), &ctx.contract),
        Err(MerkleError::FieldTooLong {
            field: "chain_id",
            len: 256
        })
    );
}

#[test]
fn the_leaf_hash_binds_the_context_and_every_field() {
    let (ctx, leaves) = (ctx(), golden_leaves());
    let base = leaf_hash(&ctx, &leaves[0]).unwrap();
    let mut other = ctx.clone();
    other.round = 8;
    assert_ne!(leaf_hash(&other, &leaves[0]).unwrap(), base);
    let mut other = ctx.clone();
    other.chain_id = "rewards-local-2".into();
    assert_ne!(leaf_hash(&other, &leaves[0]).unwrap(), base);
    let mut other = ctx.clone();
    other.contract.push('x');
    assert_ne!(leaf_hash(&other, &leaves[0]).unwrap(), base);
    for cell in 0..6 {
        let mut leaf = leaves[0].clone();
        leaf.buckets.wh[cell / 3][cell % 3] += 1;
        assert_ne!(leaf_hash(&ctx, &leaf).unwrap(), base, "cell {cell}");
    }
    let mut leaf = leaves[0].clone();
    leaf.score += 1;
    assert_ne!(leaf_hash(&ctx, &leaf).unwrap(), base);
    let mut leaf = leaves[0].clone();
    leaf.cumulative += 1;
    assert_ne!(leaf_hash(&ctx, &leaf).unwrap(), base);

    let mut leaf = leaves[0].clone();
    leaf.owner = "w".repeat(256);
    assert_eq!(
        leaf_hash(&ctx, &leaf),
        Err(MerkleError::FieldTooLong {
            field: "owner",
            len: 256
        })
    );
    leaf.owner = "w".repeat(255);
    assert!(leaf_hash(&ctx, &leaf).is_ok());
    let mut long = ctx.clone();
    long.contract = "c".repeat(300);
    assert_eq!(
        leaf_hash(&long, &leaves[0]),
        Err(MerkleError::FieldTooLong {
            field: "contract",
            len: 300
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Attacks
// ---------------------------------------------------------------------------------------------

/// Two leaves of 100 each: the root commits to 200. No proof yields the honest root hash with
/// another total, whatever sibling sum or leaf amount the prover forges.
#[test]
fn sum_attack_forged_sums_never_reach_the_honest_root() {
    let ctx = ctx();
    let leaves = vec![leaf(0, 100), leaf(1, 100)];
    let tree = Tree::build(&ctx, &leaves).unwrap();
    let root = tree.root();
    assert_eq!(root.sum, 200);
    assert_eq!(tree.depth(), 1);
    let honest = tree.proof(0).unwrap();
    let honest_bytes = honest.to_bytes();
    let node0 = leaf_node(&ctx, &leaves[0]).unwrap();
    assert_eq!(compute_root(node0, 0, 2, 1, &honest_bytes).unwrap(), root);

    // The attacker wants the contract to believe the total is 100 (so that 100 more can be
    // "claimed" without budget), or to claim more than the leaf's 100.
    let forged_sums = [
        0u128,
        1,
        50,
        99,
        100,
        101,
        199,
        200,
        u128::MAX - 100,
        u128::MAX,
    ];
    for forged_sibling_sum in forged_sums {
        for forged_amount in [0u128, 100, 150, 200, 1_000] {
            let mut forged = honest.clone();
            forged.siblings[0].sum = forged_sibling_sum;
            let forged_leaf = Leaf {
                cumulative: forged_amount,
                ..leaves[0].clone()
            };
            let node = leaf_node(&ctx, &forged_leaf).unwrap();
            let honest_pair = forged_sibling_sum == 100 && forged_amount == 100;
            match compute_root(node, 0, 2, 1, &forged.to_bytes()) {
                Ok(computed) if honest_pair => assert_eq!(computed, root),
                Ok(computed) => {
                    assert_ne!(
                        computed.hash, root.hash,
                        "{forged_sibling_sum} {forged_amount}"
                    );
                    assert_ne!(computed, root);
                }
                Err(error) => {
                    assert_eq!(error, MerkleError::SumOverflow);
                    assert!(forged_sibling_sum > u128::MAX - forged_amount);
                }
            }
        }
    }

    // A leaf node with the honest hash but a forged sum (the contract never builds one, but even
    // then): the node hash commits to both children's sums.
    for forged in [0u128, 50, 99, 101, 200] {
        let node = Node {
            sum: forged,
            ..node0
        };
        let computed = compute_root(node, 0, 2, 1, &honest_bytes).unwrap();
        assert_ne!(computed.hash, root.hash);
    }

    // A root over a total of 100: no leaf of this tree proves against it, honest or forged.
    let low = Node { sum: 100, ..root };
    for (leaf, index) in leaves.iter().zip(0u64..) {
        let node = leaf_node(&ctx, leaf).unwrap();
        let proof = tree.proof(index).unwrap().to_bytes();
        assert_ne!(compute_root(node, index, 2, 1, &proof).unwrap(), low);
    }

    // Wrapping sums are refused, not reduced mod 2^128.
    let mut wrap = honest.clone();
    wrap.siblings[0].sum = u128::MAX - 50; // + 100 wraps
    assert_eq!(
        compute_root(node0, 0, 2, 1, &wrap.to_bytes()),
        Err(MerkleError::SumOverflow)
    );
}

/// An internal node cannot be presented as a leaf: the proof length is fixed by the attested
/// depth, and a leaf hash (prefix 0x00) never equals a node hash (prefix 0x01) of the tree.
#[test]
fn an_internal_node_presented_as_a_leaf_fails() {
    let ctx = ctx();
    let leaves: Vec<Leaf> = (0..4).map(|i| leaf(i, 10 * (i as u128 + 1))).collect();
    let tree = Tree::build(&ctx, &leaves).unwrap();
    let root = tree.root();
    let nodes: Vec<Node> = leaves.iter().map(|l| leaf_node(&ctx, l).unwrap()).collect();
    let inner_left = Node::parent(&nodes[0], &nodes[1]).unwrap();
    let inner_right = Node::parent(&nodes[2], &nodes[3]).unwrap();
    assert_eq!(Node::parent(&inner_left, &inner_right).unwrap(), root);

    // The one-level proof the inner node would need: refused by the length check.
    let short = Proof {
        index: 0,
        siblings: vec![inner_right],
    }
    .to_bytes();
    assert_eq!(
        compute_root(inner_left, 0, 4, 2, &short),
        Err(MerkleError::ProofLength {
            expected: 96,
            got: 48
        })
    );
    // Padded to the right length with anything: the node sits at the wrong level.
    for filler in [Node::empty(), nodes[1], inner_right] {
        for index in 0..4u64 {
            let padded = Proof {
                index,
                siblings: vec![filler, inner_right],
            }
            .to_bytes();
            let computed = compute_root(inner_left, index, 4, 2, &padded).unwrap();
            assert_ne!(computed.hash, root.hash);
        }
    }
    // Lying about the depth is what the attestation prevents: only the attested depth counts.
    assert_eq!(compute_root(inner_left, 0, 2, 1, &short).unwrap(), root);

    // leaf_hash prefixes 0x00 and the tag, Node::parent 0x01: no leaf hash is a node hash.
    let node_hashes = [inner_left.hash, inner_right.hash, root.hash];
    for leaf in &leaves {
        assert!(!node_hashes.contains(&leaf_hash(&ctx, leaf).unwrap()));
    }
    // Node::parent hashes 0x01 ‖ children (a leaf hash starts 0x00 ‖ tag): by hand.
    let mut preimage = vec![NODE_PREFIX];
    preimage.extend_from_slice(&nodes[0].hash);
    preimage.extend_from_slice(&nodes[0].sum.to_be_bytes());
    let direct: [u8; 32] = {
        let mut h = Sha256::new();
        h.update(&preimage);
        h.update(nodes[1].hash);
        h.update(nodes[1].sum.to_be_bytes());
        h.finalize().into()
    };
    assert_eq!(direct, inner_left.hash);
    assert_ne!(Node::empty().hash, inner_left.hash);
}

#[test]
fn wrong_proof_lengths_are_refused() {
    let (ctx, leaves) = (ctx(), golden_leaves());
    let tree = Tree::build(&ctx, &leaves).unwrap();
    let node = leaf_node(&ctx, &leaves[1]).unwrap();
    let proof = tree.proof(1).unwrap().to_bytes();
    let mut longer = proof.clone();
    longer.push(0);
    let mut extra = proof.clone();
    extra.extend_from_slice(&proof[..SIBLING_LEN]);
    for (bytes, got) in [
        (&proof[..proof.len() - 1], 95),
        (&longer[..], 97),
        (&proof[..SIBLING_LEN], 48),
        (&extra[..], 144),
        (&[][..], 0),
    ] {
        assert_eq!(
            compute_root(node, 1, 3, 2, bytes),
            Err(MerkleError::ProofLength { expected: 96, got })
        );
    }
    assert!(matches!(
        Proof::from_bytes(1, &longer),
        Err(MerkleError::ProofLength { got: 97, .. })
    ));
    assert_eq!(
        Proof::from_bytes(0, &vec![0; 33 * SIBLING_LEN]),
        Err(MerkleError::DepthTooLarge { depth: 33, max: 32 })
    );
    // The deepest proof the contract accepts decodes.
    let deepest = Proof::from_bytes(5, &vec![0; 32 * SIBLING_LEN]).unwrap();
    assert_eq!((deepest.index, deepest.siblings.len()), (5, 32));
    assert_eq!(deepest.to_bytes(), vec![0; 32 * SIBLING_LEN]);
}

#[test]
fn compute_root_checks_shape_in_order() {
    let node = Node::empty();
    assert_eq!(
        compute_root(node, 0, 1, 33, &[]),
        Err(MerkleError::DepthTooLarge { depth: 33, max: 32 })
    );
    assert_eq!(
        compute_root(node, 0, 0, 2, &[]),
        Err(MerkleError::InvalidLeafCount {
            leaf_count: 0,
            depth: 2
        })
    );
    assert_eq!(
        compute_root(node, 0, 5, 2, &[]),
        Err(MerkleError::InvalidLeafCount {
            leaf_count: 5,
            depth: 2
        })
    );
    // Leaf count checked before the proof length, the length before the index.
    assert_eq!(
        compute_root(node, 9, 4, 2, &[]),
        Err(MerkleError::ProofLength {
            expected: 96,
            got: 0
        })
    );
    assert_eq!(
        compute_root(node, 4, 4, 2, &[0; 96]),
        Err(MerkleError::IndexOutOfRange {
            index: 4,
            leaf_count: 4
        })
    );
    // Depth 32 with 2^32 leaves is the largest shape.
    assert!(compute_root(node, (1 << 32) - 1, 1 << 32, 32, &[0; 32 * 48]).is_ok());
    assert!(matches!(
        compute_root(node, 0, (1 << 32) + 1, 32, &[0; 32 * 48]),
        Err(MerkleError::InvalidLeafCount { .. })
    ));
    // A single leaf is its own root.
    let leaf = Node {
        hash: [7; 32],
        sum: 9,
    };
    assert_eq!(compute_root(leaf, 0, 1, 0, &[]).unwrap(), leaf);
}

#[test]
fn indexes_out_of_range_and_padding_are_refused() {
    let (ctx, leaves) = (ctx(), golden_leaves());
    let tree = Tree::build(&ctx, &leaves).unwrap();
    for index in [3u64, 4, 1 << 40, u64::MAX] {
        assert_eq!(
            tree.proof(index),
            Err(MerkleError::IndexOutOfRange {
                index,
                leaf_count: 3
            })
        );
    }
    // Index 3 is padding: the empty leaf with its real path does fold to the honest root, so
    // only the leaf-count check keeps it out (a zero-amount claim, but still not a leaf).
    let nodes: Vec<Node> = leaves.iter().map(|l| leaf_node(&ctx, l).unwrap()).collect();
    let padding_proof = Proof {
        index: 3,
        siblings: vec![nodes[2], Node::parent(&nodes[0], &nodes[1]).unwrap()],
    }
    .to_bytes();
    assert_eq!(
        compute_root(Node::empty(), 3, 4, 2, &padding_proof).unwrap(),
        tree.root()
    );
    assert_eq!(
        compute_root(Node::empty(), 3, 3, 2, &padding_proof),
        Err(MerkleError::IndexOutOfRange {
            index: 3,
            leaf_count: 3
        })
    );
    // A real leaf at the wrong index does not verify.
    let proof1 = tree.proof(1).unwrap().to_bytes();
    assert_ne!(
        compute_root(nodes[1], 0, 3, 2, &proof1).unwrap(),
        tree.root()
    );
    assert_ne!(
        compute_root(nodes[1], 2, 3, 2, &proof1).unwrap(),
        tree.root()
    );
}

#[test]
fn unsorted_and_duplicate_leaves_are_refused() {
    let ctx = ctx();
    let leaves: Vec<Leaf> = (0..5).map(|i| leaf(i, 1)).collect();
    let mut unsorted = leaves.clone();
    unsorted.swap(2, 3);
    assert_eq!(
        Tree::build(&ctx, &unsorted),
        Err(MerkleError::UnsortedLeaves { index: 3 })
    );
    assert_eq!(
        leaves_file(&ctx, &unsorted),
        Err(MerkleError::UnsortedLeaves { index: 3 })
    );
    assert_eq!(
        next_leaves(&unsorted, &[], 0),
        Err(MerkleError::UnsortedLeaves { index: 3 })
    );
    let mut duplicate = leaves.clone();
    duplicate[4].owner = duplicate[3].owner.clone();
    let expected = MerkleError::DuplicateOwner { owner: owner(3) };
    assert_eq!(Tree::build(&ctx, &duplicate), Err(expected.clone()));
    assert_eq!(leaves_file(&ctx, &duplicate), Err(expected.clone()));
    assert_eq!(next_leaves(&duplicate, &[], 0), Err(expected.clone()));
    let usage = vec![
        (owner(3), UsageBuckets::default(), 5),
        (owner(1), UsageBuckets::default(), 5),
        (owner(3), UsageBuckets::default(), 6),
    ];
    assert_eq!(next_leaves(&leaves, &usage, 100), Err(expected));
    assert_eq!(Tree::build(&ctx, &[]), Err(MerkleError::EmptyTree));
    assert_eq!(Tree::from_nodes(vec![]), Err(MerkleError::EmptyTree));
    assert_eq!(leaves_file(&ctx, &[]), Err(MerkleError::EmptyTree));
    // from_nodes does not look at the order; the overflow of the total is refused.
    let big = Node {
        hash: [1; 32],
        sum: u128::MAX,
    };
    assert_eq!(
        Tree::from_nodes(vec![big, big]),
        Err(MerkleError::SumOverflow)
    );
}

#[test]
fn depth_for_boundaries() {
    assert_eq!(depth_for(0), Err(MerkleError::EmptyTree));
    for (count, depth) in [
        (1u64, 0u8),
        (2, 1),
        (3, 2),
        (4, 2),
        (5, 3),
        (1_000_000, 20),
        (1 << 20, 20),
        ((1 << 20) + 1, 21),
        (1 << 32, 32),
    ] {
        assert_eq!(depth_for(count), Ok(depth), "{count}");
    }
    for count in [(1u64 << 32) + 1, u64::MAX] {
        assert_eq!(
            depth_for(count),
            Err(MerkleError::TooManyLeaves { leaf_count: count })
        );
    }
}

#[test]
fn tree_shapes_match_depth_for() {
    for count in 1..=17usize {
        let nodes: Vec<Node> = (0..count)
            .map(|i| Node {
                hash: [u8::try_from(i).unwrap(); 32],
                sum: i as u128,
            })
            .collect();
        let tree = Tree::from_nodes(nodes.clone()).unwrap();
        assert_eq!(tree.depth(), depth_for(count as u64).unwrap());
        assert_eq!(tree.root().sum, (0..count as u128).sum::<u128>());
        // The padded reference: full level of 2^depth, reduced pairwise.
        let mut level = nodes;
        level.resize(1 << tree.depth(), Node::empty());
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|p| Node::parent(&p[0], &p[1]).unwrap())
                .collect();
        }
        assert_eq!(level[0], tree.root(), "{count}");
    }
}

// ---------------------------------------------------------------------------------------------
// Random trees
// ---------------------------------------------------------------------------------------------

fn arb_nodes() -> impl Strategy<Value = Vec<Node>> {
    prop::collection::vec(
        (any::<[u8; 32]>(), 0u128..(1u128 << 100)).prop_map(|(hash, sum)| Node { hash, sum }),
        1..70,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_proof_verifies_and_every_tamper_fails(nodes in arb_nodes(), pick in any::<prop::sample::Index>(), bit in any::<prop::sample::Index>()) {
        let tree = Tree::from_nodes(nodes.clone()).unwrap();
        let (count, depth, root) = (tree.leaf_count(), tree.depth(), tree.root());
        prop_assert_eq!(root.sum, nodes.iter().map(|n| n.sum).sum::<u128>());
        for (index, node) in nodes.iter().enumerate() {
            let index = index as u64;
            let proof = tree.proof(index).unwrap();
            prop_assert_eq!(proof.siblings.len(), usize::from(depth));
            let bytes = proof.to_bytes();
            prop_assert_eq!(compute_root(*node, index, count, depth, &bytes).unwrap(), root);
        }
        let index = pick.index(nodes.len());
        let node = nodes[index];
        let index = index as u64;
        let bytes = tree.proof(index).unwrap().to_bytes();
        // Every single-bit flip of the proof fails.
        for flip in 0..bytes.len() * 8 {
            let mut tampered = bytes.clone();
            tampered[flip / 8] ^= 1 << (flip % 8);
            let result = compute_root(node, index, count, depth, &tampered);
            prop_assert!(result != Ok(root), "flip {} verified", flip);
            if let Ok(computed) = result {
                prop_assert_ne!(computed.hash, root.hash);
            }
        }
        // A flipped bit of the leaf hash, a changed leaf sum, another index: all fail.
        let mut flipped = node;
        let b = bit.index(256);
        flipped.hash[b / 8] ^= 1 << (b % 8);
        prop_assert!(compute_root(flipped, index, count, depth, &bytes) != Ok(root));
        for sum in [node.sum.wrapping_add(1), node.sum.wrapping_sub(1), 0, node.sum << 1] {
            if sum != node.sum {
                let forged = Node { sum, ..node };
                let result = compute_root(forged, index, count, depth, &bytes);
                if depth == 0 {
                    // A lone leaf is the root: its sum is bound by the leaf hash (which
                    // encodes the cumulative), not by a parent; the (hash, sum) pair differs.
                    prop_assert!(result != Ok(root));
                } else {
                    prop_assert!(result.map(|n| n.hash) != Ok(root.hash));
                }
            }
        }
        for other in 0..count {
            if other != index && nodes[usize::try_from(other).unwrap()] != node {
                prop_assert!(compute_root(node, other, count, depth, &bytes) != Ok(root));
            }
        }
    }

    #[test]
    fn built_trees_verify_their_leaves(count in 1usize..40, round in any::<u64>(), seed in any::<u64>()) {
        let ctx = LeafContext { round, ..ctx() };
        let leaves: Vec<Leaf> = (0..count)
            .map(|i| {
                let x = seed.wrapping_mul(i as u64 + 1);
                Leaf {
                    owner: owner(i),
                    buckets: UsageBuckets { wh: [[x, x >> 3, 0], [x >> 7, 1, x >> 60]] },
                    score: u128::from(x) * 1_000,
                    cumulative: u128::from(x >> 1),
                }
            })
            .collect();
        let tree = Tree::build(&ctx, &leaves).unwrap();
        for (index, leaf) in leaves.iter().enumerate() {
            let node = leaf_node(&ctx, leaf).unwrap();
            let bytes = tree.proof(index as u64).unwrap().to_bytes();
            prop_assert_eq!(compute_root(node, index as u64, count as u64, tree.depth(), &bytes).unwrap(), tree.root());
        }
        // The file round-trips exactly.
        let file = leaves_file(&ctx, &leaves).unwrap();
        let (parsed_ctx, parsed) = parse_leaves_file(&file).unwrap();
        prop_assert_eq!(&parsed_ctx, &ctx);
        prop_assert_eq!(&parsed, &leaves);
        prop_assert_eq!(leaves_file(&parsed_ctx, &parsed).unwrap(), file.clone());
        let digest: [u8; 32] = Sha256::digest(&file).into();
        prop_assert_eq!(leaves_digest(&ctx, &leaves).unwrap(), digest);
    }
}

// ---------------------------------------------------------------------------------------------
// Leaves file
// ---------------------------------------------------------------------------------------------

#[test]
fn leaves_file_round_trips_extreme_values() {
    let ctx = LeafContext {
        round: u64::MAX,
        ..ctx()
    };
    let leaves = vec![
        Leaf {
            owner: "a".into(),
            buckets: UsageBuckets {
                wh: [[u64::MAX, 0, 1], [10, 100, u64::MAX - 1]],
            },
            score: u128::MAX,
            cumulative: 0,
        },
        Leaf {
            owner: "b".repeat(255),
            buckets: UsageBuckets::default(),
            score: 10_000_000_000_000_000_000,
            cumulative: u128::MAX,
        },
        Leaf {
            owner: "c\u{e9}".into(),
            buckets: UsageBuckets::default(),
            score: 18_446_744_073_709_551_616, // 2^64
            cumulative: 100_000_000_000_000_000_000_000_000_000_000_000_000,
        },
    ];
    let file = leaves_file(&ctx, &leaves).unwrap();
    let text = String::from_utf8(file.clone()).unwrap();
    assert!(text.contains(" 340282366920938463463374607431768211455 0\n"));
    assert!(text.contains(" 10000000000000000000 340282366920938463463374607431768211455\n"));
    assert!(text.contains(" 18446744073709551616 100000000000000000000000000000000000000\n"));
    assert!(text.starts_with(&format!("{LEAVES_FILE_TAG} rewards-local-1 ")));
    assert!(text.contains(" 18446744073709551615 3\n"));
    let (parsed_ctx, parsed) = parse_leaves_file(&file).unwrap();
    assert_eq!(parsed_ctx, ctx);
    assert_eq!(parsed, leaves);
}

#[test]
fn leaves_file_refuses_unwritable_fields() {
    let ctx = ctx();
    for bad in [
        "",
        "has space",
        "tab\there",
        "line\nfeed",
        "cr\r",
        "del\u{7f}",
    ] {
        let leaves = vec![Leaf {
            owner: bad.into(),
            ..leaf(0, 1)
        }];
        assert_eq!(
            leaves_file(&ctx, &leaves),
            Err(MerkleError::InvalidField { field: "owner" }),
            "{bad:?}"
        );
        let bad_ctx = LeafContext {
            chain_id: bad.into(),
            ..ctx.clone()
        };
        assert_eq!(
            leaves_digest(&bad_ctx, &[leaf(0, 1)]),
            Err(MerkleError::InvalidField { field: "chain_id" })
        );
    }
}

fn parse_error(text: &[u8]) -> (u64, String) {
    match parse_leaves_file(text) {
        Err(MerkleError::ParseLeaves { line, reason }) => (line, reason),
        other => panic!(
            "expected a parse error for {:?}, got {other:?}",
            String::from_utf8_lossy(text)
        ),
    }
}

#[test]
fn parse_leaves_file_rejects_malformed_lines_with_their_number() {
    let good = GOLDEN_LEAVES_FILE;
    assert_eq!(
        parse_leaves_file(good.as_bytes()).unwrap(),
        (ctx(), golden_leaves())
    );
    let line3 = "wasm1jcq5hcwx3cm6el0kvxhmz3zk0y5ya8ps5jtzu0 0 0 0 400 0 15 98765432 2500000";
    let replace3 = |with: &str| good.replacen(line3, with, 1).into_bytes();
    let cases: Vec<(Vec<u8>, u64, &str)> = vec![
        (Vec::new(), 1, "empty"),
        (good.trim_end().as_bytes().to_vec(), 4, "line feed"),
        (
            good.replacen("merkle-leaves/v1", "merkle-leaves/v2", 1)
                .into_bytes(),
            1,
            "start with",
        ),
        (
            good.replacen(" 7 3\n", " 7 03\n", 1).into_bytes(),
            1,
            "leading zero",
        ),
        (
            good.replacen(" 7 3\n", " 7 0\n", 1).into_bytes(),
            1,
            "leaf_count",
        ),
        (
            good.replacen(" 7 3\n", " 7 3 1\n", 1).into_bytes(),
            1,
            "too many fields",
        ),
        (
            good.replacen(" 7 3\n", " 7\n", 1).into_bytes(),
            1,
            "leaf_count is missing",
        ),
        (
            good.replacen(" 7 3\n", " -7 3\n", 1).into_bytes(),
            1,
            "round is not a decimal",
        ),
        (
            good.replacen(" 7 3\n", " 7 3\r\n", 1).into_bytes(),
            1,
            "leaf_count is not a decimal",
        ),
        (
            good.replacen(" 7 3\n", " 7 2\n", 1).into_bytes(),
            4,
            "more leaf lines",
        ),
        (
            good.replacen(" 7 3\n", " 7 4\n", 1).into_bytes(),
            5,
            "announces 4 leaves, the file has 3",
        ),
        (
            replace3(&line3.replacen(" 400 ", " 0400 ", 1)),
            3,
            "wh10 has a leading zero",
        ),
        (
            replace3(&line3.replacen(" 400 ", "  400 ", 1)),
            3,
            "is empty",
        ),
        (
            replace3(&line3.replacen(" 400 ", " 4e2 ", 1)),
            3,
            "wh10 is not a decimal",
        ),
        (
            replace3(&line3.replacen(" 400 ", " +400 ", 1)),
            3,
            "wh10 is not a decimal",
        ),
        (
            replace3(&line3.replacen(" 400 ", " 18446744073709551616 ", 1)),
            3,
            "wh10 is out of range",
        ),
        (
            replace3(&line3.replacen(" 2500000", " 340282366920938463463374607431768211456", 1)),
            3,
            "cumulative is out of range",
        ),
        (
            replace3(&line3.replacen(" 2500000", "", 1)),
            3,
            "cumulative is missing",
        ),
        (replace3(&format!("{line3} 1")), 3, "too many fields"),
        (replace3(&format!("{line3} ")), 3, "too many fields"),
        (replace3(""), 3, "owner is empty"),
        (
            replace3(&line3.replacen("wasm1jcq", "wasm100jcq", 1)),
            3,
            "not strictly above",
        ),
        (
            replace3(&line3.replacen(
                "wasm1jcq5hcwx3cm6el0kvxhmz3zk0y5ya8ps5jtzu0",
                "wasm10a6yhzl3nlw2cevqjhvmzle9vfqcr5lfx7emsy",
                1,
            )),
            3,
            "not strictly above",
        ),
        (
            good.replacen("\nwasm1vq", "\n\nwasm1vq", 1).into_bytes(),
            4,
            "owner is empty",
        ),
        (format!("{good}\n").into_bytes(), 5, "more leaf lines"),
    ];
    for (text, line, reason) in cases {
        let (got_line, got_reason) = parse_error(&text);
        assert_eq!(got_line, line, "{reason}: {got_reason}");
        assert!(
            got_reason.contains(reason),
            "expected {reason:?} in {got_reason:?}"
        );
    }
    // Not UTF-8 in an owner.
    let mut bytes = good.as_bytes().to_vec();
    let at = good.find("wasm1vq").unwrap() + 5;
    bytes[at] = 0xff;
    let (line, reason) = parse_error(&bytes);
    assert_eq!((line, reason.as_str()), (4, "owner is not UTF-8"));
    // The error names the line in its message.
    let error = parse_leaves_file(&replace3(&line3.replacen(" 400 ", " x ", 1))).unwrap_err();
    assert_eq!(
        error.to_string(),
        "leaves file line 3: wh10 is not a decimal number"
    );
}

// ---------------------------------------------------------------------------------------------
// Pro-rata shares and the next round's leaves
// ---------------------------------------------------------------------------------------------

/// An independent 256-bit a·b as four 64-bit limbs, most significant first (schoolbook).
#[allow(clippy::cast_possible_truncation)] // splitting into limbs truncates on purpose
fn mul_limbs(a: u128, b: u128) -> [u64; 4] {
    let a = [a as u64, (a >> 64) as u64];
    let b = [b as u64, (b >> 64) as u64];
    let mut out = [0u64; 4]; // little endian while computing
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &y) in b.iter().enumerate() {
            let t = u128::from(x) * u128::from(y) + u128::from(out[i + j]) + carry;
            out[i + j] = t as u64;
            carry = t >> 64;
        }
        out[i + 2] = carry as u64;
    }
    out.reverse();
    out
}

/// q = floor(reward·score/total) ⇔ q·total ≤ reward·score < (q+1)·total.
fn is_floor_share(q: u128, reward: u128, score: u128, total: u128) -> bool {
    let product = mul_limbs(reward, score);
    let below = mul_limbs(q, total);
    let above = match q.checked_add(1) {
        Some(next) => mul_limbs(next, total),
        None => {
            // (2^128)·total: shifted by two limbs.
            let t = mul_limbs(1, total);
            [t[2], t[3], 0, 0]
        }
    };
    below <= product && product < above
}

#[test]
fn pro_rata_near_the_u128_limits() {
    let max = u128::MAX;
    assert_eq!(pro_rata(max, &[max]).unwrap(), vec![max]);
    assert_eq!(pro_rata(max, &[1, 1]).unwrap(), vec![max / 2, max / 2]);
    assert_eq!(pro_rata(max, &[max - 1, 1]).unwrap(), vec![max - 1, 1]);
    assert_eq!(pro_rata(max, &[0, 5]).unwrap(), vec![0, max]);
    assert_eq!(pro_rata(max, &[3, 3, 3]).unwrap(), vec![max / 3; 3]);
    assert_eq!(pro_rata(0, &[max]).unwrap(), vec![0]);
    assert_eq!(pro_rata(7, &[]).unwrap(), Vec::<u128>::new());
    assert_eq!(pro_rata(7, &[0, 0]).unwrap(), vec![0, 0]);
    assert_eq!(pro_rata(7, &[max, 1]), Err(MerkleError::SumOverflow));
    // 2^127 · (2^127 − 1) / (2^127 + 2^126): exact against the limb reference.
    let (reward, a, b) = (1u128 << 127, (1u128 << 127) - 1, 1u128 << 126);
    let shares = pro_rata(reward, &[a, b]).unwrap();
    assert!(is_floor_share(shares[0], reward, a, a + 1 + b - 1));
    assert!(is_floor_share(shares[1], reward, b, a + b));
    assert!(shares[0] + shares[1] <= reward);
    assert!(reward - (shares[0] + shares[1]) < 2);
    // The reference itself, on products that fit.
    assert!(is_floor_share(3, 10, 1, 3));
    assert!(!is_floor_share(4, 10, 1, 3));
    assert!(is_floor_share(max, max, 7, 7));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn pro_rata_matches_u128_when_the_product_fits(reward in 0u128..(1u128 << 80), scores in prop::collection::vec(0u128..(1u128 << 40), 0..20)) {
        let shares = pro_rata(reward, &scores).unwrap();
        let total: u128 = scores.iter().sum();
        prop_assert_eq!(shares.len(), scores.len());
        for (share, score) in shares.iter().zip(&scores) {
            let expected = (reward * score).checked_div(total).unwrap_or(0);
            prop_assert_eq!(*share, expected);
        }
        let paid: u128 = shares.iter().sum();
        prop_assert!(paid <= reward);
        if total > 0 {
            prop_assert!(reward - paid < scores.len() as u128);
        }
    }

    #[test]
    fn pro_rata_is_exact_with_wide_products(reward in any::<u128>(), high in any::<u128>(), scores in prop::collection::vec(any::<u64>(), 1..6)) {
        // One huge score next to small ones: products far beyond u128.
        let mut scores: Vec<u128> = scores.into_iter().map(u128::from).collect();
        scores[0] = high >> 4;
        let total: u128 = scores.iter().sum();
        let shares = pro_rata(reward, &scores).unwrap();
        if total == 0 {
            prop_assert!(shares.iter().all(|s| *s == 0));
        } else {
            for (share, score) in shares.iter().zip(&scores) {
                prop_assert!(is_floor_share(*share, reward, *score, total), "{} {} {} {}", share, reward, score, total);
            }
            let paid = shares.iter().try_fold(0u128, |a, s| a.checked_add(*s)).unwrap();
            prop_assert!(paid <= reward);
            prop_assert!(reward - paid < scores.len() as u128);
        }
    }

    #[test]
    fn next_leaves_carries_owners_and_sums(
        previous in prop::collection::btree_map(0usize..200, 0u128..1_000_000_000, 0..30),
        usage in prop::collection::btree_map(0usize..200, 0u128..1_000_000_000_000, 0..30),
        reward in 0u128..1_000_000_000_000_000_000,
        reverse in any::<bool>(),
    ) {
        let previous_leaves: Vec<Leaf> = previous
            .iter()
            .map(|(&i, &cumulative)| Leaf {
                owner: owner(i),
                buckets: UsageBuckets { wh: [[1, 2, 3], [4, 5, 6]] },
                score: 77,
                cumulative,
            })
            .collect();
        let mut usage_list: Vec<(String, UsageBuckets, u128)> = usage
            .iter()
            .map(|(&i, &score)| (owner(i), UsageBuckets { wh: [[i as u64, 0, 0], [0, 0, 1]] }, score))
            .collect();
        if reverse {
            usage_list.reverse(); // any order is fine
        }
        let next = next_leaves(&previous_leaves, &usage_list, reward).unwrap();

        // Owners: the union, sorted, once each.
        let mut owners: Vec<usize> = previous.keys().chain(usage.keys()).copied().collect();
        owners.sort_unstable();
        owners.dedup();
        prop_assert_eq!(next.iter().map(|l| l.owner.clone()).collect::<Vec<_>>(), owners.iter().map(|&i| owner(i)).collect::<Vec<_>>());

        let scores: Vec<u128> = usage.values().copied().collect();
        let total_score: u128 = scores.iter().sum();
        let mut increase_sum = 0u128;
        for leaf in &next {
            let i: usize = leaf.owner[5..].parse().unwrap();
            let before = previous.get(&i).copied().unwrap_or(0);
            prop_assert!(leaf.cumulative >= before);
            let increase = leaf.cumulative - before;
            increase_sum += increase;
            match usage.get(&i) {
                Some(&score) => {
                    prop_assert_eq!(leaf.score, score);
                    prop_assert_eq!(leaf.buckets, UsageBuckets { wh: [[i as u64, 0, 0], [0, 0, 1]] });
                    let expected = (reward * score).checked_div(total_score).unwrap_or(0);
                    prop_assert_eq!(increase, expected);
                }
                None => {
                    prop_assert_eq!(leaf.score, 0);
                    prop_assert_eq!(leaf.buckets, UsageBuckets::default());
                    prop_assert_eq!(increase, 0);
                }
            }
        }
        prop_assert!(increase_sum <= reward);
        if total_score == 0 {
            prop_assert_eq!(increase_sum, 0);
        } else {
            // reward − dust, the dust below one unit per usage entry.
            prop_assert!(reward - increase_sum < usage.len() as u128);
        }
        let total_before: u128 = previous.values().sum();
        let total_after: u128 = next.iter().map(|l| l.cumulative).sum();
        prop_assert_eq!(total_after, total_before + increase_sum);
        // The result is a valid tree.
        if !next.is_empty() {
            prop_assert_eq!(Tree::build(&ctx(), &next).unwrap().root().sum, total_after);
        }
    }
}

#[test]
fn next_leaves_example() {
    let previous = vec![leaf(1, 500), leaf(3, 7)];
    let usage = vec![
        (
            owner(3),
            UsageBuckets {
                wh: [[1, 0, 0], [0, 0, 0]],
            },
            1,
        ),
        (
            owner(0),
            UsageBuckets {
                wh: [[0, 0, 0], [2, 0, 0]],
            },
            2,
        ),
    ];
    let next = next_leaves(&previous, &usage, 100).unwrap();
    assert_eq!(
        next,
        vec![
            Leaf {
                owner: owner(0),
                buckets: UsageBuckets {
                    wh: [[0, 0, 0], [2, 0, 0]]
                },
                score: 2,
                cumulative: 66,
            },
            leaf(1, 500),
            Leaf {
                owner: owner(3),
                buckets: UsageBuckets {
                    wh: [[1, 0, 0], [0, 0, 0]]
                },
                score: 1,
                cumulative: 7 + 33,
            },
        ]
    );
    // Dust: 100 − 99 = 1 stays unallocated.
    let overflow = vec![(owner(1), UsageBuckets::default(), 1)];
    let full = vec![leaf(1, u128::MAX)];
    assert_eq!(
        next_leaves(&full, &overflow, 1),
        Err(MerkleError::SumOverflow)
    );
    assert_eq!(next_leaves(&[], &[], 5).unwrap(), Vec::<Leaf>::new());
}

/// The contract's README publishes the same golden vectors for relayer and wallet writers: every
/// hex value above (and the leaves file) appears there verbatim.
#[test]
fn golden_vectors_are_the_readme_s() {
    let readme = include_str!("../../../contracts/mining-round/README.md");
    let mut values: Vec<&str> = GOLDEN_LEAF_HASHES.to_vec();
    values.extend([
        GOLDEN_EMPTY_HASH,
        GOLDEN_ROOT_HASH,
        GOLDEN_PROOF_1,
        GOLDEN_LEAVES_DIGEST,
        GOLDEN_ATTESTATION_HASH,
    ]);
    for value in values {
        assert!(readme.contains(value), "README lacks {value}");
    }
    assert!(readme.contains(&format!("| root sum | `{GOLDEN_ROOT_SUM}` |")));
    assert!(readme.contains(GOLDEN_LEAVES_FILE));
}

//! Merkle-mode trees as the oracles would publish them, over synthetic owners: valid addresses no
//! test account has, so the trees can hold thousands of leaves without thousands of keys.

use cosmwasm_std::HexBinary;
use cube_merkle::{leaves_digest, Leaf, LeafContext, RootAttestation, Tree};
use cube_types::mining_round::{
    AttestationMode, ConfigResponse, InstantiateMsg, OwnerClaim, UsageBuckets,
};

/// Owner `i` of the synthetic owners tagged `tag` (each scenario its own tag): a valid address
/// whose 20 bytes are i, the tag, then zeros.
pub fn synthetic_owner(prefix: &str, tag: u8, i: u32) -> String {
    let mut bytes = [0u8; 20];
    bytes[..4].copy_from_slice(&i.to_be_bytes());
    bytes[4] = tag;
    cosmrs::AccountId::new(prefix, &bytes)
        .expect("bech32")
        .to_string()
}

/// Who a round's tree holds: the signer and `count` synthetic owners tagged `tag`, owner i with
/// the cumulative entitlement `base + i`.
pub struct Owners<'a> {
    pub prefix: &'a str,
    pub tag: u8,
    pub signer: &'a str,
    pub signer_cumulative: u128,
    pub count: u32,
    pub base: u128,
}

/// One round's tree and the attestation of its root.
pub struct RoundTree {
    pub leaves: Vec<Leaf>,
    pub tree: Tree,
    pub attestation: RootAttestation,
}

impl RoundTree {
    /// The tree of `ctx.round` over `owners`, zero usage and score, sorted by owner; the input
    /// digest is `digest_fill` bytes with the round in front.
    pub fn new(
        ctx: LeafContext,
        owners: &Owners<'_>,
        policy_version: u32,
        digest_fill: u8,
    ) -> RoundTree {
        let mut leaves: Vec<Leaf> = (0..owners.count)
            .map(|i| Leaf {
                owner: synthetic_owner(owners.prefix, owners.tag, i),
                buckets: UsageBuckets::default(),
                score: 0,
                cumulative: owners.base + u128::from(i),
            })
            .collect();
        leaves.push(Leaf {
            owner: owners.signer.to_string(),
            buckets: UsageBuckets::default(),
            score: 0,
            cumulative: owners.signer_cumulative,
        });
        leaves.sort_by(|a, b| a.owner.cmp(&b.owner));
        let tree = Tree::build(&ctx, &leaves).expect("sorted, unique owners");
        let root = tree.root();
        let mut input_digest = [digest_fill; 32];
        input_digest[..8].copy_from_slice(&ctx.round.to_be_bytes());
        let attestation = RootAttestation {
            round: ctx.round,
            root: root.hash,
            total_entitlement: root.sum,
            total_score: 0,
            leaf_count: tree.leaf_count(),
            depth: tree.depth(),
            policy_version,
            leaves_digest: leaves_digest(&ctx, &leaves).expect("leaves file"),
            input_digest,
        };
        RoundTree {
            leaves,
            tree,
            attestation,
        }
    }

    /// The root's total entitlement.
    pub fn total(&self) -> u128 {
        self.attestation.total_entitlement
    }

    /// The attestation hash the contract at `contract` on `chain_id` computes.
    pub fn hash(&self, chain_id: &str, contract: &str) -> HexBinary {
        HexBinary::from(
            self.attestation
                .hash(chain_id, contract)
                .expect("attestation hash"),
        )
    }

    /// Position of `owner`'s leaf.
    pub fn position(&self, owner: &str) -> usize {
        self.leaves
            .iter()
            .position(|l| l.owner == owner)
            .unwrap_or_else(|| panic!("{owner} is not a leaf"))
    }

    /// The proof bytes of the leaf at `position`.
    pub fn proof(&self, position: usize) -> Vec<u8> {
        self.tree
            .proof(u64::try_from(position).unwrap())
            .expect("proof")
            .to_bytes()
    }

    /// The `ClaimMany` entry of the leaf at `position`, claimed against round `round`.
    pub fn claim_as_of(&self, position: usize, round: u64) -> OwnerClaim {
        OwnerClaim::new(
            round,
            u64::try_from(position).unwrap(),
            &self.leaves[position],
            &self.proof(position),
        )
    }

    /// The `ClaimMany` entry of the leaf at `position`.
    pub fn claim(&self, position: usize) -> OwnerClaim {
        self.claim_as_of(position, self.attestation.round)
    }

    /// "10,000 owners, depth 14".
    pub fn label(&self) -> String {
        format!(
            "{} owners, depth {}",
            thousands(self.attestation.leaf_count),
            self.attestation.depth
        )
    }
}

/// `n` with thousands separators.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The `InstantiateMsg` of a merkle-mode mining round beside the deployed one (`deployed`: its
/// config): the same ECT, round reward and manufacturer keys; oracles 1 and 2 with quorum 2;
/// rounds of `round_duration` seconds from `genesis`; a 1,000 s attestation window, a one-day
/// claim window and the given challenge window.
pub fn merkle_mode_msg(
    env: &crate::Env,
    deployed: &ConfigResponse,
    genesis: u64,
    round_duration: u64,
    challenge_window: u64,
) -> InstantiateMsg {
    InstantiateMsg {
        owner: None,
        reward_token: env.contract("ect"),
        round_reward: deployed.round_reward,
        genesis_time: Some(genesis),
        round_duration: Some(round_duration),
        attestation_window: Some(1_000),
        claim_window: Some(86_400),
        oracles: vec![env.addr("oracle1"), env.addr("oracle2")],
        quorum: 2,
        manufacturer_keys: deployed.manufacturer_keys.clone(),
        battery_whitelist: vec![],
        policy: None,
        rated_power: None,
        max_entries_per_batch: None,
        max_claim_rounds: None,
        guardian: None,
        attestation_mode: Some(AttestationMode::Merkle),
        challenge_window: Some(challenge_window),
        dispute_bond_bps: None,
    }
}

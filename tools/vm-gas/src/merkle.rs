//! mining-round in merkle mode: `AttestRoot` (the first oracle's vote, which stores the
//! proposal, and the vote that reaches the quorum and accepts the root) for real cumulative
//! trees of 100, 10,000 and 1,000,000 owners, and `ClaimCumulative` with the proof of the
//! 100-owner tree (depth 7) and of the 1,000,000-owner tree (depth 20).

use std::path::Path;

use chain_client::mining_round::{attest_root_msg, claim_cumulative_msg};
use cosmwasm_std::{to_json_binary, Binary, Uint128};
use cube_merkle::{leaves_digest, Leaf, LeafContext, RootAttestation, Tree};
use cube_types::mining_round::{
    AttestationMode, ConfigResponse, EntitlementsResponse, ExecuteMsg, InstantiateMsg,
    MerkleRootResponse, QueryMsg, ReceiveMsg, UsageBuckets,
};
use cw20::Cw20ReceiveMsg;
use ed25519_dalek::SigningKey;

use crate::vm::{Contract, GAS_MULTIPLIER};

const DURATION: u64 = 3_600;
const REWARD: u128 = 1_000_000_000;
/// Owners of the tree of round k (k = 0, 1, 2): `owner0` … `owner{n−1}`, each tree a superset
/// of the previous one.
const SIZES: [u64; 3] = [100, 10_000, 1_000_000];
/// The trees `owner0` claims against (each when it is the latest root).
const CLAIM_AT: [u64; 2] = [100, 1_000_000];
/// Every owner's cumulative entitlement grows by this much per round: the roots' totals
/// (10,000; 2,000,000; 300,000,000) rise by less than one round's reward each time.
const PER_ROUND: u128 = 100;

const ABOUT: &str = "In merkle mode the oracles attest one Merkle-sum root per round (the \
tree of every owner's cumulative entitlement) instead of per-owner batches. `AttestRoot` stores \
the proposal and the vote; the quorum-reaching vote also accepts the root (moves the entitlement \
increase from unlocked to locked funds) — neither reads nor writes anything per owner, so its gas \
does not depend on the number of leaves. `ClaimCumulative` hashes the sender's leaf and folds its \
proof (depth × 48 bytes, depth = ⌈log2 leaves⌉), then pays `cumulative − claimed`. The trees are \
real (`cube_merkle::Tree::build`) over owners with zero usage and growing cumulative \
entitlements; 3 oracles, quorum 2.\n";

struct MerkleRow {
    message: &'static str,
    leaves: u64,
    depth: u8,
    proof_bytes: Option<usize>,
    gas: u64,
}

pub fn run(dir: &Path) -> Result<String, String> {
    let mut c = Contract::load(dir, "mining_round.wasm")?;
    let owner = c.addr("owner");
    let token = c.addr("ect");
    let oracles: Vec<String> = (1..=3).map(|i| c.addr(&format!("oracle{i}"))).collect();
    let manufacturer = SigningKey::from_bytes(&[0xAA; 32]);
    let genesis = c.time + DURATION;
    c.instantiate(
        &owner,
        &InstantiateMsg {
            owner: None,
            reward_token: token.clone(),
            round_reward: Uint128::new(REWARD),
            genesis_time: Some(genesis),
            round_duration: Some(DURATION),
            attestation_window: None,
            claim_window: None,
            oracles: oracles.clone(),
            quorum: 2,
            manufacturer_keys: vec![Binary::from(manufacturer.verifying_key().to_bytes())],
            battery_whitelist: vec![],
            policy: None,
            rated_power: None,
            max_entries_per_batch: None,
            max_claim_rounds: None,
            guardian: None,
            attestation_mode: Some(AttestationMode::Merkle),
            // Roots final at acceptance: the figures are of the vote and of the claim, not of
            // the challenge window (finalization by `FinalizeRoot` is O(1) as well).
            challenge_window: Some(0),
            dispute_bond_bps: None,
        },
    )?;
    let config: ConfigResponse = c.query(&QueryMsg::Config {})?;
    if config.attestation_mode != AttestationMode::Merkle {
        return Err(format!(
            "instantiated in {:?} mode, not merkle",
            config.attestation_mode
        ));
    }
    let chain_id = c.env().block.chain_id;
    let contract = c.address();

    // Fund 10 rounds: far more than the three roots lock.
    c.execute(
        &token,
        &ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: c.addr("treasury"),
            amount: Uint128::new(REWARD * 10),
            msg: to_json_binary(&ReceiveMsg::Fund {}).map_err(|e| e.to_string())?,
        }),
    )?;

    let claimer = c.addr("owner0");
    let mut rows = Vec::new();
    let mut paid = 0u128;
    for (round, &n) in (0u64..).zip(SIZES.iter()) {
        // Round `round` has ended and is inside its attestation window.
        c.time = genesis + (round + 1) * DURATION + 1;
        let ctx = LeafContext {
            chain_id: chain_id.clone(),
            contract: contract.clone(),
            round,
        };
        let cumulative = PER_ROUND * u128::from(round + 1);
        let mut owners: Vec<String> = (0..n).map(|i| c.addr(&format!("owner{i}"))).collect();
        owners.sort();
        let leaves: Vec<Leaf> = owners
            .into_iter()
            .map(|owner| Leaf {
                owner,
                buckets: UsageBuckets::default(),
                score: 0,
                cumulative,
            })
            .collect();
        let tree = Tree::build(&ctx, &leaves).map_err(|e| format!("tree of {n}: {e}"))?;
        let root = tree.root();
        let attestation = RootAttestation {
            round,
            root: root.hash,
            total_entitlement: root.sum,
            total_score: 0,
            leaf_count: tree.leaf_count(),
            depth: tree.depth(),
            policy_version: config.policy_version,
            leaves_digest: leaves_digest(&ctx, &leaves).map_err(|e| e.to_string())?,
            input_digest: [0x1d; 32],
        };
        let msg = attest_root_msg(&attestation);
        let first = c.execute(&oracles[0], &msg)?;
        let pending: MerkleRootResponse = c.query(&QueryMsg::MerkleRoot { round: Some(round) })?;
        if pending.root.is_some() {
            return Err(format!("round {round}: one vote accepted the root"));
        }
        let accept = c.execute(&oracles[1], &msg)?;
        let accepted: MerkleRootResponse = c.query(&QueryMsg::MerkleRoot { round: Some(round) })?;
        match accepted.root {
            Some(view) if view.root.as_slice() == root.hash.as_slice() => {}
            other => return Err(format!("round {round}: root not accepted: {other:?}")),
        }
        rows.push(MerkleRow {
            message: "AttestRoot (first vote, stores the proposal)",
            leaves: n,
            depth: tree.depth(),
            proof_bytes: None,
            gas: first,
        });
        rows.push(MerkleRow {
            message: "AttestRoot (reaches quorum, accepts the root)",
            leaves: n,
            depth: tree.depth(),
            proof_bytes: None,
            gas: accept,
        });

        if CLAIM_AT.contains(&n) {
            let position = leaves
                .binary_search_by(|l| l.owner.as_str().cmp(claimer.as_str()))
                .map_err(|_| format!("{claimer} is not in the tree of {n}"))?;
            let leaf = leaves.get(position).ok_or("leaf index")?;
            let index = u64::try_from(position).map_err(|e| e.to_string())?;
            let proof = tree
                .proof(index)
                .map_err(|e| format!("proof of leaf {index}: {e}"))?
                .to_bytes();
            let gas = c.execute(&claimer, &claim_cumulative_msg(round, index, leaf, &proof))?;
            paid = leaf.cumulative;
            rows.push(MerkleRow {
                message: "ClaimCumulative (one leaf, its proof)",
                leaves: n,
                depth: tree.depth(),
                proof_bytes: Some(proof.len()),
                gas,
            });
        }
    }
    let e: EntitlementsResponse = c.query(&QueryMsg::Entitlements {})?;
    if e.total_paid.u128() != paid {
        return Err(format!("paid {} instead of {paid}", e.total_paid));
    }
    Ok(render(&rows))
}

fn render(rows: &[MerkleRow]) -> String {
    let mut s = String::from("\n## mining-round, merkle mode\n\n");
    s.push_str(ABOUT);
    s.push_str(
        "\n| message | leaves | depth | proof bytes | VM gas | SDK-equiv. |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let proof = r
            .proof_bytes
            .map_or_else(|| "-".to_string(), |b| b.to_string());
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.message,
            r.leaves,
            r.depth,
            proof,
            r.gas,
            r.gas / GAS_MULTIPLIER
        ));
    }
    s
}

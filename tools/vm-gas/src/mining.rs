//! mining-round: `RegisterDevice` (two ed25519 verifications), `SubmitUsage` (first vote, stores
//! the batch) and the quorum-reaching `VoteBatch` (scores every entry) at 1, 10, 100 and the
//! maximum entries, and `Claim` over 1 and 10 rounds.

use std::path::Path;

use chain_client::mining_round::{claim_msg, DeviceRegistration};
use cosmwasm_std::{to_json_binary, Binary, Uint128};
use cube_scoring::{
    batch_hash, certificate_message, possession_message, DeviceModel,
    INITIAL_REGISTRATION_CHALLENGE,
};
use cube_types::mining_round::{
    BatchId, ConfigResponse, ExecuteMsg, InstantiateMsg, ReceiveMsg, UsageBuckets, UsageEntry,
};
use cw20::Cw20ReceiveMsg;
use ed25519_dalek::{Signer, SigningKey};
use mining_round::state::MAX_ENTRIES_LIMIT;

use crate::vm::{table, Contract, Row};

const DURATION: u64 = 3_600;
const REWARD: u128 = 1_000_000_000;

/// A deterministic ed25519 key per index (the benchmark must be reproducible).
fn key(tag: u8, i: u64) -> SigningKey {
    let mut seed = [tag; 32];
    seed[..8].copy_from_slice(&i.to_be_bytes());
    SigningKey::from_bytes(&seed)
}

pub fn run(dir: &Path) -> Result<String, String> {
    let mut c = Contract::load(dir, "mining_round.wasm")?;
    let owner = c.addr("owner");
    let token = c.addr("ect");
    let oracles: Vec<String> = (1..=3).map(|i| c.addr(&format!("oracle{i}"))).collect();
    let manufacturer = key(0xAA, 0);
    // Genesis ahead: devices registered before genesis count from round 0 (a registration
    // made during round r counts from round r + 1).
    let genesis = c.time + 10 * DURATION;
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
            battery_whitelist: vec!["BAT-WL-1".into()],
            policy: None,
            rated_power: None,
            max_entries_per_batch: Some(MAX_ENTRIES_LIMIT),
            max_claim_rounds: None,
            guardian: None,
            attestation_mode: None,
            challenge_window: None,
            dispute_bond_bps: None,
        },
    )?;
    let config: ConfigResponse = c.query(&cube_types::mining_round::QueryMsg::Config {})?;
    let max = u64::from(config.max_entries_per_batch);
    let chain_id = c.env().block.chain_id;
    let contract = c.address();

    // Fund 20 rounds.
    c.execute(
        &token,
        &ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: c.addr("treasury"),
            amount: Uint128::new(REWARD * 20),
            msg: to_json_binary(&ReceiveMsg::Fund {}).map_err(|e| e.to_string())?,
        }),
    )?;

    // One CubeV1 per owner; owner i holds device i.
    let sizes = [1, 10, 100, max];
    let total_owners: u64 = sizes.iter().sum();
    let mut register_gas = Vec::new();
    let mut owners = Vec::new();
    for i in 0..total_owners {
        let holder = c.addr(&format!("holder{i}"));
        let device = key(0xD0, i);
        let pubkey = device.verifying_key().to_bytes();
        let serial = format!("CUBE-{i:08}");
        let certificate =
            manufacturer.sign(&certificate_message(&pubkey, DeviceModel::CubeV1, &serial));
        // A new device: the possession message signs the zero registration challenge.
        let possession = device.sign(&possession_message(
            &chain_id,
            &contract,
            &holder,
            &pubkey,
            &INITIAL_REGISTRATION_CHALLENGE,
        ));
        let registration = DeviceRegistration {
            owner: holder.clone(),
            pubkey,
            model: DeviceModel::CubeV1,
            serial,
            timezone: "Europe/Berlin".into(),
            battery_id: None,
            certificate: certificate.to_bytes(),
            nonce: 0,
            challenge: INITIAL_REGISTRATION_CHALLENGE,
            possession_signature: possession.to_bytes(),
        };
        let gas = c.execute(&holder, &registration.to_msg())?;
        register_gas.push(gas);
        owners.push(holder);
    }
    let mut rows = vec![Row {
        label: "RegisterDevice (first device)".into(),
        entries: 1,
        gas: register_gas[0],
    }];
    let avg = register_gas.iter().sum::<u64>() / register_gas.len() as u64;
    rows.push(Row {
        label: format!("RegisterDevice (mean of {})", register_gas.len()),
        entries: 1,
        gas: avg,
    });

    // Round 0 ends; it has four batches of the four sizes, with disjoint owners.
    c.time = genesis + 12 * DURATION + 1;
    let policy_version = config.policy_version;
    let buckets = UsageBuckets {
        wh: [[100, 200, 300], [50, 60, 70]],
    };
    let mut offset = 0usize;
    let batch_count = u32::try_from(sizes.len()).map_err(|e| e.to_string())?;
    for (index, &n) in (0u32..).zip(sizes.iter()) {
        let len = usize::try_from(n).map_err(|e| e.to_string())?;
        let mut entries: Vec<UsageEntry> = owners
            .get(offset..offset + len)
            .ok_or("fewer owners than batch entries")?
            .iter()
            .map(|o| UsageEntry {
                owner: o.clone(),
                buckets,
            })
            .collect();
        offset += len;
        entries.sort_by(|a, b| a.owner.cmp(&b.owner));
        let hash = batch_hash(0, index, batch_count, policy_version, &entries)
            .map_err(|e| e.to_string())?;
        let batch = BatchId::new(0, index, batch_count, policy_version);
        let submit = c.execute(&oracles[0], &batch.submit_usage(entries))?;
        let vote = c.execute(&oracles[1], &batch.vote(&hash))?;
        rows.push(Row {
            label: "SubmitUsage (first vote, stores the batch)".into(),
            entries: n,
            gas: submit,
        });
        rows.push(Row {
            label: "VoteBatch (hash only, reaches quorum, scores the batch)".into(),
            entries: n,
            gas: vote,
        });
    }

    // Rounds 1..=10: one entry for owners[0] each, so it can claim 1 and then 10 rounds.
    let claimer = owners[0].clone();
    for round in 1..=10u64 {
        let entries = vec![UsageEntry {
            owner: claimer.clone(),
            buckets,
        }];
        let hash = batch_hash(round, 0, 1, policy_version, &entries).map_err(|e| e.to_string())?;
        let batch = BatchId::new(round, 0, 1, policy_version);
        c.execute(&oracles[0], &batch.submit_usage(entries))?;
        c.execute(&oracles[2], &batch.vote(&hash))?;
    }
    let one = c.execute(&claimer, &claim_msg(Some(vec![0])))?;
    rows.push(Row {
        label: "Claim (n rounds)".into(),
        entries: 1,
        gas: one,
    });
    let ten = c.execute(&claimer, &claim_msg(Some((1..=10).collect())))?;
    rows.push(Row {
        label: "Claim (n rounds)".into(),
        entries: 10,
        gas: ten,
    });
    Ok(table("mining-round", &rows))
}

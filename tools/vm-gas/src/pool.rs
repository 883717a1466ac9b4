//! reward-pool: `RecordActions` at 1, 10, 100 and the maximum entries (each entry a new user),
//! the same batch with a huge `count` per entry (gas must not depend on it), a batch that
//! crosses a halving threshold, and `Claim`.

use std::path::Path;

use chain_client::reward_pool::{claim_msg, record_actions_msg};
use cosmwasm_std::{to_json_binary, Uint128};
use cube_types::reward_pool::{ActionEntry, ExecuteMsg, InstantiateMsg, ReceiveMsg, ReporterCap};
use cw20::Cw20ReceiveMsg;
use reward_pool::state::MAX_BATCH_SIZE_CAP;

use crate::vm::{table, Contract, Row};

const S: u128 = 100_000_000_000_000_000; // 100 billion TOK with 6 decimals
const R0: u128 = 100_000_000;

pub fn run(dir: &Path) -> Result<String, String> {
    let mut c = Contract::load(dir, "reward_pool.wasm")?;
    let owner = c.addr("owner");
    let token = c.addr("tok");
    let reporter = c.addr("reporter");
    c.answer_token_info()?;
    c.instantiate(
        &owner,
        &InstantiateMsg {
            token: token.clone(),
            reference_pool: Uint128::new(S),
            base_reward: Uint128::new(R0),
            halving_cooldown: 1_209_600,
            hysteresis_bps: 0,
            max_batch_size: MAX_BATCH_SIZE_CAP,
            reporters: vec![reporter.clone()],
            owner: None,
            // The batches below credit about S / 10 in one day, far beyond the default cap.
            reporter_cap: Some(ReporterCap {
                amount: Uint128::new(S),
                period: 86_400,
            }),
        },
    )?;
    let fund = |amount: u128| -> Result<ExecuteMsg, String> {
        Ok(ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: c.addr("treasury"),
            amount: Uint128::new(amount),
            msg: to_json_binary(&ReceiveMsg::Fund {}).map_err(|e| e.to_string())?,
        }))
    };
    let fund_gas = c.execute(&token, &fund(S)?)?;

    let mut rows = vec![Row {
        label: "Receive(Fund)".into(),
        entries: 1,
        gas: fund_gas,
    }];
    let mut batch_id = 0u64;
    let mut next_user = 0u64;
    let mut record = |c: &mut Contract, n: u64, count: u64| -> Result<u64, String> {
        batch_id += 1;
        let actions = (0..n)
            .map(|_| {
                next_user += 1;
                ActionEntry {
                    user: c.addr(&format!("user{next_user}")),
                    count,
                }
            })
            .collect();
        c.execute(&reporter, &record_actions_msg(batch_id, actions))
    };
    let max = u64::from(MAX_BATCH_SIZE_CAP);
    for n in [1, 10, 100, max] {
        let gas = record(&mut c, n, 1)?;
        rows.push(Row {
            label: "RecordActions (new users, count 1)".into(),
            entries: n,
            gas,
        });
    }
    for n in [1, 100] {
        let gas = record(&mut c, n, 1_000_000)?;
        rows.push(Row {
            label: "RecordActions (new users, count 1,000,000)".into(),
            entries: n,
            gas,
        });
    }
    let claim = c.execute(&c.addr("user1"), &claim_msg(None))?;
    rows.push(Row {
        label: "Claim".into(),
        entries: 1,
        gas: claim,
    });

    // A pool just above T(1): the batch crosses the threshold and halves mid-batch.
    let mut h = Contract::load(dir, "reward_pool.wasm")?;
    h.answer_token_info()?;
    h.instantiate(
        &owner,
        &InstantiateMsg {
            token: token.clone(),
            reference_pool: Uint128::new(1_000_000),
            base_reward: Uint128::new(100),
            halving_cooldown: 0,
            hysteresis_bps: 0,
            max_batch_size: MAX_BATCH_SIZE_CAP,
            reporters: vec![reporter.clone()],
            owner: None,
            reporter_cap: None,
        },
    )?;
    h.execute(
        &token,
        &ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: h.addr("treasury"),
            amount: Uint128::new(500_050),
            msg: to_json_binary(&ReceiveMsg::Fund {}).map_err(|e| e.to_string())?,
        }),
    )?;
    let heavy = ActionEntry {
        user: h.addr("heavy"),
        count: 1_000_000,
    };
    let crossing = h.execute(&reporter, &record_actions_msg(1, vec![heavy]))?;
    rows.push(Row {
        label: "RecordActions (1 entry through every halving level, cooldown 0)".into(),
        entries: 1,
        gas: crossing,
    });
    Ok(table("reward-pool", &rows))
}

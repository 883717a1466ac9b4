//! The capture the old governance handover allowed, tried step by step on the real chain
//! (`deploy/governance-localnet.toml`): the first holder to bond would have been the whole
//! group, passed its own proposals in the block it made them, and had the owner and wasm admin
//! of everything withdraw the unlocked ECT and migrate the mining round to take the locked
//! rewards too. Here the timelock refuses to schedule below the activation threshold, the
//! handover refuses to complete below it, and after the handover a lone majority's withdrawal
//! and migration wait out the delay and are vetoed by the guardian council.

// An integration-test crate: a failed expectation is what a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chain_client::governance::wasm_execute;
use cosmwasm_std::CosmosMsg;
use cube_types::mining_round::ReceiveMsg;
use cube_types::timelock::OperationStatus;
use e2e::gov::{Gov, ECT, PARAMS};
use e2e::{assert_contract_error, Env};
use upstream_contracts::Status;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_holder_cannot_capture_the_contracts_on_wasmd() {
    let started = std::time::Instant::now();
    let mut env = Env::setup_with(PARAMS, "deployment (governance capture)").await;
    let (operator, attacker) = (env.addr("operator"), env.addr("user4"));
    let round = env.contract("mining_round");
    let round_code = env.deployment.contracts["mining_round"].code_id;
    let tok_code = env.deployment.contracts["tok"].code_id;
    // Unlocked ECT in the mining round: what a captured owner would withdraw.
    env.token("ect", "operator")
        .send(&round, 500 * ECT, &ReceiveMsg::Fund {})
        .await
        .expect("fund");
    let unlocked = env
        .mining("operator")
        .funds()
        .await
        .expect("Funds")
        .unlocked;
    assert_eq!(unlocked.u128(), 500 * ECT);
    for (who, ects) in [("user4", 250u128), ("user1", 40), ("user2", 30)] {
        env.token("ect", "operator")
            .transfer(&env.addr(who), ects * ECT)
            .await
            .expect("transfer");
    }
    let withdraw = || {
        wasm_execute(
            &round,
            &chain_client::mining_round::withdraw_unlocked_msg(
                unlocked.u128(),
                Some(attacker.clone()),
            ),
        )
        .expect("withdraw message")
    };
    let migrate = || {
        CosmosMsg::Wasm(cosmwasm_std::WasmMsg::Migrate {
            contract_addr: round.clone(),
            new_code_id: tok_code,
            msg: cosmwasm_std::to_json_binary(&serde_json::json!({})).unwrap(),
        })
    };

    // 1. The lone holder bonds 1 ECT: the whole group, and its proposal passes at once ...
    {
        let g = Gov::new(&env);
        g.bond("user4", ECT).await;
        assert_eq!(g.total_weight().await, 1);
        let (p, _) = g
            .propose_timelocked("user4", "withdraw", vec![withdraw()], None)
            .await;
        assert_eq!(g.proposal(p).await.status, Status::Passed);
        // ... but the timelock schedules nothing below the activation threshold,
        let err = env.multisig("user4").execute(p).await.unwrap_err();
        assert_contract_error(
            &err,
            &timelock::ContractError::NotActive {
                total_weight: 1,
                min_total_weight: 60,
                members: 1,
                min_members: 2,
            }
            .to_string(),
        );
    }
    // ... and the handover refuses to complete: the deployer still owns both contracts.
    assert!(!env.handover(PARAMS).await.expect("handover"), "refused");
    for owner in [
        env.mining("operator").config().await.expect("Config").owner,
        env.pool("operator")
            .config()
            .await
            .expect("Config")
            .owner
            .into_string(),
    ] {
        assert_eq!(owner, operator);
    }

    // 2. Two more holders bond (71 weight over 3 holders): the handover completes.
    {
        let g = Gov::new(&env);
        g.bond("user1", 40 * ECT).await;
        g.bond("user2", 30 * ECT).await;
    }
    assert!(env.handover(PARAMS).await.expect("handover"), "complete");
    let g = Gov::new(&env);
    assert_eq!(
        env.mining("operator").config().await.expect("Config").owner,
        g.timelock
    );

    // 3. The lone holder bonds a majority (250 of 320) and passes a withdrawal and a
    //    migration on its own votes, in the blocks it proposes them.
    g.bond("user4", 249 * ECT).await;
    assert_eq!(g.total_weight().await, 320);
    let (pw, _) = g
        .propose_timelocked("user4", "withdraw the unlocked ECT", vec![withdraw()], None)
        .await;
    let (pm, _) = g
        .propose_timelocked("user4", "migrate the mining round", vec![migrate()], None)
        .await;
    let mut ops = Vec::new();
    for p in [pw, pm] {
        assert_eq!(g.proposal(p).await.status, Status::Passed);
        let (op, _) = g.schedule("user4", p).await;
        ops.push(op);
    }

    // 4. Neither executes before the timelock ...
    for &op in &ops {
        let eta = g.operation(op).await.eta;
        let err = env.timelock("user4").execute(op).await.unwrap_err();
        assert_contract_error(
            &err,
            &timelock::ContractError::NotReady { id: op, eta }.to_string(),
        );
        // ... the attacker cannot veto (or un-veto) anything, only the guardian council can,
        let err = env.timelock("user4").veto(op).await.unwrap_err();
        assert_contract_error(
            &err,
            &timelock::ContractError::Unauthorized {
                sender: cosmwasm_std::Addr::unchecked(&attacker),
                role: "vetoer".into(),
            }
            .to_string(),
        );
        // ... and the council's veto stops both.
        env.timelock("guardian").veto(op).await.expect("veto");
        assert_eq!(g.operation_status(op).await, OperationStatus::Vetoed);
    }
    // After the delay they still never execute.
    g.wait_until_ready(ops[1]).await;
    for &op in &ops {
        let err = env.timelock("user4").execute(op).await.unwrap_err();
        assert_contract_error(
            &err,
            &timelock::ContractError::Vetoed { id: op }.to_string(),
        );
        assert_eq!(g.operation_status(op).await, OperationStatus::Vetoed);
    }
    // Nothing moved: the unlocked ECT is where it was, the attacker got none of it, and the
    // mining round runs its own code.
    let funds = env.mining("operator").funds().await.expect("Funds");
    assert_eq!(funds.unlocked, unlocked);
    assert_eq!(env.cw20_balance("ect", &attacker).await, 0);
    let info: serde_json::Value = env
        .client("operator")
        .rest()
        .get(&format!("/cosmwasm/wasm/v1/contract/{round}"))
        .await
        .expect("contract info");
    assert_eq!(
        info["contract_info"]["code_id"],
        serde_json::json!(round_code.to_string())
    );
    eprintln!(
        "[e2e] capture scenario refused in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

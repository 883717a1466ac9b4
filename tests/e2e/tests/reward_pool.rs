//! The reward-pool scenario on the real chain, with real signed transactions:
//! fund → actions across T(1) → halving → a second threshold during the cooldown that halves
//! only after it → ad fee reversing both halvings → user claim; bad transactions rejected with
//! the contract's error and nothing changed; gas per message and batch size into docs/gas.md.
//!
//! Parameters (deploy/localnet.toml): S = 1,000,000, R0 = 100, cooldown 6 s, max batch 1000.
//! T(1) = 500,000, T(2) = 250,000; R(1) = 50, R(2) = 25.

// An integration-test crate: a failed expectation is what a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chain_client::client::TxOptions;
use chain_client::encode::AccountSeq;
use chain_client::reward_pool::{claim_msg, record_actions_msg, RewardPoolClient};
use chain_client::{ChainError, TxResult};
use cosmwasm_std::{to_json_binary, Addr, Uint128};
use cube_types::reward_pool::{
    ActionEntry, ExecuteMsg, RateEventKind, RateHistoryResponse, ReceiveMsg, StateResponse,
};
use e2e::gas::GasReport;
use e2e::{assert_contract_error, Env};
use reward_pool::ContractError;

const S: u128 = 1_000_000;
const R0: u128 = 100;

struct Pool<'a> {
    env: &'a Env,
    pool: String,
    tok: String,
}

impl<'a> Pool<'a> {
    /// The pool as seen by account `who` (its transactions are signed by `who`).
    fn by(&self, who: &str) -> RewardPoolClient<'_> {
        RewardPoolClient::new(self.env.client(who), &self.pool)
    }

    async fn state(&self) -> StateResponse {
        self.by("operator").state().await.expect("state query")
    }

    async fn claimable(&self, user: &str) -> u128 {
        let r = self
            .by("operator")
            .claimable(user)
            .await
            .expect("claimable query");
        assert_eq!(r.user.as_str(), user);
        r.amount.u128()
    }

    async fn history(&self) -> RateHistoryResponse {
        self.by("operator")
            .rate_history_page(None, Some(30))
            .await
            .expect("history query")
    }

    async fn last_batch(&self, reporter: &str) -> Option<u64> {
        self.by("operator")
            .last_batch(reporter)
            .await
            .expect("last batch query")
            .last_batch_id
    }

    /// CW20 `Send` of `amount` TOK from `from` to the pool with the hook message `msg`.
    async fn send_tok(
        &self,
        from: &str,
        amount: u128,
        msg: &ReceiveMsg,
    ) -> Result<TxResult, ChainError> {
        self.by(from).send(&self.tok, amount, msg).await
    }

    async fn record(
        &self,
        batch_id: u64,
        actions: Vec<(String, u64)>,
    ) -> Result<TxResult, ChainError> {
        self.by("operator")
            .record_actions(batch_id, entries(actions))
            .await
    }

    /// Everything a rejected tx must leave untouched.
    async fn snapshot(
        &self,
        users: &[String],
    ) -> (StateResponse, Vec<u128>, Vec<u128>, Option<u64>) {
        let mut claimable = Vec::new();
        let mut tok = Vec::new();
        for u in users {
            claimable.push(self.claimable(u).await);
            tok.push(self.env.cw20_balance("tok", u).await);
        }
        tok.push(self.env.cw20_balance("tok", &self.pool).await);
        (
            self.state().await,
            claimable,
            tok,
            self.last_batch(&self.env.addr("operator")).await,
        )
    }
}

fn entries(actions: Vec<(String, u64)>) -> Vec<ActionEntry> {
    actions
        .into_iter()
        .map(|(user, count)| ActionEntry { user, count })
        .collect()
}

fn attr<'t>(tx: &'t TxResult, key: &'t str) -> &'t str {
    tx.attributes("wasm", key)
        .last()
        .unwrap_or_else(|| panic!("no wasm attribute {key} in {}", tx.hash))
}

/// A syntactically valid address nobody controls, for large batches.
fn synthetic_user(i: u32) -> String {
    let mut bytes = [0u8; 20];
    bytes[..4].copy_from_slice(&i.to_be_bytes());
    bytes[4] = 0xe2;
    cosmrs::AccountId::new("wasm", &bytes)
        .expect("bech32")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reward_pool_on_wasmd() {
    let started = std::time::Instant::now();
    let env = Env::setup().await;
    let mut gas = GasReport::new("reward-pool");
    let p = Pool {
        env: &env,
        pool: env.contract("reward_pool"),
        tok: env.contract("tok"),
    };
    let operator = env.addr("operator");
    let [user1, user2, user3, user4] = ["user1", "user2", "user3", "user4"].map(|n| env.addr(n));

    // Deployed as configured.
    let config = p.by("operator").config().await.unwrap();
    assert_eq!(config.token, Addr::unchecked(&p.tok));
    assert_eq!(config.reference_pool.u128(), S);
    assert_eq!(config.base_reward.u128(), R0);
    let cooldown = config.halving_cooldown;
    assert!(
        cooldown >= 2,
        "cooldown must be a few seconds, got {cooldown}"
    );
    let operator_tok = env.cw20_balance("tok", &operator).await;

    // 1. Fund S through the CW20 Send hook.
    let tx = p
        .send_tok("operator", S, &ReceiveMsg::Fund {})
        .await
        .expect("fund");
    gas.record("Send{Fund} via TOK", "-", &tx);
    let s = p.state().await;
    assert_eq!((s.available.u128(), s.owed.u128(), s.level), (S, 0, 0));
    assert_eq!(s.current_reward.u128(), R0);
    assert_eq!(s.next_halving_threshold, Some(Uint128::new(S / 2)));
    assert_eq!(s.total_funded.u128(), S);
    assert_eq!(env.cw20_balance("tok", &p.pool).await, S);
    assert_eq!(env.cw20_balance("tok", &operator).await, operator_tok - S);

    // 2. 4,000 actions at R0 = 100: 400,000 paid, balance 600,000, still level 0.
    let tx = p
        .record(1, vec![(user1.clone(), 4_000)])
        .await
        .expect("batch 1");
    assert_eq!(attr(&tx, "action"), "record_actions");
    assert_eq!(attr(&tx, "paid"), "400000");
    let s = p.state().await;
    assert_eq!(
        (s.available.u128(), s.owed.u128(), s.level),
        (600_000, 400_000, 0)
    );
    assert_eq!(p.claimable(&user1).await, 400_000);

    // Bad transactions: each rejected by the chain with the contract's error, nothing changes.
    let watched = vec![
        user1.clone(),
        user2.clone(),
        user4.clone(),
        operator.clone(),
    ];
    let before = p.snapshot(&watched).await;
    // (a) a retried batch id, included in a block (fixed gas, no simulation) and failed there.
    let retry = record_actions_msg(1, entries(vec![(user2.clone(), 5)]));
    let err = env
        .client("operator")
        .execute_with(
            &p.pool,
            &retry,
            &[],
            &TxOptions {
                gas_limit: Some(400_000),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::TxFailed { height, .. } if height > 0),
        "expected an included failed tx: {err}"
    );
    assert_contract_error(
        &err,
        &ContractError::BatchIdNotIncreasing {
            batch_id: 1,
            last_batch_id: 1,
        }
        .to_string(),
    );
    // (b) a non-reporter reporting (rejected at simulation, never broadcast).
    let err = p
        .by("user4")
        .record_actions(9, entries(vec![(user4.clone(), 1)]))
        .await
        .unwrap_err();
    assert!(matches!(err, ChainError::Simulation { .. }), "{err}");
    assert_contract_error(
        &err,
        &ContractError::NotReporter {
            sender: Addr::unchecked(&user4),
        }
        .to_string(),
    );
    // (c) a forged CW20 Receive sent directly by a user, included and failed (a malformed
    //     message on purpose, so built by hand).
    let forged = ExecuteMsg::Receive(cw20::Cw20ReceiveMsg {
        sender: operator.clone(),
        amount: Uint128::new(1_000_000),
        msg: to_json_binary(&ReceiveMsg::Fund {}).unwrap(),
    });
    let err = env
        .client("user4")
        .execute_with(
            &p.pool,
            &forged,
            &[],
            &TxOptions {
                gas_limit: Some(400_000),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ChainError::TxFailed { .. }), "{err}");
    assert_contract_error(
        &err,
        &reward_pool::DepositError::UnauthorizedToken {
            sender: Addr::unchecked(&user4),
            expected: Addr::unchecked(&p.tok),
        }
        .to_string(),
    );
    // (d) a claim with nothing to claim.
    let err = p.by("user4").claim(None).await.unwrap_err();
    assert_contract_error(&err, &ContractError::NothingToClaim.to_string());
    // (e) a batch over the maximum size.
    let max_batch = config.max_batch_size;
    let too_big: Vec<(String, u64)> = (0..=max_batch).map(|i| (synthetic_user(i), 1)).collect();
    let err = p.record(2, too_big).await.unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::BatchTooLarge {
            size: usize::try_from(max_batch + 1).unwrap(),
            max: max_batch,
        }
        .to_string(),
    );
    // (f) native funds attached to RecordActions.
    let err = env
        .client("operator")
        .execute_with(
            &p.pool,
            &record_actions_msg(2, entries(vec![(user2.clone(), 1)])),
            &[(1, env.info.denom.as_str())],
            &TxOptions::default(),
        )
        .await
        .unwrap_err();
    assert_contract_error(&err, &ContractError::NativeFundsRejected.to_string());
    assert_eq!(
        p.snapshot(&watched).await,
        before,
        "a rejected tx changed state"
    );

    // 3. 1,500 actions: 1,001 at 100 take the balance to 499,900 < T(1) = 500,000; the next
    //    action halves (no earlier halving, so no cooldown) and the last 499 pay R(1) = 50.
    let tx = p
        .record(2, vec![(user2.clone(), 1_500)])
        .await
        .expect("batch 2");
    assert_eq!(attr(&tx, "level_after"), "1");
    let first_halving_time = tx.block_time_seconds().unwrap();
    let user2_due = 1_001 * 100 + 499 * 50;
    assert_eq!(p.claimable(&user2).await, user2_due);
    let s = p.state().await;
    assert_eq!(s.level, 1);
    assert_eq!(s.current_reward.u128(), 50);
    assert_eq!(s.available.u128(), 600_000 - user2_due);
    assert_eq!(s.next_halving_threshold, Some(Uint128::new(S / 4)));
    assert_eq!(s.reversal_threshold, Some(Uint128::new(S / 2)));
    let cooldown_end_ts = s.cooldown_end.expect("cooldown after a halving");
    let cooldown_end = cooldown_end_ts.seconds();
    assert_eq!(cooldown_end, first_halving_time + cooldown);
    // First second at which the cooldown is over whether the contract compares whole seconds
    // or nanoseconds.
    let cooldown_over_at = cooldown_end + u64::from(cooldown_end_ts.subsec_nanos() > 0);
    let h = p.history().await.events;
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0].kind.clone(), h[0].from_level, h[0].to_level),
        (RateEventKind::Halving, 0, 1)
    );
    assert_eq!(h[0].balance.u128(), 499_900);

    // 4. During the cooldown, 5,000 actions at 50 take the balance below T(2) = 250,000:
    //    no halving yet.
    let tx = p
        .record(3, vec![(user3.clone(), 5_000)])
        .await
        .expect("batch 3");
    let t3 = tx.block_time_seconds().unwrap();
    assert!(
        t3 < cooldown_end,
        "batch 3 landed at {t3}, after the cooldown end {cooldown_end}: the chain is too slow for a {cooldown}s cooldown"
    );
    let available_3 = 600_000 - user2_due - 250_000;
    let s = p.state().await;
    assert_eq!((s.level, s.available.u128()), (1, available_3));
    assert!(s.available.u128() < S / 4);
    assert!(s.cooldown_active && s.halving_pending, "{s:?}");
    assert_eq!(p.claimable(&user3).await, 250_000);

    // 5. Wait for block time to pass the cooldown end (poll blocks, no fixed sleep); the next
    //    action halves first and is paid R(2) = 25.
    env.client("operator")
        .wait_for_block_time(cooldown_over_at, std::time::Duration::from_secs(60))
        .await
        .expect("chain time passes the cooldown");
    let waited = p.state().await;
    assert!(
        !waited.cooldown_active && waited.halving_pending,
        "{waited:?}"
    );
    assert_eq!(waited.level, 1, "nothing halves without an action");
    let tx = p
        .record(4, vec![(user3.clone(), 1)])
        .await
        .expect("batch 4");
    assert_eq!(
        (
            attr(&tx, "level_before"),
            attr(&tx, "level_after"),
            attr(&tx, "paid")
        ),
        ("1", "2", "25")
    );
    let s = p.state().await;
    assert_eq!(
        (s.level, s.available.u128(), s.current_reward.u128()),
        (2, available_3 - 25, 25)
    );
    assert!(!s.halving_pending);
    assert_eq!(p.claimable(&user3).await, 250_025);
    let h = p.history().await.events;
    assert_eq!(h.len(), 2);
    assert_eq!(
        (
            h[1].kind.clone(),
            h[1].from_level,
            h[1].to_level,
            h[1].balance.u128()
        ),
        (RateEventKind::Halving, 1, 2, available_3)
    );

    // 6. An ad fee refills the pool to 600,000 >= T(1): both halvings reverse at once.
    let available_5 = available_3 - 25;
    let ad_fee = 600_000 - available_5;
    let tx = p
        .send_tok(
            "operator",
            ad_fee,
            &ReceiveMsg::AdFee {
                campaign: "e2e-campaign".into(),
            },
        )
        .await
        .expect("ad fee");
    gas.record("Send{AdFee} via TOK (2 reversals)", "-", &tx);
    let s = p.state().await;
    assert_eq!(
        (s.level, s.available.u128(), s.current_reward.u128()),
        (0, 600_000, R0)
    );
    assert_eq!(s.total_ad_fees.u128(), ad_fee);
    let h = p.history().await.events;
    assert_eq!(h.len(), 4);
    assert_eq!(
        (h[2].kind.clone(), h[2].from_level, h[2].to_level),
        (RateEventKind::Reversal, 2, 1)
    );
    assert_eq!(
        (h[3].kind.clone(), h[3].from_level, h[3].to_level),
        (RateEventKind::Reversal, 1, 0)
    );
    let owed = 400_000 + user2_due + 250_025;
    assert_eq!(s.owed.u128(), owed);
    assert_eq!(
        env.cw20_balance("tok", &p.pool).await,
        600_000 + owed,
        "owed TOK is fully backed"
    );

    // 7. user1 claims to itself; user2 claims to user4.
    let tx = p.by("user1").claim(None).await.expect("claim");
    gas.record("Claim", "-", &tx);
    assert_eq!(env.cw20_balance("tok", &user1).await, 400_000);
    assert_eq!(p.claimable(&user1).await, 0);
    p.by("user2")
        .claim(Some(user4.clone()))
        .await
        .expect("claim to recipient");
    assert_eq!(env.cw20_balance("tok", &user4).await, user2_due);
    assert_eq!(env.cw20_balance("tok", &user2).await, 0);
    let s = p.state().await;
    assert_eq!(s.owed.u128(), 250_025);
    assert_eq!(s.total_claimed.u128(), 400_000 + user2_due);
    assert_eq!(env.cw20_balance("tok", &p.pool).await, 600_000 + 250_025);

    // 8. Gas per batch size: top up so the level stays 0, then 1 / 10 / 100 / max entries of
    //    distinct (new) users.
    p.send_tok("operator", 50 * S, &ReceiveMsg::Fund {})
        .await
        .expect("top-up");
    let mut batch_id = 10;
    let mut next_user = 0u32;
    for size in [1u32, 10, 100, max_batch] {
        let entries: Vec<(String, u64)> = (next_user..next_user + size)
            .map(|i| (synthetic_user(i), 3))
            .collect();
        next_user += size;
        batch_id += 1;
        let before = p.state().await.available.u128();
        let tx = p
            .record(batch_id, entries)
            .await
            .unwrap_or_else(|e| panic!("batch of {size}: {e}"));
        gas.record("RecordActions", size, &tx);
        assert_eq!(
            p.state().await.available.u128(),
            before - u128::from(size) * 3 * R0
        );
        assert_eq!(p.claimable(&synthetic_user(next_user - 1)).await, 3 * R0);
    }
    // The gas of an entry does not grow with its count.
    batch_id += 1;
    let tx = p
        .record(batch_id, vec![(synthetic_user(0), 1_000_000)])
        .await
        .expect("large count");
    gas.record("RecordActions (count 1,000,000)", 1, &tx);

    // 9. Sequence handling of the client: a CheckTx rejection (fee below the minimum gas
    //    price) leaves the cached sequence alone; a stale cached sequence is recovered by
    //    refetching.
    let c = env.client("user3");
    p.by("user3").claim(None).await.expect("user3 claim");
    assert_eq!(env.cw20_balance("tok", &user3).await, 250_025);
    let cached = c.cached_account().await.expect("cached after a tx");
    let err = c
        .execute_with(
            &p.pool,
            &claim_msg(None),
            &[],
            &TxOptions {
                gas_limit: Some(200_000),
                fee_amount: Some(1),
                memo: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChainError::CheckTx { code: 13, .. }),
        "expected insufficient fee: {err}"
    );
    assert_eq!(
        c.cached_account().await,
        Some(cached),
        "a failed CheckTx must not advance the sequence"
    );
    c.set_cached_account(Some(AccountSeq {
        number: cached.number,
        sequence: cached.sequence + 7,
    }))
    .await;
    let tx = p
        .send_tok(
            "user3",
            25,
            &ReceiveMsg::AdFee {
                campaign: "seq".into(),
            },
        )
        .await
        .expect("recovers from a wrong sequence");
    assert_eq!(tx.sequence_retries, 1, "one refetch after the mismatch");
    assert_eq!(
        c.cached_account().await,
        Some(AccountSeq {
            number: cached.number,
            sequence: cached.sequence + 1
        })
    );
    assert_eq!(env.cw20_balance("tok", &user3).await, 250_000);

    gas.save(&env.info.chain_id);
    eprintln!(
        "[e2e] reward-pool scenario passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

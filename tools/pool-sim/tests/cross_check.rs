//! The simulator and the contract agree action for action.
//!
//! A Monte Carlo run of a small pool (hourly steps, noisy demand, ad fees, halvings held back by
//! the cooldown, reversals, running dry) is replayed step by step on the reward-pool contract in
//! cw-multi-test, over a real cw20-base TOK: every deposit through the CW20 `Send` hook, every
//! step's actions as `RecordActions` at the step's block time. After every step the contract's
//! state equals the simulator's. On sampled steps each action is its own entry for a fresh user,
//! and each user's claimable equals what the simulator pays that action when it pays the step
//! one action at a time; the simulator's closed-form step equals that sequence too. At the end
//! the contract's rate history equals the simulator's events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cosmwasm_std::{testing::MockApi, to_json_binary, Addr, Empty, Timestamp, Uint128};
use cube_types::reward_pool::{
    ActionEntry, ClaimableResponse, ExecuteMsg, InstantiateMsg, QueryMsg, RateEvent, RateEventKind,
    RateHistoryResponse, ReceiveMsg, ReporterCap, StateResponse,
};
use cw20::{Cw20Coin, Cw20ExecuteMsg};
use cw_multi_test::{App, Contract, ContractWrapper, Executor};
use pool_sim::engine::{self, DepositKind, EventKind, Pool, StepRecord, GENESIS_SECONDS};
use pool_sim::scenario::{AdFees, Demand, PoolParams, Scenario, Tok};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reward_pool::state::PoolState;

const MAX_ENTRIES: usize = 1_000;

fn pool_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        reward_pool::contract::execute,
        reward_pool::contract::instantiate,
        reward_pool::contract::query,
    ))
}

fn cw20_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        cw20_base::contract::execute,
        cw20_base::contract::instantiate,
        cw20_base::contract::query,
    ))
}

/// A pool of 1,000,000 base units paying 100 per action (A = 5,000 actions), one-day cooldown.
fn small_scenario(
    name: &str,
    demand: f64,
    fees_per_day: u64,
    margin_bps: u16,
    seed: u64,
) -> Scenario {
    Scenario {
        name: name.into(),
        pool: PoolParams {
            decimals: 0,
            reference_pool: Tok::whole(1_000_000),
            base_reward: Tok::whole(100),
            halving_cooldown: 86_400,
            hysteresis_bps: margin_bps,
            initial_funding: None,
        },
        demand: Demand {
            actions_per_day: demand,
            growth_per_year: 0.0,
            noise: 0.5,
        },
        ad_fees: AdFees {
            mean_per_day: Tok::whole(fees_per_day),
            arrivals_per_day: 6.0,
            growth_per_year: 0.0,
        },
        deposits: vec![],
        horizon_days: 12,
        step_seconds: 3_600,
        runs: 1,
        seed,
    }
}

struct Chain {
    app: App,
    api: MockApi,
    token: Addr,
    pool: Addr,
    treasury: Addr,
    reporter: Addr,
    next_batch: u64,
}

impl Chain {
    fn new(config: &reward_pool::state::Config) -> Self {
        let api = MockApi::default();
        let mut app = App::default();
        let owner = api.addr_make("owner");
        let treasury = api.addr_make("treasury");
        let reporter = api.addr_make("reporter");
        let cw20_code = app.store_code(cw20_contract());
        let pool_code = app.store_code(pool_contract());
        let token = app
            .instantiate_contract(
                cw20_code,
                owner.clone(),
                &cw20_base::msg::InstantiateMsg {
                    name: "Cube Token".into(),
                    symbol: "TOK".into(),
                    decimals: 6,
                    initial_balances: vec![Cw20Coin {
                        address: treasury.to_string(),
                        amount: Uint128::new(u128::from(u64::MAX)),
                    }],
                    mint: None,
                    marketing: None,
                },
                &[],
                "TOK",
                None,
            )
            .unwrap();
        let pool = app
            .instantiate_contract(
                pool_code,
                owner.clone(),
                &InstantiateMsg {
                    token: token.to_string(),
                    reference_pool: config.reference_pool,
                    base_reward: config.base_reward,
                    halving_cooldown: config.halving_cooldown,
                    hysteresis_bps: config.hysteresis_bps,
                    max_batch_size: u32::try_from(MAX_ENTRIES).unwrap(),
                    reporters: vec![reporter.to_string()],
                    owner: Some(owner.to_string()),
                    // Far above anything the small pool pays: the cap is not what is checked.
                    reporter_cap: Some(ReporterCap {
                        amount: Uint128::new(u128::from(u64::MAX)),
                        period: 86_400,
                    }),
                },
                &[],
                "pool",
                None,
            )
            .unwrap();
        Chain {
            app,
            api,
            token,
            pool,
            treasury,
            reporter,
            next_batch: 1,
        }
    }

    fn set_time(&mut self, seconds_from_start: u64) {
        self.app.update_block(|block| {
            block.time = Timestamp::from_seconds(GENESIS_SECONDS + seconds_from_start);
            block.height += 1;
        });
    }

    fn deposit(&mut self, kind: DepositKind, amount: u128) {
        let msg = match kind {
            DepositKind::Fund => ReceiveMsg::Fund {},
            DepositKind::AdFee => ReceiveMsg::AdFee {
                campaign: "sim".into(),
            },
        };
        self.app
            .execute_contract(
                self.treasury.clone(),
                self.token.clone(),
                &Cw20ExecuteMsg::Send {
                    contract: self.pool.to_string(),
                    amount: Uint128::new(amount),
                    msg: to_json_binary(&msg).unwrap(),
                },
                &[],
            )
            .unwrap();
    }

    fn record(&mut self, actions: Vec<ActionEntry>) {
        for batch in actions.chunks(MAX_ENTRIES) {
            let batch_id = self.next_batch;
            self.next_batch += 1;
            self.app
                .execute_contract(
                    self.reporter.clone(),
                    self.pool.clone(),
                    &ExecuteMsg::RecordActions {
                        batch_id,
                        actions: batch.to_vec(),
                    },
                    &[],
                )
                .unwrap();
        }
    }

    fn state(&self) -> StateResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.pool, &QueryMsg::State {})
            .unwrap()
    }

    fn claimable(&self, user: &Addr) -> u128 {
        let response: ClaimableResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.pool,
                &QueryMsg::Claimable {
                    user: user.to_string(),
                },
            )
            .unwrap();
        response.amount.u128()
    }

    fn rate_history(&self) -> Vec<RateEvent> {
        let mut all = Vec::new();
        loop {
            let page: RateHistoryResponse = self
                .app
                .wrap()
                .query_wasm_smart(
                    &self.pool,
                    &QueryMsg::RateHistory {
                        start_after: all.last().map(|e: &RateEvent| e.seq),
                        limit: Some(100),
                    },
                )
                .unwrap();
            if page.events.is_empty() {
                return all;
            }
            all.extend(page.events);
        }
    }
}

fn assert_same_state(step: usize, chain: &StateResponse, sim: &PoolState) {
    let found = (
        chain.available,
        chain.owed,
        chain.level,
        chain.last_halving,
        chain.total_funded,
        chain.total_ad_fees,
        chain.total_rewarded,
    );
    let expected = (
        sim.available,
        sim.owed,
        sim.level,
        sim.last_halving,
        sim.total_funded,
        sim.total_ad_fees,
        sim.total_rewarded,
    );
    assert_eq!(found, expected, "contract vs simulator after step {step}");
}

/// What was checked, so the test can also show the scenario exercised what it should.
#[derive(Default, Debug)]
struct Coverage {
    steps: usize,
    sampled_actions: usize,
    halvings: usize,
    reversals: usize,
    held_back: bool,
    unpaid_actions: usize,
}

fn cross_check(scenario: &Scenario) -> Coverage {
    let resolved = scenario.resolve().unwrap();
    let mut trace: Vec<(StepRecord, PoolState)> = Vec::new();
    let outcome = engine::run(&resolved, Some(0), false, &mut |step, pool| {
        trace.push((step.clone(), pool.state.clone()));
    })
    .unwrap();

    let mut chain = Chain::new(&resolved.config);
    chain.set_time(0);
    // The simulator's own pool, paid one action at a time on sampled steps.
    let mut single = Pool::new(resolved.config.clone());
    let mut changes = Vec::new();
    chain.deposit(DepositKind::Fund, resolved.initial_funding);
    single
        .deposit(DepositKind::Fund, resolved.initial_funding, &mut changes)
        .unwrap();
    let mut sampler = ChaCha8Rng::seed_from_u64(scenario.seed ^ 0x5a5a);
    let mut coverage = Coverage::default();
    let mut next_user = 0u64;
    for (index, (step, sim_state)) in trace.iter().enumerate() {
        chain.set_time(step.time);
        let now = Timestamp::from_seconds(GENESIS_SECONDS + step.time);
        for &(kind, amount) in &step.deposits {
            chain.deposit(kind, amount);
            single.deposit(kind, amount, &mut changes).unwrap();
        }
        // One step in four, and every step where the level changes, action by action.
        let level_before = single.state.level;
        let sampled =
            step.actions > 0 && (sampler.gen_ratio(1, 4) || sim_state.level != level_before);
        if sampled {
            let users: Vec<Addr> = (0..step.actions)
                .map(|_| {
                    next_user += 1;
                    chain.api.addr_make(&format!("user{next_user}"))
                })
                .collect();
            let mut expected = Vec::with_capacity(users.len());
            for _ in &users {
                let payment = single.act(1, now, &mut changes).unwrap();
                if !payment.unpaid.is_zero() {
                    coverage.unpaid_actions += 1;
                }
                expected.push(payment.paid.u128());
            }
            chain.record(
                users
                    .iter()
                    .map(|user| ActionEntry {
                        user: user.to_string(),
                        count: 1,
                    })
                    .collect(),
            );
            for (position, (user, paid)) in users.iter().zip(&expected).enumerate() {
                assert_eq!(
                    chain.claimable(user),
                    *paid,
                    "step {index}, action {position} of {}: contract vs simulator",
                    step.actions
                );
            }
            coverage.sampled_actions += users.len();
        } else if step.actions > 0 {
            single.act(step.actions, now, &mut changes).unwrap();
            chain.record(vec![ActionEntry {
                user: chain.api.addr_make("bulk").to_string(),
                count: step.actions,
            }]);
        }
        // The step in closed form (the run) = the step action by action = the contract.
        assert_eq!(
            &single.state, sim_state,
            "closed form vs one by one after step {index}"
        );
        assert_same_state(index, &chain.state(), sim_state);
        coverage.steps += 1;
    }

    let history = chain.rate_history();
    assert_eq!(
        history.len(),
        outcome.events.len(),
        "rate events: contract vs simulator"
    );
    for (chain_event, sim_event) in history.iter().zip(&outcome.events) {
        let kind = match chain_event.kind {
            RateEventKind::Halving => EventKind::Halving,
            RateEventKind::Reversal => EventKind::Reversal,
        };
        assert_eq!(
            (
                kind,
                chain_event.time,
                chain_event.from_level,
                chain_event.to_level,
                chain_event.balance.u128(),
                chain_event.reward.u128()
            ),
            (
                sim_event.kind,
                Timestamp::from_seconds(GENESIS_SECONDS + sim_event.time),
                sim_event.from_level,
                sim_event.to_level,
                sim_event.balance,
                sim_event.reward
            )
        );
    }
    coverage.halvings = outcome.halvings as usize;
    coverage.reversals = outcome.reversals as usize;
    // A halving held back by the cooldown: the balance was already below T(n+1) by more than
    // one reward when it came.
    coverage.held_back = outcome.events.iter().any(|e| {
        e.kind == EventKind::Halving
            && reward_pool::halving::threshold(resolved.config.reference_pool, e.to_level).u128()
                > e.balance + 2 * e.reward
    });
    coverage
}

#[test]
fn halvings_held_back_and_reversals_agree_action_for_action() {
    // Demand around λ* = 5,000 actions/day, fees refilling the pool: halvings and reversals.
    let coverage = cross_check(&small_scenario("reversals", 6_000.0, 400_000, 500, 7));
    assert!(coverage.halvings >= 2, "{coverage:?}");
    assert!(coverage.reversals >= 1, "{coverage:?}");
    assert!(
        coverage.held_back,
        "no halving was held back by the cooldown: {coverage:?}"
    );
    assert!(coverage.sampled_actions >= 5_000, "{coverage:?}");
}

#[test]
fn running_dry_agrees_action_for_action() {
    // Far above λ*, no fees: the pool runs dry and actions go unpaid.
    let coverage = cross_check(&small_scenario("dry", 20_000.0, 0, 1_000, 11));
    assert!(coverage.halvings >= 2, "{coverage:?}");
    assert!(
        coverage.unpaid_actions > 0,
        "no sampled action went unpaid: {coverage:?}"
    );
}

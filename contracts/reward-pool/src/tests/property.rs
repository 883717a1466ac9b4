//! Property test: random histories of funds, ad fees, actions, claims and time jumps, checked
//! after every step against an independent reference model that pays one action at a time.

use cosmwasm_std::Uint128;
use proptest::prelude::*;

use super::suite::{attr, contract_err, Suite, SuiteBuilder, COOLDOWN};
use crate::ContractError;

const USERS: usize = 4;

/// The reference model: the pool rule (`docs/spec.md` §1) applied to every single action in turn.
/// Written independently of `halving.rs` (no closed form, no segments).
#[derive(Debug, Default)]
struct Model {
    s: u128,
    r0: u128,
    cooldown_nanos: u64,
    bps: u128,
    available: u128,
    level: u32,
    last_halving_nanos: Option<u64>,
    claimable: [u128; USERS],
    claimed: [u128; USERS],
    funded: u128,
    ad_fees: u128,
}

impl Model {
    fn t(&self, n: u32) -> u128 {
        if n >= 128 {
            0
        } else {
            self.s >> n
        }
    }

    fn r(&self, n: u32) -> u128 {
        if n >= 128 {
            0
        } else {
            self.r0 >> n
        }
    }

    fn deposit(&mut self, amount: u128) {
        self.available += amount;
        while self.level > 0 && self.available * 10_000 >= self.t(self.level) * (10_000 + self.bps)
        {
            self.level -= 1;
        }
    }

    /// Pays `count` actions one by one; returns the shortfall.
    fn actions(&mut self, user: usize, count: u64, now_nanos: u64) -> u128 {
        let mut unpaid = 0;
        for _ in 0..count {
            let cooled = match self.last_halving_nanos {
                None => true,
                Some(last) => now_nanos >= last + self.cooldown_nanos,
            };
            if self.available < self.t(self.level + 1) && cooled && self.r(self.level + 1) >= 1 {
                self.level += 1;
                self.last_halving_nanos = Some(now_nanos);
            }
            let rate = self.r(self.level);
            let pay = rate.min(self.available);
            self.available -= pay;
            self.claimable[user] += pay;
            unpaid += rate - pay;
        }
        unpaid
    }

    /// Balance at which the current level is reversed, T(n) · (1 + margin), rounded up.
    fn reversal_target(&self) -> u128 {
        (self.t(self.level) * (10_000 + self.bps)).div_ceil(10_000)
    }

    fn owed(&self) -> u128 {
        self.claimable.iter().sum()
    }
}

#[derive(Debug, Clone)]
enum Step {
    Fund(u128),
    AdFee(u128),
    Actions(Vec<(usize, u64)>),
    Claim(usize),
    Advance(u64),
    /// An ad fee that brings the balance to the reversal threshold of the current level plus
    /// `offset` (−1, 0 or +1): boundaries are where off-by-one bugs live.
    AdFeeToReversal(i8),
}

#[derive(Debug, Clone)]
struct Params {
    s: u128,
    r0: u128,
    cooldown: u64,
    bps: u16,
}

fn params() -> impl Strategy<Value = Params> {
    (
        prop_oneof![Just(10_000u128), Just(100_000), Just(1_000_000)],
        prop_oneof![Just(1u128), Just(7), Just(100), Just(1_000)],
        prop_oneof![Just(0u64), Just(3_600), Just(COOLDOWN)],
        prop_oneof![Just(0u16), Just(500), Just(10_000)],
    )
        .prop_map(|(s, r0, cooldown, bps)| Params {
            s,
            r0: r0.min(s),
            cooldown,
            bps,
        })
}

fn step(p: &Params) -> impl Strategy<Value = Step> {
    let s = p.s;
    let cooldown = p.cooldown;
    prop_oneof![
        2 => (1..=s).prop_map(Step::Fund),
        2 => (1..=s / 4).prop_map(Step::AdFee),
        5 => prop::collection::vec((0..USERS, 1u64..=3_000), 1..=4).prop_map(Step::Actions),
        2 => (0..USERS).prop_map(Step::Claim),
        1 => (-1i8..=1).prop_map(Step::AdFeeToReversal),
        2 => prop_oneof![
            Just(1u64),
            Just(cooldown.saturating_sub(1)),
            Just(cooldown),
            0..=2 * cooldown + 2,
        ]
        .prop_map(Step::Advance),
    ]
}

fn scenario() -> impl Strategy<Value = (Params, Vec<Step>)> {
    params().prop_flat_map(|p| {
        let steps = prop::collection::vec(step(&p), 1..=40);
        (Just(p), steps)
    })
}

fn check(suite: &Suite, model: &Model, users: &[cosmwasm_std::Addr], step: usize) {
    let state = suite.state();
    assert_eq!(state.level, model.level, "level after step {step}");
    assert_eq!(
        state.available.u128(),
        model.available,
        "available after step {step}"
    );
    assert_eq!(
        state.owed.u128(),
        model.owed(),
        "owed = Σ claimable after step {step}"
    );
    assert_eq!(
        state.last_halving.map(|t| t.nanos()),
        model.last_halving_nanos,
        "last halving after step {step}"
    );
    assert_eq!(
        state.total_funded + state.total_ad_fees,
        state.available + state.owed + state.total_claimed,
        "funded + ad fees = available + owed + claimed after step {step}"
    );
    assert_eq!(state.total_funded.u128(), model.funded);
    assert_eq!(state.total_ad_fees.u128(), model.ad_fees);
    assert_eq!(
        state.total_claimed.u128(),
        model.claimed.iter().sum::<u128>()
    );
    assert_eq!(
        suite.pool_tokens(),
        model.available + model.owed(),
        "the token contract holds available + owed after step {step}"
    );
    for (i, user) in users.iter().enumerate() {
        assert_eq!(suite.claimable(user), model.claimable[i], "claimable {i}");
        assert_eq!(suite.token_balance(&suite.token, user), model.claimed[i]);
    }
}

fn run(params: Params, steps: Vec<Step>) {
    let mut suite = SuiteBuilder::new()
        .reference_pool(params.s)
        .base_reward(params.r0)
        .cooldown(params.cooldown)
        .hysteresis_bps(params.bps)
        .build();
    let users: Vec<_> = (0..USERS)
        .map(|i| suite.addr(&format!("user-{i}")))
        .collect();
    let mut model = Model {
        s: params.s,
        r0: params.r0,
        cooldown_nanos: params.cooldown * 1_000_000_000,
        bps: u128::from(params.bps),
        ..Model::default()
    };
    for (i, step) in steps.into_iter().enumerate() {
        match step {
            Step::Fund(amount) => {
                suite.fund(amount).unwrap();
                model.funded += amount;
                model.deposit(amount);
            }
            Step::AdFee(amount) => {
                suite.ad_fee(amount, "prop").unwrap();
                model.ad_fees += amount;
                model.deposit(amount);
            }
            Step::Actions(entries) => {
                let now = suite.now().nanos();
                let mut unpaid = 0;
                for (user, count) in &entries {
                    unpaid += model.actions(*user, *count, now);
                }
                let batch: Vec<_> = entries.iter().map(|(u, c)| (&users[*u], *c)).collect();
                let res = suite.record(&batch).unwrap();
                assert_eq!(attr(&res, &suite.pool, "unpaid"), unpaid.to_string());
                assert_eq!(
                    attr(&res, &suite.pool, "level_after"),
                    model.level.to_string()
                );
            }
            Step::Claim(user) => {
                let due = model.claimable[user];
                let res = suite.claim(&users[user], None);
                if due == 0 {
                    assert_eq!(
                        contract_err(res.unwrap_err()),
                        ContractError::NothingToClaim
                    );
                } else {
                    let res = res.unwrap();
                    assert_eq!(attr(&res, &suite.pool, "amount"), due.to_string());
                    model.claimable[user] = 0;
                    model.claimed[user] += due;
                }
            }
            Step::Advance(seconds) => suite.advance_time(seconds),
            Step::AdFeeToReversal(offset) => {
                let target = model
                    .reversal_target()
                    .checked_add_signed(i128::from(offset));
                if let Some(amount) = target
                    .and_then(|t| t.checked_sub(model.available))
                    .filter(|a| *a > 0 && model.level > 0)
                {
                    let before = model.level;
                    suite.ad_fee(amount, "edge").unwrap();
                    model.ad_fees += amount;
                    model.deposit(amount);
                    if offset >= 0 {
                        assert!(model.level < before, "model reverses at the threshold");
                    } else {
                        assert_eq!(model.level, before, "model holds below the threshold");
                    }
                }
            }
        }
        check(&suite, &model, &users, i);
    }
    // The cw20 total supply never changed: the pool neither mints nor burns.
    let info: cw20::TokenInfoResponse = suite
        .app
        .wrap()
        .query_wasm_smart(suite.token.clone(), &cw20::Cw20QueryMsg::TokenInfo {})
        .unwrap();
    assert_eq!(
        info.total_supply,
        Uint128::new(2 * super::suite::GENESIS_BALANCE)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn pool_matches_the_reference_model((params, steps) in scenario()) {
        run(params, steps);
    }
}

/// A fixed history that exercises every branch, so the model itself is known to move.
#[test]
fn reference_model_sees_halvings_and_reversals() {
    let params = Params {
        s: 10_000,
        r0: 100,
        cooldown: 3_600,
        bps: 0,
    };
    run(
        params,
        vec![
            Step::Fund(10_000),
            Step::Actions(vec![(0, 60)]),
            Step::Actions(vec![(1, 60), (2, 10)]),
            Step::Advance(3_600),
            Step::Actions(vec![(1, 30)]),
            Step::Claim(0),
            Step::Claim(3),
            Step::AdFee(9_000),
            Step::Actions(vec![(3, 3_000)]),
        ],
    );
}

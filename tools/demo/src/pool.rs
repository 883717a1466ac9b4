//! The reward-pool driver: the reporter records content actions every tick, so the pool drains
//! and halves (one halving per cooldown); once it reached `refill_at_level` (or would run dry)
//! an advertiser pays an ad fee that brings the balance back above the reference pool, which
//! reverses every halving at once.

use chain_client::{ChainClient, TxResult};
use cube_types::reward_pool::{ActionEntry, ReceiveMsg, StateResponse};

use crate::chain::{Contracts, View};
use crate::DemoError;

/// What the driver does each tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolPlan {
    /// Users credited with actions, with their action count per tick.
    pub users: Vec<(String, u64)>,
    /// Pay an ad fee once the level reaches this.
    pub refill_at_level: u32,
    /// The ad fee brings the available balance to this (≥ the reference pool: full reversal).
    pub refill_target: u128,
}

impl PoolPlan {
    /// Actions recorded per tick.
    pub fn actions_per_tick(&self) -> u64 {
        self.users.iter().map(|(_, c)| *c).sum()
    }
}

/// The driver's choice for one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Record the plan's actions.
    RecordActions,
    /// Pay an ad fee of this amount.
    AdFee(u128),
}

/// Decides from the pool's state: refill once the level reached the plan's level or one
/// more tick could not be paid in full, otherwise keep recording actions.
pub fn decide(state: &StateResponse, plan: &PoolPlan) -> Decision {
    let next_tick_cost = state
        .current_reward
        .u128()
        .saturating_mul(u128::from(plan.actions_per_tick()));
    let available = state.available.u128();
    if state.level >= plan.refill_at_level || available < next_tick_cost {
        Decision::AdFee(plan.refill_target.saturating_sub(available).max(1))
    } else {
        Decision::RecordActions
    }
}

/// What one tick did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolEvent {
    /// Actions recorded.
    Actions {
        /// Batch id.
        batch_id: u64,
        /// Number of actions.
        actions: u64,
        /// TOK credited (state total_rewarded after − before).
        rewarded: u128,
        /// Level before and after.
        levels: (u32, u32),
        /// Tx hash.
        tx: String,
    },
    /// Ad fee paid.
    AdFee {
        /// Campaign.
        campaign: String,
        /// TOK paid.
        amount: u128,
        /// Level before and after.
        levels: (u32, u32),
        /// Tx hash.
        tx: String,
    },
}

/// Sends TOK to the pool with a CW20 `Send` carrying `msg`.
pub async fn send_to_pool(
    client: &ChainClient,
    contracts: &Contracts,
    amount: u128,
    msg: &ReceiveMsg,
) -> Result<TxResult, DemoError> {
    let view = View { client, contracts };
    Ok(view.pool().send(&contracts.tok, amount, msg).await?)
}

/// Drives the pool with the reporter's key (the reporter also pays the ad fees here).
#[derive(Debug)]
pub struct PoolDriver<'a> {
    reporter: &'a ChainClient,
    contracts: &'a Contracts,
    plan: PoolPlan,
    next_batch: u64,
    campaigns: u32,
}

impl<'a> PoolDriver<'a> {
    /// A driver whose first batch id is `first_batch`.
    pub fn new(
        reporter: &'a ChainClient,
        contracts: &'a Contracts,
        plan: PoolPlan,
        first_batch: u64,
    ) -> Self {
        PoolDriver {
            reporter,
            contracts,
            plan,
            next_batch: first_batch,
            campaigns: 0,
        }
    }

    fn view(&self) -> View<'a> {
        View {
            client: self.reporter,
            contracts: self.contracts,
        }
    }

    /// One tick: actions or an ad fee, the state read back afterwards.
    pub async fn tick(&mut self) -> Result<PoolEvent, DemoError> {
        let view = self.view();
        let before = view.pool().state().await?;
        match decide(&before, &self.plan) {
            Decision::RecordActions => {
                let batch_id = self.next_batch;
                let actions = self
                    .plan
                    .users
                    .iter()
                    .map(|(user, count)| ActionEntry {
                        user: user.clone(),
                        count: *count,
                    })
                    .collect();
                let tx = view.pool().record_actions(batch_id, actions).await?;
                self.next_batch = self.next_batch.saturating_add(1);
                let after = view.pool().state().await?;
                Ok(PoolEvent::Actions {
                    batch_id,
                    actions: self.plan.actions_per_tick(),
                    rewarded: after
                        .total_rewarded
                        .u128()
                        .saturating_sub(before.total_rewarded.u128()),
                    levels: (before.level, after.level),
                    tx: tx.hash,
                })
            }
            Decision::AdFee(amount) => {
                self.campaigns = self.campaigns.saturating_add(1);
                let campaign = format!("demo-campaign-{}", self.campaigns);
                let tx = send_to_pool(
                    self.reporter,
                    self.contracts,
                    amount,
                    &ReceiveMsg::AdFee {
                        campaign: campaign.clone(),
                    },
                )
                .await?;
                let after = view.pool().state().await?;
                Ok(PoolEvent::AdFee {
                    campaign,
                    amount,
                    levels: (before.level, after.level),
                    tx: tx.hash,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Uint128;

    fn state(available: u128, level: u32, reward: u128) -> StateResponse {
        StateResponse {
            available: Uint128::new(available),
            owed: Uint128::zero(),
            level,
            current_reward: Uint128::new(reward),
            next_halving_threshold: None,
            reversal_threshold: None,
            last_halving: None,
            cooldown_end: None,
            cooldown_active: false,
            halving_pending: false,
            total_funded: Uint128::zero(),
            total_ad_fees: Uint128::zero(),
            total_rewarded: Uint128::zero(),
            total_claimed: Uint128::zero(),
            total_reconciled: Uint128::zero(),
        }
    }

    #[test]
    fn drains_until_the_refill_level_then_pays_a_full_reversal() {
        let plan = PoolPlan {
            users: vec![("a".into(), 60), ("b".into(), 40)],
            refill_at_level: 2,
            refill_target: 1_100_000,
        };
        assert_eq!(plan.actions_per_tick(), 100);
        assert_eq!(
            decide(&state(900_000, 0, 1_000), &plan),
            Decision::RecordActions
        );
        assert_eq!(
            decide(&state(400_000, 1, 500), &plan),
            Decision::RecordActions
        );
        assert_eq!(
            decide(&state(240_000, 2, 250), &plan),
            Decision::AdFee(860_000)
        );
        // A tick that could not be paid in full refills first, whatever the level.
        assert_eq!(
            decide(&state(99_999, 0, 1_000), &plan),
            Decision::AdFee(1_000_001)
        );
        // Never a zero-amount send.
        assert_eq!(decide(&state(2_000_000, 3, 125), &plan), Decision::AdFee(1));
    }
}

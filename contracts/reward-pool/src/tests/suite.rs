//! `Suite` / `SuiteBuilder`: a cw-multi-test app with a real cw20-base TOK and the pool.

use cosmwasm_std::{coins, testing::MockApi, to_json_binary, Addr, Empty, Timestamp, Uint128};
use cube_types::reward_pool::{
    ActionEntry, ClaimableResponse, ConfigResponse, ExecuteMsg, InstantiateMsg, LastBatchResponse,
    QueryMsg, RateEvent, RateHistoryResponse, ReceiveMsg, ReporterAllowanceResponse, ReporterCap,
    ReporterInfo, ReportersResponse, StateResponse,
};
use cw20::{BalanceResponse, Cw20Coin, Cw20ExecuteMsg, Cw20QueryMsg};
use cw_multi_test::{App, AppBuilder, AppResponse, Contract, ContractWrapper, Executor};

use crate::ContractError;

/// Scaled-down pool of the acceptance tests: S = 1,000,000 base units, R0 = 100, 14 days.
pub const S: u128 = 1_000_000;
pub const R0: u128 = 100;
pub const DAY: u64 = 86_400;
pub const COOLDOWN: u64 = 14 * DAY;
/// TOK held by the treasury and the advertiser at genesis.
pub const GENESIS_BALANCE: u128 = 1_000_000_000_000_000;
/// Native coins given to `rich` for the native-funds test.
pub const NATIVE_DENOM: &str = "ucube";

pub fn pool_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            crate::contract::execute,
            crate::contract::instantiate,
            crate::contract::query,
        )
        .with_migrate(crate::contract::migrate),
    )
}

pub fn cw20_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        cw20_base::contract::execute,
        cw20_base::contract::instantiate,
        cw20_base::contract::query,
    ))
}

/// The pool's `ContractError` inside an error returned by the app, however deeply the call
/// was nested (a CW20 `Send` wraps the pool's error in the token's).
pub fn contract_err(err: anyhow::Error) -> ContractError {
    match err.downcast::<ContractError>() {
        Ok(found) => found,
        Err(other) => panic!("not a reward-pool ContractError: {other:?}"),
    }
}

/// Builds a [`Suite`] with the acceptance parameters unless told otherwise.
pub struct SuiteBuilder {
    pub reference_pool: u128,
    pub base_reward: u128,
    pub halving_cooldown: u64,
    pub hysteresis_bps: u16,
    pub max_batch_size: u32,
    pub reporters: Vec<&'static str>,
    pub initial_fund: u128,
    /// `None`: the instantiate message leaves the cap out (the contract's default).
    pub reporter_cap: Option<ReporterCap>,
}

impl Default for SuiteBuilder {
    fn default() -> Self {
        Self {
            reference_pool: S,
            base_reward: R0,
            halving_cooldown: COOLDOWN,
            hysteresis_bps: 0,
            max_batch_size: 100,
            reporters: vec!["reporter"],
            initial_fund: 0,
            reporter_cap: None,
        }
    }
}

impl SuiteBuilder {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn reference_pool(mut self, s: u128) -> Self {
        self.reference_pool = s;
        self
    }
    pub fn base_reward(mut self, r0: u128) -> Self {
        self.base_reward = r0;
        self
    }
    pub fn cooldown(mut self, seconds: u64) -> Self {
        self.halving_cooldown = seconds;
        self
    }
    pub fn hysteresis_bps(mut self, bps: u16) -> Self {
        self.hysteresis_bps = bps;
        self
    }
    pub fn max_batch_size(mut self, size: u32) -> Self {
        self.max_batch_size = size;
        self
    }
    pub fn reporters(mut self, names: &[&'static str]) -> Self {
        self.reporters = names.to_vec();
        self
    }
    /// Caps each reporter at `amount` per `period` seconds.
    pub fn reporter_cap(mut self, amount: u128, period: u64) -> Self {
        self.reporter_cap = Some(ReporterCap {
            amount: Uint128::new(amount),
            period,
        });
        self
    }
    /// Funds the pool from the treasury right after instantiation.
    pub fn funded(mut self, amount: u128) -> Self {
        self.initial_fund = amount;
        self
    }

    /// The instantiate message this builder would send (addresses resolved by `api`).
    pub fn instantiate_msg(&self, api: &MockApi, token: &Addr) -> InstantiateMsg {
        InstantiateMsg {
            token: token.to_string(),
            reference_pool: Uint128::new(self.reference_pool),
            base_reward: Uint128::new(self.base_reward),
            halving_cooldown: self.halving_cooldown,
            hysteresis_bps: self.hysteresis_bps,
            max_batch_size: self.max_batch_size,
            reporters: self
                .reporters
                .iter()
                .map(|name| api.addr_make(name).to_string())
                .collect(),
            owner: Some(api.addr_make("owner").to_string()),
            reporter_cap: self.reporter_cap,
        }
    }

    /// App with both tokens and the code of the pool stored, but no pool yet.
    pub fn build_without_pool(&self) -> Suite {
        let api = MockApi::default();
        let rich = api.addr_make("rich");
        let mut app = AppBuilder::new().build(|router, _api, storage| {
            router
                .bank
                .init_balance(storage, &rich, coins(1_000_000, NATIVE_DENOM))
                .expect("bank genesis");
        });
        let owner = api.addr_make("owner");
        let treasury = api.addr_make("treasury");
        let advertiser = api.addr_make("advertiser");
        let reporter = api.addr_make(self.reporters.first().copied().unwrap_or("reporter"));
        let cw20_code = app.store_code(cw20_contract());
        let pool_code = app.store_code(pool_contract());
        let instantiate_token = |app: &mut App, name: &str, symbol: &str| {
            app.instantiate_contract(
                cw20_code,
                owner.clone(),
                &cw20_base::msg::InstantiateMsg {
                    name: name.to_string(),
                    symbol: symbol.to_string(),
                    decimals: 6,
                    initial_balances: vec![
                        Cw20Coin {
                            address: treasury.to_string(),
                            amount: Uint128::new(GENESIS_BALANCE),
                        },
                        Cw20Coin {
                            address: advertiser.to_string(),
                            amount: Uint128::new(GENESIS_BALANCE),
                        },
                    ],
                    mint: None,
                    marketing: None,
                },
                &[],
                symbol,
                None,
            )
            .expect("cw20 instantiates")
        };
        let token = instantiate_token(&mut app, "Cube Token", "TOK");
        let other_token = instantiate_token(&mut app, "Other Token", "OTH");
        Suite {
            app,
            owner,
            treasury,
            advertiser,
            reporter,
            rich,
            token,
            other_token,
            pool: Addr::unchecked(""),
            pool_code,
            next_batch: 1,
        }
    }

    pub fn build(self) -> Suite {
        let mut suite = self.build_without_pool();
        let msg = self.instantiate_msg(suite.app.api(), &suite.token);
        suite.pool = suite
            .app
            .instantiate_contract(
                suite.pool_code,
                suite.owner.clone(),
                &msg,
                &[],
                "reward-pool",
                Some(suite.owner.to_string()),
            )
            .expect("pool instantiates");
        if self.initial_fund > 0 {
            suite.fund(self.initial_fund).expect("initial fund");
        }
        suite
    }
}

/// Everything observable about the pool, to prove a rejected message changed nothing.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub config: ConfigResponse,
    pub state: StateResponse,
    pub reporters: Vec<ReporterInfo>,
    pub history: Vec<RateEvent>,
    pub pool_tokens: u128,
    pub claimable: Vec<u128>,
    /// The default reporter's allowance.
    pub allowance: ReporterAllowanceResponse,
}

pub struct Suite {
    pub app: App,
    pub owner: Addr,
    pub treasury: Addr,
    pub advertiser: Addr,
    pub reporter: Addr,
    /// Holds native coins.
    pub rich: Addr,
    pub token: Addr,
    /// A second, unrelated CW20.
    pub other_token: Addr,
    pub pool: Addr,
    pub pool_code: u64,
    pub next_batch: u64,
}

pub type Res = anyhow::Result<AppResponse>;

impl Suite {
    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn now(&self) -> Timestamp {
        self.app.block_info().time
    }

    pub fn advance_time(&mut self, seconds: u64) {
        self.app.update_block(|block| {
            block.time = block.time.plus_seconds(seconds);
            block.height += 1;
        });
    }

    /// Moves the block time to exactly `time`.
    pub fn set_time(&mut self, time: Timestamp) {
        self.app.update_block(|block| {
            block.time = time;
            block.height += 1;
        });
    }

    // ---- deposits ----

    fn send(&mut self, token: &Addr, from: &Addr, amount: u128, msg: &ReceiveMsg) -> Res {
        let send = Cw20ExecuteMsg::Send {
            contract: self.pool.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(msg).expect("serializable"),
        };
        self.app
            .execute_contract(from.clone(), token.clone(), &send, &[])
    }

    /// Treasury top-up through the TOK `Send` hook.
    pub fn fund(&mut self, amount: u128) -> Res {
        let (token, treasury) = (self.token.clone(), self.treasury.clone());
        self.send(&token, &treasury, amount, &ReceiveMsg::Fund {})
    }

    /// Ad fee through the TOK `Send` hook.
    pub fn ad_fee(&mut self, amount: u128, campaign: &str) -> Res {
        let (token, advertiser) = (self.token.clone(), self.advertiser.clone());
        self.send(
            &token,
            &advertiser,
            amount,
            &ReceiveMsg::AdFee {
                campaign: campaign.to_string(),
            },
        )
    }

    /// A `Send` from any token (used with the second CW20).
    pub fn send_from(&mut self, token: &Addr, from: &Addr, amount: u128, msg: &ReceiveMsg) -> Res {
        self.send(token, from, amount, msg)
    }

    /// Plain CW20 `Transfer` into the pool (not counted until `Reconcile`).
    pub fn transfer_to_pool(&mut self, amount: u128) -> Res {
        let msg = Cw20ExecuteMsg::Transfer {
            recipient: self.pool.to_string(),
            amount: Uint128::new(amount),
        };
        self.app
            .execute_contract(self.treasury.clone(), self.token.clone(), &msg, &[])
    }

    // ---- pool messages ----

    pub fn execute(&mut self, sender: &Addr, msg: &ExecuteMsg) -> Res {
        self.app
            .execute_contract(sender.clone(), self.pool.clone(), msg, &[])
    }

    /// Records one batch from the default reporter with the next batch id.
    pub fn record(&mut self, entries: &[(&Addr, u64)]) -> Res {
        let batch_id = self.next_batch;
        let reporter = self.reporter.clone();
        let res = self.record_as(&reporter, batch_id, entries)?;
        self.next_batch += 1;
        Ok(res)
    }

    pub fn record_as(&mut self, reporter: &Addr, batch_id: u64, entries: &[(&Addr, u64)]) -> Res {
        let actions = entries
            .iter()
            .map(|(user, count)| ActionEntry {
                user: user.to_string(),
                count: *count,
            })
            .collect();
        self.execute(reporter, &ExecuteMsg::RecordActions { batch_id, actions })
    }

    pub fn claim(&mut self, user: &Addr, recipient: Option<&Addr>) -> Res {
        self.execute(
            user,
            &ExecuteMsg::Claim {
                recipient: recipient.map(|r| r.to_string()),
            },
        )
    }

    // ---- queries ----

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(self.pool.clone(), msg)
            .expect("query succeeds")
    }

    pub fn state(&self) -> StateResponse {
        self.query(&QueryMsg::State {})
    }

    pub fn config(&self) -> ConfigResponse {
        self.query(&QueryMsg::Config {})
    }

    pub fn claimable(&self, user: &Addr) -> u128 {
        let res: ClaimableResponse = self.query(&QueryMsg::Claimable {
            user: user.to_string(),
        });
        assert_eq!(res.user, *user);
        res.amount.u128()
    }

    pub fn history(&self, start_after: Option<u64>, limit: Option<u32>) -> Vec<RateEvent> {
        let res: RateHistoryResponse = self.query(&QueryMsg::RateHistory { start_after, limit });
        res.events
    }

    pub fn reporters(&self, start_after: Option<String>, limit: Option<u32>) -> Vec<ReporterInfo> {
        let res: ReportersResponse = self.query(&QueryMsg::Reporters { start_after, limit });
        res.reporters
    }

    pub fn last_batch(&self, reporter: &Addr) -> Option<u64> {
        let res: LastBatchResponse = self.query(&QueryMsg::LastBatch {
            reporter: reporter.to_string(),
        });
        res.last_batch_id
    }

    pub fn allowance(&self, reporter: &Addr) -> ReporterAllowanceResponse {
        let res: ReporterAllowanceResponse = self.query(&QueryMsg::ReporterAllowance {
            reporter: reporter.to_string(),
        });
        assert_eq!(res.reporter, *reporter);
        res
    }

    pub fn token_balance(&self, token: &Addr, holder: &Addr) -> u128 {
        let res: BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                token.clone(),
                &Cw20QueryMsg::Balance {
                    address: holder.to_string(),
                },
            )
            .expect("balance query");
        res.balance.u128()
    }

    /// TOK held by the pool, read from the token contract.
    pub fn pool_tokens(&self) -> u128 {
        self.token_balance(&self.token, &self.pool)
    }

    pub fn snapshot(&self, users: &[&Addr]) -> Snapshot {
        Snapshot {
            config: self.config(),
            state: self.state(),
            reporters: self.reporters(None, Some(30)),
            history: self.history(None, Some(30)),
            pool_tokens: self.pool_tokens(),
            claimable: users.iter().map(|user| self.claimable(user)).collect(),
            allowance: self.allowance(&self.reporter),
        }
    }

    // ---- assertions ----

    /// Checks available, owed and level, and the accounting identities.
    pub fn assert_state(&self, available: u128, owed: u128, level: u32) {
        let state = self.state();
        assert_eq!(state.available.u128(), available, "available");
        assert_eq!(state.owed.u128(), owed, "owed");
        assert_eq!(state.level, level, "level");
        self.assert_invariants();
    }

    /// funded + ad fees = available + owed + claimed, and the token contract holds
    /// available + owed (plus anything transferred without the hook).
    pub fn assert_invariants(&self) {
        let state = self.state();
        assert_eq!(
            state.total_funded + state.total_ad_fees,
            state.available + state.owed + state.total_claimed,
            "conservation"
        );
        assert!(self.pool_tokens() >= (state.available + state.owed).u128());
    }

    pub fn assert_claimable(&self, user: &Addr, amount: u128) {
        assert_eq!(self.claimable(user), amount, "claimable of {user}");
    }
}

/// The value of attribute `key` in the pool's `wasm` event of `res`.
pub fn attr(res: &AppResponse, pool: &Addr, key: &str) -> String {
    res.events
        .iter()
        .filter(|event| event.ty == "wasm")
        .filter(|event| {
            event
                .attributes
                .iter()
                .any(|a| a.key == "_contract_address" && a.value == pool.as_str())
        })
        .flat_map(|event| event.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
        .unwrap_or_else(|| panic!("no attribute {key} in {:?}", res.events))
}

/// The custom events of `res` of one type (`wasm-halving`, `wasm-reversal`).
pub fn custom_events(res: &AppResponse, ty: &str) -> Vec<cosmwasm_std::Event> {
    let full = format!("wasm-{ty}");
    res.events
        .iter()
        .filter(|event| event.ty == full)
        .cloned()
        .collect()
}

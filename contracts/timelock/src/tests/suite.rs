//! `Suite` / `SuiteBuilder`: a cw-multi-test app with ECT, the cw4-stake group, TOK and the
//! timelock.

use cosmwasm_std::{
    coins, testing::MockApi, to_json_binary, Addr, CosmosMsg, Empty, Timestamp, Uint128, WasmMsg,
};
use cube_types::timelock::{
    Activation, ActivationResponse, ConfigResponse, ExecuteMsg, InstantiateMsg, OperationResponse,
    OperationsResponse, QueryMsg,
};
use cw20::{BalanceResponse, Cw20Coin, Cw20ExecuteMsg, Cw20QueryMsg, Denom};
use cw_multi_test::{App, AppBuilder, AppResponse, Contract, ContractWrapper, Executor};

use crate::ContractError;

/// The timelock of the tests: one hour of delay, one day of grace.
pub const DELAY: u64 = 3_600;
pub const GRACE: u64 = 86_400;
/// Activation: 100 of weight over 2 members.
pub const MIN_WEIGHT: u64 = 100;
pub const MIN_MEMBERS: u32 = 2;
/// ECT base units per unit of weight (and the default minimum bond).
pub const TOKENS_PER_WEIGHT: u128 = 1_000;
/// ECT of each holder at genesis.
pub const HOLDER_ECT: u128 = 1_000_000_000;
/// TOK the timelock holds after the suite is built.
pub const TIMELOCK_TOK: u128 = 1_000_000;
/// Native coins of the proposer and of `rich`, for the native-funds tests.
pub const NATIVE_DENOM: &str = "ucube";
pub const NATIVE_BALANCE: u128 = 1_000_000;

pub fn timelock_contract() -> Box<dyn Contract<Empty>> {
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

pub fn stake_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        cw4_stake::contract::execute,
        cw4_stake::contract::instantiate,
        cw4_stake::contract::query,
    ))
}

pub fn reward_pool_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        reward_pool::contract::execute,
        reward_pool::contract::instantiate,
        reward_pool::contract::query,
    ))
}

/// The timelock's `ContractError` inside an error returned by the app, however deeply the call
/// was nested (an operation's message to the timelock itself is one level down).
pub fn contract_err(err: anyhow::Error) -> ContractError {
    match err.downcast::<ContractError>() {
        Ok(found) => found,
        Err(other) => panic!("not a timelock ContractError: {other:?}"),
    }
}

pub fn unauthorized(sender: &Addr, role: &str) -> ContractError {
    ContractError::Unauthorized {
        sender: sender.clone(),
        role: role.to_string(),
    }
}

/// Builds a [`Suite`] with the parameters above unless told otherwise.
pub struct SuiteBuilder {
    pub tokens_per_weight: u128,
    pub min_bond: u128,
    pub min_delay: u64,
    pub grace_period: u64,
    pub activation: Activation,
    pub add_hook: bool,
}

impl Default for SuiteBuilder {
    fn default() -> Self {
        Self {
            tokens_per_weight: TOKENS_PER_WEIGHT,
            min_bond: TOKENS_PER_WEIGHT,
            min_delay: DELAY,
            grace_period: GRACE,
            activation: Activation {
                min_total_weight: MIN_WEIGHT,
                min_members: MIN_MEMBERS,
            },
            add_hook: true,
        }
    }
}

impl SuiteBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A bond below `min_bond` gives no membership; between `min_bond` and `tokens_per_weight`
    /// it gives a membership of weight 0.
    pub fn min_bond(mut self, min_bond: u128) -> Self {
        self.min_bond = min_bond;
        self
    }

    /// Leaves the timelock out of the group's hooks (add it later with `Suite::add_hook`).
    pub fn without_hook(mut self) -> Self {
        self.add_hook = false;
        self
    }

    /// The instantiate message this builder would send for `suite`.
    pub fn instantiate_msg(&self, suite: &Suite) -> InstantiateMsg {
        InstantiateMsg {
            proposer: suite.proposer.to_string(),
            vetoer: Some(suite.guardian.to_string()),
            group: suite.stake.to_string(),
            min_delay: self.min_delay,
            grace_period: self.grace_period,
            activation: self.activation.clone(),
        }
    }

    /// App with ECT, the group and TOK, and the timelock's code stored, but no timelock yet.
    pub fn build_without_timelock(&self) -> Suite {
        let api = MockApi::default();
        let proposer = api.addr_make("proposer");
        let rich = api.addr_make("rich");
        let mut app = AppBuilder::new().build(|router, _api, storage| {
            for account in [&proposer, &rich] {
                router
                    .bank
                    .init_balance(storage, account, coins(NATIVE_BALANCE, NATIVE_DENOM))
                    .expect("bank genesis");
            }
        });
        let admin = api.addr_make("admin");
        let guardian = api.addr_make("guardian");
        let treasury = api.addr_make("treasury");
        let [alice, bob, carol, dave] = ["alice", "bob", "carol", "dave"].map(|n| api.addr_make(n));

        let cw20_code = app.store_code(cw20_contract());
        let stake_code = app.store_code(stake_contract());
        let timelock_code = app.store_code(timelock_contract());

        let token = |app: &mut App, name: &str, symbol: &str, holders: &[&Addr], amount: u128| {
            app.instantiate_contract(
                cw20_code,
                admin.clone(),
                &cw20_base::msg::InstantiateMsg {
                    name: name.to_string(),
                    symbol: symbol.to_string(),
                    decimals: 6,
                    initial_balances: holders
                        .iter()
                        .map(|holder| Cw20Coin {
                            address: holder.to_string(),
                            amount: Uint128::new(amount),
                        })
                        .collect(),
                    mint: None,
                    marketing: None,
                },
                &[],
                symbol,
                None,
            )
            .expect("cw20 instantiates")
        };
        let ect = token(
            &mut app,
            "Energy Cube Token",
            "ECT",
            &[&alice, &bob, &carol, &dave],
            HOLDER_ECT,
        );
        let tok = token(
            &mut app,
            "Cube Token",
            "TOK",
            &[&treasury],
            10 * TIMELOCK_TOK,
        );

        let stake = app
            .instantiate_contract(
                stake_code,
                admin.clone(),
                &cw4_stake::msg::InstantiateMsg {
                    denom: Denom::Cw20(ect.clone()),
                    tokens_per_weight: Uint128::new(self.tokens_per_weight),
                    min_bond: Uint128::new(self.min_bond),
                    unbonding_period: cw_utils::Duration::Time(10),
                    admin: Some(admin.to_string()),
                },
                &[],
                "ect-stake",
                None,
            )
            .expect("cw4-stake instantiates");

        Suite {
            app,
            admin,
            proposer,
            guardian,
            rich,
            treasury,
            alice,
            bob,
            carol,
            dave,
            ect,
            tok,
            stake,
            timelock: Addr::unchecked(""),
            timelock_code,
        }
    }

    /// The full suite: the timelock instantiated over the empty group, added as its hook, and
    /// holding `TIMELOCK_TOK` TOK. Nobody has bonded: the group is not active yet.
    pub fn build(self) -> Suite {
        let mut suite = self.build_without_timelock();
        let msg = self.instantiate_msg(&suite);
        suite.timelock = suite
            .instantiate_timelock(&msg)
            .expect("timelock instantiates");
        if self.add_hook {
            suite.add_hook().expect("hook added");
        }
        let (treasury, tok) = (suite.treasury.clone(), suite.tok.clone());
        suite
            .app
            .execute_contract(
                treasury,
                tok,
                &Cw20ExecuteMsg::Transfer {
                    recipient: suite.timelock.to_string(),
                    amount: Uint128::new(TIMELOCK_TOK),
                },
                &[],
            )
            .expect("timelock funded");
        suite
    }
}

pub struct Suite {
    pub app: App,
    /// Instantiates the tokens and is the group's admin (adds the hook).
    pub admin: Addr,
    /// Stands in for the holders' multisig.
    pub proposer: Addr,
    /// The vetoer.
    pub guardian: Addr,
    /// Holds native coins.
    pub rich: Addr,
    /// Holds the TOK not given to the timelock.
    pub treasury: Addr,
    /// ECT holders.
    pub alice: Addr,
    pub bob: Addr,
    pub carol: Addr,
    pub dave: Addr,
    pub ect: Addr,
    pub tok: Addr,
    /// The cw4-stake group over ECT.
    pub stake: Addr,
    pub timelock: Addr,
    pub timelock_code: u64,
}

pub type Res = anyhow::Result<AppResponse>;

impl Suite {
    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn holders(&self) -> [Addr; 4] {
        [
            self.alice.clone(),
            self.bob.clone(),
            self.carol.clone(),
            self.dave.clone(),
        ]
    }

    // ---- time ----

    pub fn now(&self) -> Timestamp {
        self.app.block_info().time
    }

    pub fn advance(&mut self, seconds: u64) {
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

    // ---- the group ----

    pub fn instantiate_timelock(&mut self, msg: &InstantiateMsg) -> anyhow::Result<Addr> {
        self.app.instantiate_contract(
            self.timelock_code,
            self.admin.clone(),
            msg,
            &[],
            "timelock",
            Some(self.admin.to_string()),
        )
    }

    pub fn add_hook(&mut self) -> Res {
        self.app.execute_contract(
            self.admin.clone(),
            self.stake.clone(),
            &cw4_stake::msg::ExecuteMsg::AddHook {
                addr: self.timelock.to_string(),
            },
            &[],
        )
    }

    /// Bonds `amount` ECT of `holder` through the ECT `Send` hook.
    pub fn bond(&mut self, holder: &Addr, amount: u128) -> Res {
        let send = Cw20ExecuteMsg::Send {
            contract: self.stake.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(&cw4_stake::msg::ReceiveMsg::Bond {}).unwrap(),
        };
        self.app
            .execute_contract(holder.clone(), self.ect.clone(), &send, &[])
    }

    pub fn unbond(&mut self, holder: &Addr, amount: u128) -> Res {
        self.app.execute_contract(
            holder.clone(),
            self.stake.clone(),
            &cw4_stake::msg::ExecuteMsg::Unbond {
                tokens: Uint128::new(amount),
            },
            &[],
        )
    }

    /// Alice bonds 200 of weight and bob 100: 300 over 2 members, active.
    pub fn activate(&mut self) {
        let (alice, bob) = (self.alice.clone(), self.bob.clone());
        self.bond(&alice, 200 * TOKENS_PER_WEIGHT).unwrap();
        self.bond(&bob, 100 * TOKENS_PER_WEIGHT).unwrap();
        let gate = self.is_active();
        assert!(gate.active, "{gate:?}");
    }

    /// The group's weight of `holder` (None: not a member).
    pub fn weight(&self, holder: &Addr) -> Option<u64> {
        let res: cw4::MemberResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                self.stake.clone(),
                &cw4_stake::msg::QueryMsg::Member {
                    addr: holder.to_string(),
                    at_height: None,
                },
            )
            .unwrap();
        res.weight
    }

    /// ECT bonded by `holder`.
    pub fn staked(&self, holder: &Addr) -> u128 {
        let res: cw4_stake::msg::StakedResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                self.stake.clone(),
                &cw4_stake::msg::QueryMsg::Staked {
                    address: holder.to_string(),
                },
            )
            .unwrap();
        res.stake.u128()
    }

    pub fn total_weight(&self) -> u64 {
        let res: cw4::TotalWeightResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                self.stake.clone(),
                &cw4_stake::msg::QueryMsg::TotalWeight {},
            )
            .unwrap();
        res.weight
    }

    // ---- timelock messages ----

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> Res {
        self.app
            .execute_contract(sender.clone(), self.timelock.clone(), msg, &[])
    }

    pub fn schedule(&mut self, sender: &Addr, msgs: Vec<CosmosMsg>, description: &str) -> Res {
        self.exec(
            sender,
            &ExecuteMsg::Schedule {
                msgs,
                description: description.to_string(),
            },
        )
    }

    /// Schedules `msgs` from the proposer and answers the new operation's id.
    pub fn schedule_ok(&mut self, msgs: Vec<CosmosMsg>) -> u64 {
        let proposer = self.proposer.clone();
        let res = self.schedule(&proposer, msgs, "test operation").unwrap();
        attr(&res, &self.timelock, "operation_id").parse().unwrap()
    }

    /// `Execute { id }` sent by a third party (anyone may).
    pub fn execute_op(&mut self, id: u64) -> Res {
        let keeper = self.addr("keeper");
        self.exec(&keeper, &ExecuteMsg::Execute { id })
    }

    pub fn veto(&mut self, sender: &Addr, id: u64) -> Res {
        self.exec(sender, &ExecuteMsg::Veto { id })
    }

    /// Schedules `msgs`, waits the delay in force and executes them: what governance does.
    pub fn run(&mut self, msgs: Vec<CosmosMsg>) -> u64 {
        let id = self.schedule_ok(msgs);
        let delay = self.config().min_delay;
        self.advance(delay);
        self.execute_op(id).unwrap();
        id
    }

    // ---- operation messages ----

    /// A TOK transfer from the timelock.
    pub fn transfer(&self, recipient: &Addr, amount: u128) -> CosmosMsg {
        WasmMsg::Execute {
            contract_addr: self.tok.to_string(),
            msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                recipient: recipient.to_string(),
                amount: Uint128::new(amount),
            })
            .unwrap(),
            funds: vec![],
        }
        .into()
    }

    /// A message from the timelock to itself.
    pub fn to_self(&self, msg: &ExecuteMsg) -> CosmosMsg {
        WasmMsg::Execute {
            contract_addr: self.timelock.to_string(),
            msg: to_json_binary(msg).unwrap(),
            funds: vec![],
        }
        .into()
    }

    // ---- queries ----

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(self.timelock.clone(), msg)
            .expect("query succeeds")
    }

    pub fn config(&self) -> ConfigResponse {
        self.query(&QueryMsg::Config {})
    }

    pub fn is_active(&self) -> ActivationResponse {
        self.query(&QueryMsg::IsActive {})
    }

    pub fn operation(&self, id: u64) -> OperationResponse {
        self.query(&QueryMsg::Operation { id })
    }

    pub fn operations(
        &self,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Vec<OperationResponse> {
        let res: OperationsResponse = self.query(&QueryMsg::Operations { start_after, limit });
        res.operations
    }

    pub fn tok_balance(&self, holder: &Addr) -> u128 {
        let res: BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                self.tok.clone(),
                &Cw20QueryMsg::Balance {
                    address: holder.to_string(),
                },
            )
            .unwrap();
        res.balance.u128()
    }

    pub fn native_balance(&self, holder: &Addr) -> u128 {
        self.app
            .wrap()
            .query_balance(holder, NATIVE_DENOM)
            .unwrap()
            .amount
            .u128()
    }
}

/// The value of attribute `key` in the `wasm` event of `contract` in `res`.
pub fn attr(res: &AppResponse, contract: &Addr, key: &str) -> String {
    res.events
        .iter()
        .filter(|event| event.ty == "wasm")
        .filter(|event| {
            event
                .attributes
                .iter()
                .any(|a| a.key == "_contract_address" && a.value == contract.as_str())
        })
        .flat_map(|event| event.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
        .unwrap_or_else(|| panic!("no attribute {key} in {:?}", res.events))
}

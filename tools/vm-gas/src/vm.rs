//! A thin wrapper over one contract instance in the real VM that meters each call.

use std::path::Path;

use cosmwasm_std::{ContractResult, Empty, Env, Response, Timestamp};
use cosmwasm_vm::testing::{
    mock_env, mock_info, mock_instance_with_options, MockApi, MockInstanceOptions, MockQuerier,
    MockStorage,
};
use cosmwasm_vm::{call_execute, call_instantiate, call_query, Instance, Size};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// VM gas per SDK gas on wasmd (`DefaultGasMultiplier`).
pub const GAS_MULTIPLIER: u64 = 140_000;

pub struct Contract {
    instance: Instance<MockApi, MockStorage, MockQuerier>,
    api: MockApi,
    /// Block time of the next call, in seconds.
    pub time: u64,
}

impl Contract {
    pub fn load(dir: &Path, file: &str) -> Result<Self, String> {
        let path = dir.join(file);
        let wasm = std::fs::read(&path).map_err(|e| {
            format!(
                "cannot read {}: {e} (run scripts/build-wasm.sh first)",
                path.display()
            )
        })?;
        let instance = mock_instance_with_options(
            &wasm,
            MockInstanceOptions {
                // One instance serves the whole benchmark; each call's cost is the difference.
                gas_limit: 1_000_000_000_000_000,
                memory_limit: Some(Size::mebi(64)),
                ..Default::default()
            },
        );
        Ok(Contract {
            instance,
            api: MockApi::default(),
            time: 1_700_000_000,
        })
    }

    /// A valid address for this VM's API (bech32, prefix `cosmwasm`).
    pub fn addr(&self, name: &str) -> String {
        self.api.addr_make(name)
    }

    pub fn env(&self) -> Env {
        let mut env = mock_env();
        env.block.time = Timestamp::from_seconds(self.time);
        env
    }

    /// Answers the CW20 `TokenInfo` query for every contract address, as the token contract a
    /// pool checks at instantiation would (the VM here runs one contract, not a chain).
    pub fn answer_token_info(&mut self) -> Result<(), String> {
        self.instance
            .with_querier(|querier| {
                querier.update_wasm(|_query| {
                    let info = cw20::TokenInfoResponse {
                        name: "Token".into(),
                        symbol: "TOK".into(),
                        decimals: 6,
                        total_supply: cosmwasm_std::Uint128::new(u128::from(u64::MAX)),
                    };
                    match cosmwasm_std::to_json_binary(&info) {
                        Ok(bin) => cosmwasm_std::SystemResult::Ok(ContractResult::Ok(bin)),
                        Err(e) => {
                            cosmwasm_std::SystemResult::Ok(ContractResult::Err(e.to_string()))
                        }
                    }
                });
                Ok(())
            })
            .map_err(|e| format!("VM error: {e}"))
    }

    /// The address this instance runs at.
    pub fn address(&self) -> String {
        self.env().contract.address.to_string()
    }

    fn used(&mut self) -> u64 {
        let report = self.instance.create_gas_report();
        report.limit - report.remaining
    }

    pub fn instantiate<M: Serialize>(&mut self, sender: &str, msg: &M) -> Result<u64, String> {
        let env = self.env();
        let info = mock_info(sender, &[]);
        let body = serde_json::to_vec(msg).map_err(|e| e.to_string())?;
        let before = self.used();
        let res = call_instantiate::<_, _, _, Empty>(&mut self.instance, &env, &info, &body)
            .map_err(|e| format!("VM error: {e}"))?;
        check(res, "instantiate")?;
        Ok(self.used() - before)
    }

    /// Executes `msg` from `sender` and returns the VM gas it used; a contract error is an error.
    pub fn execute<M: Serialize>(&mut self, sender: &str, msg: &M) -> Result<u64, String> {
        let env = self.env();
        let info = mock_info(sender, &[]);
        let body = serde_json::to_vec(msg).map_err(|e| e.to_string())?;
        let before = self.used();
        let res = call_execute::<_, _, _, Empty>(&mut self.instance, &env, &info, &body)
            .map_err(|e| format!("VM error: {e}"))?;
        check(res, "execute")?;
        Ok(self.used() - before)
    }

    pub fn query<M: Serialize, T: DeserializeOwned>(&mut self, msg: &M) -> Result<T, String> {
        let env = self.env();
        let body = serde_json::to_vec(msg).map_err(|e| e.to_string())?;
        let res =
            call_query(&mut self.instance, &env, &body).map_err(|e| format!("VM error: {e}"))?;
        match res {
            ContractResult::Ok(bin) => serde_json::from_slice(&bin).map_err(|e| e.to_string()),
            ContractResult::Err(e) => Err(format!("query failed: {e}")),
        }
    }
}

fn check(res: ContractResult<Response>, what: &str) -> Result<(), String> {
    match res {
        ContractResult::Ok(_) => Ok(()),
        ContractResult::Err(e) => Err(format!("{what} failed: {e}")),
    }
}

/// One row of a gas table.
pub struct Row {
    pub label: String,
    pub entries: u64,
    pub gas: u64,
}

/// Renders rows as a markdown table with per-entry cost and its ratio to the first row.
pub fn table(title: &str, rows: &[Row]) -> String {
    let mut s = format!(
        "\n## {title}\n\n| message | entries | VM gas | SDK-equiv. | VM gas / entry | per entry vs. first row of the message |\n|---|---:|---:|---:|---:|---:|\n"
    );
    for r in rows {
        let per = r.gas as f64 / r.entries.max(1) as f64;
        // Ratio against the first row of the same message: the per-entry trend of a batch.
        let base = rows
            .iter()
            .find(|b| b.label == r.label)
            .map(|b| b.gas as f64 / b.entries.max(1) as f64)
            .unwrap_or(per);
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.0} | {:.3} |\n",
            r.label,
            r.entries,
            r.gas,
            r.gas / GAS_MULTIPLIER,
            per,
            per / base
        ));
    }
    s
}

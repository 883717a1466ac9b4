//! Writes the JSON schema of the reward-pool messages.
//!
//! `cargo run -p reward-pool --bin reward-pool-schema [OUT_DIR]` (default `schema/reward-pool`, relative to
//! the current directory, normally the repository root). Produces `reward-pool.json` and one file per
//! message/response under `raw/`.

use cosmwasm_schema::generate_api;
use cube_types::reward_pool::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = generate_api! {
        name: "reward-pool",
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    };
    contract_common::schema::write_from_args("reward-pool", api)
}

//! Writes the JSON schema of the mining-round messages.
//!
//! `cargo run -p mining-round --bin mining-round-schema [OUT_DIR]` (default `schema/mining-round`, relative to
//! the current directory, normally the repository root). Produces `mining-round.json` and one file per
//! message/response under `raw/`.

use cosmwasm_schema::generate_api;
use cube_types::mining_round::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = generate_api! {
        name: "mining-round",
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    };
    contract_common::schema::write_from_args("mining-round", api)
}

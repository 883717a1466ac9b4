//! Writes the JSON schema of the timelock messages.
//!
//! `cargo run -p timelock --bin timelock-schema [OUT_DIR]` (default `schema/timelock`, relative to
//! the current directory, normally the repository root). Produces `timelock.json` and one file per
//! message/response under `raw/`.

use cosmwasm_schema::generate_api;
use cube_types::timelock::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = generate_api! {
        name: "timelock",
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    };
    contract_common::schema::write_from_args("timelock", api)
}

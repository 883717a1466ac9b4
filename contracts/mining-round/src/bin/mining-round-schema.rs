//! Writes the JSON schema of the mining-round messages.
//!
//! `cargo run -p mining-round --bin mining-round-schema [OUT_DIR]` (default `schema/mining-round`, relative
//! to the current directory, normally the repository root). Produces `mining-round.json` and
//! one file per message/response under `raw/`.

use std::path::PathBuf;

use cosmwasm_schema::generate_api;
use cube_types::mining_round::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("schema/mining-round"));
    let api = generate_api! {
        name: "mining-round",
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
    .render();

    std::fs::create_dir_all(&out_dir)?;
    let combined = out_dir.join("mining-round.json");
    std::fs::write(&combined, api.to_string()?)?;
    println!("wrote {}", combined.display());

    let raw_dir = out_dir.join("raw");
    std::fs::create_dir_all(&raw_dir)?;
    for (filename, json) in api.to_schema_files()? {
        let path = raw_dir.join(filename);
        std::fs::write(&path, json)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

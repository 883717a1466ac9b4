//! Writes the JSON schema of the reward-pool messages.
//!
//! `cargo run -p reward-pool --bin reward-pool-schema [OUT_DIR]` (default `schema/reward-pool`, relative to
//! the current directory, normally the repository root).

use std::path::PathBuf;

use cosmwasm_schema::generate_api;
use cube_types::reward_pool::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("schema/reward-pool"));
    let api = generate_api! {
        name: "reward-pool",
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
    .render();

    std::fs::create_dir_all(&out_dir)?;
    let combined = out_dir.join("reward-pool.json");
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

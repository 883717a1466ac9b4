//! The contracts' schema binaries (`<contract>-schema`): writing a rendered API to disk.

use std::error::Error;
use std::path::PathBuf;

use cosmwasm_schema::Api;

/// Renders `api` and writes it as `<out_dir>/<name>.json` and one file per message and response under
/// `<out_dir>/raw/`, printing each path. `out_dir` is the first command-line argument, else
/// `schema/<name>` (relative to the current directory, normally the repository root).
pub fn write_from_args(name: &str, api: Api) -> Result<(), Box<dyn Error>> {
    let api = api.render();
    let out_dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("schema").join(name));
    std::fs::create_dir_all(&out_dir)?;
    let combined = out_dir.join(format!("{name}.json"));
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

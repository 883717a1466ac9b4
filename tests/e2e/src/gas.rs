//! Gas figures measured on the chain.
//!
//! Each test binary records its figures under a section name into
//! `<cargo target dir>/e2e-gas/<section>.json`, and the gas table is regenerated from every
//! section file present (so the reward-pool, mining-round and governance binaries all
//! contribute) into `<cargo target dir>/e2e-gas/gas.md`. A test never writes a tracked file:
//! `scripts/refresh-docs.sh` sets `E2E_GAS_DOC=docs/gas.md` to refresh the committed copy.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::repo_root;

/// One measured transaction.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GasRow {
    /// Message type, e.g. `RecordActions`.
    pub message: String,
    /// Batch size or other parameter ("-" when none).
    pub size: String,
    /// SDK gas used (from the tx result).
    pub gas_used: u64,
    /// Gas limit the tx carried (simulation × adjustment).
    pub gas_wanted: u64,
    /// Fee paid in the fee denom.
    pub fee: u128,
    /// Tx hash.
    pub tx: String,
}

/// Collects rows for one section.
#[derive(Debug, Default)]
pub struct GasReport {
    section: String,
    rows: Vec<GasRow>,
}

impl GasReport {
    /// An empty section.
    pub fn new(section: &str) -> Self {
        GasReport {
            section: section.to_string(),
            rows: Vec::new(),
        }
    }

    /// Records a tx and prints it.
    pub fn record(&mut self, message: &str, size: impl ToString, tx: &chain_client::TxResult) {
        let row = GasRow {
            message: message.to_string(),
            size: size.to_string(),
            gas_used: tx.gas_used,
            gas_wanted: tx.gas_wanted,
            fee: tx.fee,
            tx: tx.hash.clone(),
        };
        eprintln!(
            "[gas] {:<28} {:>6}  gas used {:>10}  wanted {:>10}",
            row.message, row.size, row.gas_used, row.gas_wanted
        );
        self.rows.push(row);
    }

    /// Records a figure taken from elsewhere (e.g. the deployment's store txs).
    pub fn record_raw(
        &mut self,
        message: &str,
        size: impl ToString,
        gas_used: u64,
        gas_wanted: u64,
        tx: &str,
    ) {
        let row = GasRow {
            message: message.to_string(),
            size: size.to_string(),
            gas_used,
            gas_wanted,
            fee: 0,
            tx: tx.to_string(),
        };
        eprintln!(
            "[gas] {:<28} {:>6}  gas used {:>10}  wanted {:>10}",
            row.message, row.size, row.gas_used, row.gas_wanted
        );
        self.rows.push(row);
    }

    /// Saves the section and regenerates the gas table (see the module docs for where).
    pub fn save(&self, chain_id: &str) {
        let dir = gas_dir();
        std::fs::create_dir_all(&dir).expect("create the e2e-gas directory");
        let json = serde_json::to_string_pretty(&self.rows).expect("gas rows json");
        write_whole(&dir.join(format!("{}.json", self.section)), &json);
        write_doc(&dir, chain_id);
    }
}

/// A path from an environment variable: relative to the repository root unless absolute
/// (`Path::join` keeps an absolute path as it is).
fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|p| !p.is_empty())
        .map(|p| repo_root().join(p))
}

/// `<cargo target dir>/e2e-gas`: `CARGO_TARGET_DIR` when set, else the workspace's `target/`.
fn gas_dir() -> PathBuf {
    env_path("CARGO_TARGET_DIR")
        .unwrap_or_else(|| repo_root().join("target"))
        .join("e2e-gas")
}

/// Writes the file whole, then renames it into place: test binaries running side by side
/// read each other's sections, and write the table, while one of them regenerates it.
fn write_whole(path: &std::path::Path, contents: &str) {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    std::fs::write(&tmp, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    std::fs::rename(&tmp, path).unwrap_or_else(|e| panic!("rename into {}: {e}", path.display()));
}

fn write_doc(dir: &std::path::Path, chain_id: &str) {
    let mut sections: BTreeMap<String, Vec<GasRow>> = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the e2e-gas directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&file).expect("read gas section");
        let rows: Vec<GasRow> = serde_json::from_str(&text).expect("parse gas section");
        sections.insert(name, rows);
    }
    let mut doc = String::new();
    doc.push_str("# Gas on the real chain\n\n");
    doc.push_str(
        "Written by the end-to-end suite (`cargo test -p e2e`) from the results of real signed\n\
         transactions on the project's wasmd localnet (`scripts/localnet.sh`: wasmd v0.70.3,\n\
         CosmWasm VM 3, consensus max block gas 30,000,000, minimum gas price 0.025stake).\n\
         `gas used` is the SDK gas the chain reports for the whole tx (ante handler, signature\n\
         verification, tx size, wasm execution and storage); `gas wanted` is the limit the client\n\
         set: simulated gas × 1.3. Fees are ceil(gas wanted × 0.025) stake.\n\n\
         The real-VM figures of the same messages (VM gas only, no SDK costs), measured by\n\
         loading the same artifacts into `cosmwasm-vm`, are beside this file in\n\
         [`vm-gas.md`](vm-gas.md) (`scripts/bench-gas.sh`, crate `vm-gas`); on wasmd\n\
         1 SDK gas = 140,000 VM gas, the rest of the difference is SDK storage, event and\n\
         tx-size gas.\n\n\
         Mining-round batches of 10/100/max entries carry owners without devices (0 Wh, the only\n\
         plausible figure for them), so every entry is validated, hashed, stored and scored.\n\
         StoreCode and Instantiate rows come from the deployment (`deployments/<chain-id>.json`).\n\
         Do not edit by hand: regenerate with `scripts/refresh-docs.sh`.\n\n",
    );
    doc.push_str(&format!("Chain id: `{chain_id}`.\n"));
    for (section, rows) in &sections {
        doc.push_str(&format!("\n## {section}\n\n"));
        doc.push_str("| message | batch / size | gas used | gas wanted | fee (stake) | gas used per entry |\n");
        doc.push_str("|---|---:|---:|---:|---:|---:|\n");
        for r in rows {
            let per_entry = r
                .size
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|n| (r.gas_used / n).to_string())
                .unwrap_or_else(|| "-".to_string());
            let wanted = if r.gas_wanted == 0 {
                "-".to_string()
            } else {
                r.gas_wanted.to_string()
            };
            let fee = if r.fee == 0 {
                "-".to_string()
            } else {
                r.fee.to_string()
            };
            doc.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                r.message, r.size, r.gas_used, wanted, fee, per_entry
            ));
        }
    }
    let path = env_path("E2E_GAS_DOC").unwrap_or_else(|| dir.join("gas.md"));
    write_whole(&path, &doc);
    eprintln!("[gas] wrote {}", path.display());
}

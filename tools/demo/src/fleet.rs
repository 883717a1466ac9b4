//! The simulated Cube fleet: `cube-sim fleet` writes the relayers' device directory and the
//! registration manifest; each owner then registers its own devices on chain with
//! `RegisterDevice` (manufacturer certificate + possession signature, both checked by the
//! contract with the chain's ed25519 verification).

use std::path::{Path, PathBuf};
use std::process::Command;

pub use chain_client::mining_round::{DeviceRegistration, FleetManifest as Manifest};

use crate::DemoError;

/// Seed of the demo fleet (keys, owners, energy).
pub const FLEET_SEED: u64 = 7;

/// The arguments `cube-sim fleet` and `cube-sim stream` share.
#[derive(Clone, Debug)]
pub struct FleetSpec {
    /// The `cube-sim` binary.
    pub cube_sim: PathBuf,
    /// Number of devices.
    pub devices: usize,
    /// File with one owner address per line.
    pub owners_file: PathBuf,
    /// Chain id.
    pub chain_id: String,
    /// Mining-round contract (or a placeholder before deployment).
    pub contract: String,
}

impl FleetSpec {
    /// `--devices .. --seed .. --owners-file .. --chain-id .. --contract ..`.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--devices".into(),
            self.devices.to_string(),
            "--seed".into(),
            FLEET_SEED.to_string(),
            "--owners-file".into(),
            self.owners_file.display().to_string(),
            "--chain-id".into(),
            self.chain_id.clone(),
            "--contract".into(),
            self.contract.clone(),
        ]
    }
}

/// Writes the owners file (one address per line).
pub fn write_owners(path: &Path, owners: &[String]) -> Result<(), DemoError> {
    std::fs::write(path, owners.join("\n") + "\n").map_err(|e| DemoError::io(path, e))
}

/// Runs `cube-sim fleet`, writing `devices_out`, and returns the registration manifest.
pub fn generate(spec: &FleetSpec, devices_out: &Path) -> Result<Manifest, DemoError> {
    let manifest_path = devices_out.with_extension("registrations.json");
    let out = Command::new(&spec.cube_sim)
        .arg("fleet")
        .args(spec.args())
        .arg("--devices-out")
        .arg(devices_out)
        .arg("--registrations-out")
        .arg(&manifest_path)
        .output()
        .map_err(|e| DemoError::Process {
            name: "cube-sim fleet".into(),
            reason: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(DemoError::Process {
            name: "cube-sim fleet".into(),
            reason: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    let text =
        std::fs::read_to_string(&manifest_path).map_err(|e| DemoError::io(&manifest_path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| DemoError::format(manifest_path.display().to_string(), e))
}

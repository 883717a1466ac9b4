//! The device-directory file: a JSON array of registered devices that `cube-sim fleet` writes
//! and the relayer loads (`[devices] static_file`), next to or instead of the chain registry.
//!
//! ```json
//! [{ "pubkey": "<64 hex>", "owner": "wasm1…", "model": "cube_v1", "timezone": "Europe/Berlin" }]
//! ```

use std::path::Path;

use cube_scoring::DeviceModel;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One registry entry: a device key, its owner, model and IANA time zone (still a string; the
/// relayer parses it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRecord {
    /// ed25519 device key (64 hex characters in the file).
    #[serde(with = "hex::serde")]
    pub pubkey: [u8; 32],
    /// Owner account (bech32).
    pub owner: String,
    /// Model (`"cube_v1"` / `"cube_v2"`).
    pub model: DeviceModel,
    /// IANA zone name, e.g. `Europe/Berlin`.
    pub timezone: String,
}

/// Errors of reading or writing a device file.
#[derive(Error, Debug)]
pub enum DeviceFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// File path.
        path: String,
        /// IO error.
        source: std::io::Error,
    },
    /// The file is not a JSON array of device records.
    #[error("{path}: {source}")]
    Json {
        /// File path.
        path: String,
        /// JSON error (names the bad field, e.g. a pubkey that is not 32 bytes of hex).
        source: serde_json::Error,
    },
}

/// Reads a device file.
pub fn read_device_file(path: &Path) -> Result<Vec<DeviceRecord>, DeviceFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| DeviceFileError::Io {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| DeviceFileError::Json {
        path: path.display().to_string(),
        source,
    })
}

/// Writes a device file (pretty JSON), replacing `path`.
pub fn write_device_file(path: &Path, devices: &[DeviceRecord]) -> Result<(), DeviceFileError> {
    let json = serde_json::to_vec_pretty(devices).map_err(|source| DeviceFileError::Json {
        path: path.display().to_string(),
        source,
    })?;
    std::fs::write(path, json).map_err(|source| DeviceFileError::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_round_trips_and_keeps_its_format() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("devices.json");
        let devices = vec![DeviceRecord {
            pubkey: [0xab; 32],
            owner: "wasm1owner".into(),
            model: DeviceModel::CubeV2,
            timezone: "Asia/Tokyo".into(),
        }];
        write_device_file(&p, &devices).unwrap();
        assert_eq!(read_device_file(&p).unwrap(), devices);
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(v[0]["pubkey"], "ab".repeat(32));
        assert_eq!(v[0]["model"], "cube_v2");
        std::fs::write(
            &p,
            r#"[{"pubkey":"abcd","owner":"o","model":"cube_v1","timezone":"UTC"}]"#,
        )
        .unwrap();
        assert!(matches!(
            read_device_file(&p),
            Err(DeviceFileError::Json { .. })
        ));
    }
}

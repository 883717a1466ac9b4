//! The device directory: which device keys are registered on chain, to whom, as which model,
//! in which time zone.
//!
//! The relayer keeps an in-memory copy that ingest consults for every reading. It is filled
//! from a [`DeviceSource`]: in production the mining-round contract's paginated `Devices`
//! query through the chain client (`packages/chain-client`, the seam is
//! [`DeviceSource::fetch_all`]); in tests and the simulator from real generated keys
//! ([`StaticDevices`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;

use chrono_tz::Tz;
use cube_scoring::DeviceModel;
use thiserror::Error;

/// Directory errors.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum DirectoryError {
    /// A device entry names a time zone that is not an IANA zone.
    #[error("device {device}: unknown time zone {timezone:?}")]
    UnknownTimeZone {
        /// Device key, hex.
        device: String,
        /// The zone as registered.
        timezone: String,
    },
    /// The source (chain) could not be read.
    #[error("device source: {0}")]
    Source(String),
}

/// What the relayer knows about a registered device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Owner account (bech32).
    pub owner: String,
    /// Hardware model.
    pub model: DeviceModel,
    /// IANA time zone of the device (its local hours decide the time-of-use class).
    pub timezone: Tz,
}

/// One registry entry as a source delivers it (time zone still a string); also the record of
/// the static device file. Defined with the wire format in `cube-telemetry`.
pub use cube_telemetry::DeviceRecord;

/// Parsing a [`DeviceRecord`] into what the directory keeps.
pub trait DeviceRecordExt {
    /// Parses the zone.
    fn into_info(self) -> Result<([u8; 32], DeviceInfo), DirectoryError>;
}

impl DeviceRecordExt for DeviceRecord {
    fn into_info(self) -> Result<([u8; 32], DeviceInfo), DirectoryError> {
        let timezone: Tz = self
            .timezone
            .parse()
            .map_err(|_| DirectoryError::UnknownTimeZone {
                device: hex::encode(self.pubkey),
                timezone: self.timezone.clone(),
            })?;
        Ok((
            self.pubkey,
            DeviceInfo {
                owner: self.owner,
                model: self.model,
                timezone,
            },
        ))
    }
}

/// Boxed future returned by [`DeviceSource::fetch_all`].
pub type FetchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<DeviceRecord>, DirectoryError>> + Send + 'a>>;

/// Where the registry comes from. The chain-client implementation pages through the
/// mining-round contract's `Devices { start_after, limit }` query.
pub trait DeviceSource: Send + Sync {
    /// Every registered device.
    fn fetch_all(&self) -> FetchFuture<'_>;
}

/// Reads a static device file (see `cube_telemetry::read_device_file`).
pub fn load_device_file(path: &std::path::Path) -> Result<Vec<DeviceRecord>, DirectoryError> {
    cube_telemetry::read_device_file(path).map_err(|e| DirectoryError::Source(e.to_string()))
}

/// A fixed list (tests, simulator, or a config-provided list while the chain client is
/// unavailable).
pub struct StaticDevices(pub Vec<DeviceRecord>);

impl DeviceSource for StaticDevices {
    fn fetch_all(&self) -> FetchFuture<'_> {
        let list = self.0.clone();
        Box::pin(async move { Ok(list) })
    }
}

/// In-memory directory shared by ingest and aggregation.
#[derive(Default)]
pub struct DeviceDirectory {
    devices: RwLock<HashMap<[u8; 32], DeviceInfo>>,
}

impl DeviceDirectory {
    /// Empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Looks up a device.
    pub fn get(&self, pubkey: &[u8; 32]) -> Option<DeviceInfo> {
        self.devices.read().ok()?.get(pubkey).cloned()
    }

    /// Whether a device is known.
    pub fn contains(&self, pubkey: &[u8; 32]) -> bool {
        self.devices
            .read()
            .map(|d| d.contains_key(pubkey))
            .unwrap_or(false)
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.devices.read().map(|d| d.len()).unwrap_or(0)
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds or replaces one device.
    pub fn upsert(&self, record: DeviceRecord) -> Result<(), DirectoryError> {
        let (k, info) = record.into_info()?;
        if let Ok(mut d) = self.devices.write() {
            d.insert(k, info);
        }
        Ok(())
    }

    /// Replaces the whole directory with `records`. Entries with an unknown time zone are
    /// skipped and returned (logged by the caller); the others are installed.
    pub fn replace_all(&self, records: Vec<DeviceRecord>) -> Vec<DirectoryError> {
        let mut map = HashMap::with_capacity(records.len());
        let mut errors = Vec::new();
        for r in records {
            match r.into_info() {
                Ok((k, info)) => {
                    map.insert(k, info);
                }
                Err(e) => errors.push(e),
            }
        }
        if let Ok(mut d) = self.devices.write() {
            *d = map;
        }
        errors
    }

    /// Refreshes from a source.
    pub async fn refresh(&self, source: &dyn DeviceSource) -> Result<usize, DirectoryError> {
        let records = source.fetch_all().await?;
        for e in self.replace_all(records) {
            tracing::warn!(error = %e, "device skipped");
        }
        Ok(self.len())
    }

    /// A snapshot (for aggregation).
    pub fn snapshot(&self) -> HashMap<[u8; 32], DeviceInfo> {
        self.devices.read().map(|d| d.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refresh_installs_valid_and_skips_bad_zones() {
        let dir = DeviceDirectory::new();
        let src = StaticDevices(vec![
            DeviceRecord {
                pubkey: [1; 32],
                owner: "wasm1a".into(),
                model: DeviceModel::CubeV1,
                timezone: "Europe/Berlin".into(),
            },
            DeviceRecord {
                pubkey: [2; 32],
                owner: "wasm1b".into(),
                model: DeviceModel::CubeV2,
                timezone: "Mars/Olympus".into(),
            },
        ]);
        assert_eq!(dir.refresh(&src).await, Ok(1));
        assert_eq!(
            dir.get(&[1; 32]),
            Some(DeviceInfo {
                owner: "wasm1a".into(),
                model: DeviceModel::CubeV1,
                timezone: chrono_tz::Europe::Berlin,
            })
        );
        assert!(!dir.contains(&[2; 32]));
        // Static file round trip.
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("devices.json");
        cube_telemetry::write_device_file(&path, &src.0).unwrap();
        assert_eq!(load_device_file(&path), Ok(src.0.clone()));
        let errs = dir.replace_all(src.0.clone());
        assert_eq!(
            errs,
            vec![DirectoryError::UnknownTimeZone {
                device: hex::encode([2u8; 32]),
                timezone: "Mars/Olympus".into()
            }]
        );
    }
}

//! The device directory: which device keys are registered on chain, to whom, as which model,
//! in which time zone.
//!
//! The relayer keeps an in-memory copy that ingest consults for every reading. It is filled
//! from a [`DeviceSource`]: in production the mining-round contract's paginated `Devices`
//! query through the chain client (`packages/chain-client`, the seam is
//! [`DeviceSource::fetch_all`]); in tests and the simulator from real generated keys
//! ([`StaticDevices`]).
//!
//! The registry read from chain is also kept on disk ([`DeviceDirectory::refresh_and_save`],
//! [`save_device_file`]: the device-file format, written atomically), so that a restart while
//! the chain is unreachable still serves the devices last known to be registered.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write as _;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Mutex, RwLock};

use chrono_tz::Tz;
use cube_scoring::DeviceModel;
use sha2::{Digest as _, Sha256};
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
    /// The registry could not be saved to its file.
    #[error("saving {path}: {reason}")]
    Save {
        /// File path.
        path: String,
        /// What failed.
        reason: String,
    },
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

/// The device file's bytes for `records` (the JSON array [`load_device_file`] reads).
fn device_file_bytes(path: &Path, records: &[DeviceRecord]) -> Result<Vec<u8>, DirectoryError> {
    serde_json::to_vec_pretty(records).map_err(|e| DirectoryError::Save {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Replaces `path` with `bytes` atomically: a temporary file next to it is written and
/// fsynced, renamed over `path`, and the directory fsynced (unix), so a crash leaves either
/// the old or the new file, never a torn one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DirectoryError> {
    let err = |what: &str, e: std::io::Error| DirectoryError::Save {
        path: path.display().to_string(),
        reason: format!("{what}: {e}"),
    };
    let mut tmp_name = path.as_os_str().to_os_string();
    tmp_name.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp_name);
    let mut f = std::fs::File::create(&tmp).map_err(|e| err("creating the temporary file", e))?;
    f.write_all(bytes)
        .map_err(|e| err("writing the temporary file", e))?;
    f.sync_all()
        .map_err(|e| err("syncing the temporary file", e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| err("renaming the temporary file", e))?;
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| err("syncing the directory", e))?;
    }
    Ok(())
}

/// Writes `records` as a device file at `path` (readable by [`load_device_file`]), replacing
/// it atomically (temporary file, fsync, rename).
pub fn save_device_file(path: &Path, records: &[DeviceRecord]) -> Result<(), DirectoryError> {
    write_atomically(path, &device_file_bytes(path, records)?)
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
    /// SHA-256 of the device file [`Self::refresh_and_save`] wrote last.
    saved: Mutex<Option<[u8; 32]>>,
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

    /// Every installed device as a device-file record, by public key.
    pub fn records(&self) -> Vec<DeviceRecord> {
        let mut records: Vec<DeviceRecord> = self
            .devices
            .read()
            .map(|d| {
                d.iter()
                    .map(|(k, info)| DeviceRecord {
                        pubkey: *k,
                        owner: info.owner.clone(),
                        model: info.model,
                        timezone: info.timezone.name().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        records.sort_by_key(|r| r.pubkey);
        records
    }

    /// [`Self::refresh`] from `source`, then saves the installed registry to `file`
    /// ([`save_device_file`], atomic) so that the next start has it even if the source is
    /// unreachable then. The file is rewritten only when its content changed since this
    /// directory last saved it. A failed save leaves the refreshed directory in place and is
    /// returned as [`DirectoryError::Save`].
    pub async fn refresh_and_save(
        &self,
        source: &dyn DeviceSource,
        file: &Path,
    ) -> Result<usize, DirectoryError> {
        let n = self.refresh(source).await?;
        let bytes = device_file_bytes(file, &self.records())?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        if self.saved.lock().ok().and_then(|s| *s) == Some(digest) {
            return Ok(n);
        }
        let path = file.to_path_buf();
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|e| DirectoryError::Save {
                path: file.display().to_string(),
                reason: e.to_string(),
            })??;
        if let Ok(mut saved) = self.saved.lock() {
            *saved = Some(digest);
        }
        Ok(n)
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

    fn record(key: u8, zone: &str) -> DeviceRecord {
        DeviceRecord {
            pubkey: [key; 32],
            owner: format!("wasm1owner{key}"),
            model: if key.is_multiple_of(2) {
                DeviceModel::CubeV1
            } else {
                DeviceModel::CubeV2
            },
            timezone: zone.into(),
        }
    }

    #[tokio::test]
    async fn refreshed_registry_is_saved_atomically_and_reloads() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("relayer.sqlite.devices.json");
        let dir = DeviceDirectory::new();
        let chain = StaticDevices(vec![
            record(3, "Asia/Tokyo"),
            record(1, "Europe/Berlin"),
            record(2, "Mars/Olympus"),
        ]);
        assert_eq!(dir.refresh_and_save(&chain, &file).await, Ok(2));
        // The installed devices, by key; the unknown zone is not saved.
        let saved = load_device_file(&file).unwrap();
        assert_eq!(
            saved,
            vec![record(1, "Europe/Berlin"), record(3, "Asia/Tokyo")]
        );
        assert_eq!(saved, dir.records());
        assert!(!tmp.path().join("relayer.sqlite.devices.json.tmp").exists());
        // A new registry replaces the file; an unchanged one is not rewritten.
        let chain = StaticDevices(vec![record(4, "UTC")]);
        assert_eq!(dir.refresh_and_save(&chain, &file).await, Ok(1));
        assert_eq!(load_device_file(&file).unwrap(), vec![record(4, "UTC")]);
        std::fs::write(&file, "[]").unwrap();
        assert_eq!(dir.refresh_and_save(&chain, &file).await, Ok(1));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "[]");
        // A failing source changes neither the directory nor the file.
        struct Down;
        impl DeviceSource for Down {
            fn fetch_all(&self) -> FetchFuture<'_> {
                Box::pin(async { Err(DirectoryError::Source("down".into())) })
            }
        }
        assert!(dir.refresh_and_save(&Down, &file).await.is_err());
        assert!(dir.contains(&[4; 32]));
        // An unwritable location is reported, the refreshed directory kept.
        let dir2 = DeviceDirectory::new();
        let bad = tmp.path().join("missing").join("devices.json");
        assert!(matches!(
            dir2.refresh_and_save(&StaticDevices(vec![record(5, "UTC")]), &bad)
                .await,
            Err(DirectoryError::Save { .. })
        ));
        assert!(dir2.contains(&[5; 32]));
    }
}

//! Simulated Cube fleet: device keys, manufacturer certificates, owners, time zones, batteries
//! and realistic hourly discharge curves. Used by the `cube-sim` CLI, the relayer's tests and
//! `relayer-bench`.
//!
//! Everything is derived from a seed with a small deterministic PRNG (SplitMix64), so a test
//! can recompute exactly what the simulator sent.

use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;
use cube_scoring::{certificate_message, DeviceModel, RatedPower};
use ed25519_dalek::{Signer, SigningKey};

use cube_telemetry::{DeviceRecord, Domain, Reading, SignedReading};

pub mod adversary;

/// Zones the simulator spreads devices over; `Europe/Berlin` and `America/New_York` observe
/// daylight saving time, `Asia/Tokyo` and `UTC` do not.
pub const ZONES: [&str; 4] = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"];

/// Battery ids on the simulated whitelist.
pub const WHITELISTED_BATTERIES: [&str; 2] = ["WL-BAT-A", "WL-BAT-B"];

/// Deterministic PRNG (SplitMix64).
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; returns 0 for n = 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }

    /// [`Self::below`] for indices: uniform in `0..n` (0 for n = 0).
    pub fn index_below(&mut self, n: usize) -> usize {
        let r = self.below(u64::try_from(n).unwrap_or(u64::MAX));
        // r < n, so it fits in usize.
        usize::try_from(r).unwrap_or(0)
    }
}

/// One simulated device.
#[derive(Debug, Clone)]
pub struct SimDevice {
    /// Device key.
    pub key: SigningKey,
    /// Model.
    pub model: DeviceModel,
    /// Serial number.
    pub serial: String,
    /// Owner account.
    pub owner: String,
    /// IANA zone name.
    pub timezone: String,
    /// Paired battery id.
    pub battery_id: String,
    /// Manufacturer signature over `certificate_message(pubkey, model, serial)`.
    pub certificate: [u8; 64],
    /// Next sequence number to use.
    pub next_sequence: u64,
}

impl SimDevice {
    /// Public key bytes.
    pub fn pubkey(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// Directory record of this device.
    pub fn record(&self) -> DeviceRecord {
        DeviceRecord {
            pubkey: self.pubkey(),
            owner: self.owner.clone(),
            model: self.model,
            timezone: self.timezone.clone(),
        }
    }

    /// Whether the paired battery is on the simulated whitelist.
    pub fn whitelisted(&self) -> bool {
        WHITELISTED_BATTERIES.contains(&self.battery_id.as_str())
    }
}

/// Fleet parameters.
#[derive(Debug, Clone)]
pub struct FleetSpec {
    /// Number of devices.
    pub devices: usize,
    /// Seed of all randomness.
    pub seed: u64,
    /// Owner address prefix: owners are `{prefix}{index:06}`; the chain-backed simulator
    /// passes real addresses via [`Fleet::with_owners`] instead.
    pub owner_prefix: String,
}

/// A generated fleet.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// Devices.
    pub devices: Vec<SimDevice>,
    /// Manufacturer key that signed the certificates.
    pub manufacturer: SigningKey,
}

impl Fleet {
    /// Generates a fleet: roughly one owner per 1.5 devices, so about a third of the owners
    /// hold both a CubeV1 and a CubeV2; zones cycle through [`ZONES`]; every third device has a
    /// whitelisted battery.
    pub fn generate(spec: &FleetSpec) -> Fleet {
        let owners: Vec<String> = (0..spec.devices)
            .map(|i| format!("{}{i:06}", spec.owner_prefix))
            .collect();
        Self::with_owners(spec, &owners)
    }

    /// Like [`Fleet::generate`] with explicit owner addresses (owner `i` gets devices
    /// assigned by the same pattern; extra owners stay unused).
    pub fn with_owners(spec: &FleetSpec, owners: &[String]) -> Fleet {
        let mut rng = SplitMix(spec.seed);
        let mut seed = [0u8; 32];
        for chunk in seed.chunks_mut(8) {
            chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
        }
        let manufacturer = SigningKey::from_bytes(&seed);
        let mut devices = Vec::with_capacity(spec.devices);
        let mut owner_idx = 0usize;
        let mut i = 0usize;
        while i < spec.devices && !owners.is_empty() {
            // Pattern per owner: even owners hold one device, odd owners hold both models.
            let dual = owner_idx % 2 == 1;
            let models: &[DeviceModel] = if dual {
                &[DeviceModel::CubeV1, DeviceModel::CubeV2]
            } else if owner_idx.is_multiple_of(4) {
                &[DeviceModel::CubeV1]
            } else {
                &[DeviceModel::CubeV2]
            };
            let owner = owners[owner_idx % owners.len()].clone();
            for &model in models {
                if i >= spec.devices {
                    break;
                }
                for chunk in seed.chunks_mut(8) {
                    chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
                }
                let key = SigningKey::from_bytes(&seed);
                let serial = format!("SN-{:08}", i);
                let certificate = manufacturer
                    .sign(&certificate_message(
                        &key.verifying_key().to_bytes(),
                        model,
                        &serial,
                    ))
                    .to_bytes();
                let battery_id = if i.is_multiple_of(3) {
                    WHITELISTED_BATTERIES[i % 2].to_string()
                } else {
                    format!("GEN-BAT-{i}")
                };
                devices.push(SimDevice {
                    key,
                    model,
                    serial,
                    owner: owner.clone(),
                    timezone: ZONES[i % ZONES.len()].to_string(),
                    battery_id,
                    certificate,
                    next_sequence: 1,
                });
                i += 1;
            }
            owner_idx += 1;
        }
        Fleet {
            devices,
            manufacturer,
        }
    }

    /// Directory records of all devices.
    pub fn records(&self) -> Vec<DeviceRecord> {
        self.devices.iter().map(SimDevice::record).collect()
    }
}

/// Relative discharge intensity (per mille of rated power) by local hour: low at night, a
/// morning bump, and an evening peak 18–21 h.
pub const DAILY_CURVE: [u64; 24] = [
    40, 30, 25, 25, 30, 50, 120, 200, 180, 120, 100, 110, 130, 120, 110, 120, 160, 260, 380, 420,
    360, 240, 120, 60,
];

/// Wh a device discharges in `[start, end)` (end − start ≤ 1 h) following [`DAILY_CURVE`] at
/// the local hour of `start`, with ±20 % noise; always within the rated-power bound.
///
/// The energy is rounded **up** to whole Wh: a Cube that discharges at all in a window reports
/// at least 1 Wh, so a short window at night (a 30 s window of a 2 kW Cube at 2.5 % is 0.4 Wh)
/// does not read as an idle device. Otherwise whether an owner appears in a short round would
/// depend on the hour of day in its time zone. The bound holds: with `max_wh` ≥ 1 the
/// rounded-up share (at most 42 % · 120 %) never exceeds `max_wh`.
pub fn discharge_wh(
    dev: &SimDevice,
    rated: &RatedPower,
    start: u64,
    end: u64,
    rng: &mut SplitMix,
) -> u64 {
    let tz: Tz = dev.timezone.parse().unwrap_or(chrono_tz::UTC);
    let hour = i64::try_from(start)
        .ok()
        .and_then(|s| tz.timestamp_opt(s, 0).single())
        .map(|t| t.hour())
        .unwrap_or(0);
    let per_mille = DAILY_CURVE
        .get(usize::try_from(hour).unwrap_or(0))
        .copied()
        .unwrap_or(100);
    let len = end.saturating_sub(start);
    // Rated W · seconds / 3600 = max Wh; scale by curve and noise (80..120 %).
    let max_wh = rated.of(dev.model).saturating_mul(len) / 3600;
    let noise = 80 + rng.below(41);
    max_wh
        .saturating_mul(per_mille)
        .saturating_mul(noise)
        .div_ceil(100_000)
        .min(max_wh)
}

/// Signs the next reading of `dev` for `[start, end)` and advances its sequence.
pub fn next_reading(
    dev: &mut SimDevice,
    domain: &Domain,
    rated: &RatedPower,
    start: u64,
    end: u64,
    rng: &mut SplitMix,
) -> SignedReading {
    let discharged_wh = discharge_wh(dev, rated, start, end, rng);
    let charged_wh = discharged_wh / 3;
    let reading = Reading {
        device_pubkey: dev.pubkey(),
        sequence: dev.next_sequence,
        window_start: start,
        window_end: end,
        discharged_wh,
        charged_wh,
        battery_id: dev.battery_id.clone(),
        firmware: "sim-1.0.0".into(),
    };
    dev.next_sequence = dev.next_sequence.saturating_add(1);
    domain.sign(&dev.key, reading)
}

/// The reading `dev` (fleet index `index`) reports for `[start, end)`, stateless: the sequence
/// is `start` (strictly increasing with the window) and the energy is drawn from a PRNG seeded
/// by (fleet seed, device index, start), so resending a window reproduces the identical signed
/// reading (an idempotent success) and a test can recompute every value.
pub fn window_reading(
    dev: &SimDevice,
    index: usize,
    seed: u64,
    domain: &Domain,
    rated: &RatedPower,
    start: u64,
    end: u64,
) -> SignedReading {
    let idx = u64::try_from(index).unwrap_or(u64::MAX);
    let mut rng = SplitMix(seed ^ idx.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ start.rotate_left(17));
    let discharged_wh = discharge_wh(dev, rated, start, end, &mut rng);
    let reading = Reading {
        device_pubkey: dev.pubkey(),
        sequence: start,
        window_start: start,
        window_end: end,
        discharged_wh,
        charged_wh: discharged_wh / 3,
        battery_id: dev.battery_id.clone(),
        firmware: "sim-1.0.0".into(),
    };
    domain.sign(&dev.key, reading)
}

/// The fleet manifest record of `dev` for the mining-round contract `contract` on `chain_id`:
/// everything `RegisterDevice` needs (first registration: nonce 0, the zero challenge
/// `cube_scoring::INITIAL_REGISTRATION_CHALLENGE`).
#[cfg(feature = "chain")]
pub fn registration(
    dev: &SimDevice,
    chain_id: &str,
    contract: &str,
) -> chain_client::mining_round::DeviceRegistration {
    registration_for(
        dev,
        chain_id,
        contract,
        &dev.owner,
        (0, cube_scoring::INITIAL_REGISTRATION_CHALLENGE),
    )
}

/// As [`registration`], for `owner` holding the device when its `RegistrationNonce` is `at` =
/// (nonce, challenge) (a device sold and re-registered by its buyer: query it with
/// `MiningRoundClient::registration_challenge`). The possession signature signs the
/// challenge, which the contract derives from the block of the previous registration.
#[cfg(feature = "chain")]
pub fn registration_for(
    dev: &SimDevice,
    chain_id: &str,
    contract: &str,
    owner: &str,
    at: (u64, [u8; 32]),
) -> chain_client::mining_round::DeviceRegistration {
    let (nonce, challenge) = at;
    chain_client::mining_round::DeviceRegistration {
        owner: owner.to_string(),
        pubkey: dev.pubkey(),
        model: dev.model,
        serial: dev.serial.clone(),
        timezone: dev.timezone.clone(),
        battery_id: Some(dev.battery_id.clone()),
        certificate: dev.certificate,
        nonce,
        challenge,
        possession_signature: possession_signature(dev, chain_id, contract, owner, &challenge),
    }
}

/// The device's signature proving `owner` holds it, over the device's current registration
/// challenge `challenge` (`cube_scoring::possession_message`), for `RegisterDevice`.
pub fn possession_signature(
    dev: &SimDevice,
    chain_id: &str,
    contract: &str,
    owner: &str,
    challenge: &[u8; 32],
) -> [u8; 64] {
    dev.key
        .sign(&cube_scoring::possession_message(
            chain_id,
            contract,
            owner,
            &dev.pubkey(),
            challenge,
        ))
        .to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_is_deterministic_and_mixed() {
        let spec = FleetSpec {
            devices: 60,
            seed: 42,
            owner_prefix: "owner".into(),
        };
        let a = Fleet::generate(&spec);
        let b = Fleet::generate(&spec);
        assert_eq!(a.devices.len(), 60);
        assert_eq!(
            a.devices.iter().map(SimDevice::pubkey).collect::<Vec<_>>(),
            b.devices.iter().map(SimDevice::pubkey).collect::<Vec<_>>()
        );
        let dual_owners = a
            .devices
            .iter()
            .filter(|d| {
                a.devices
                    .iter()
                    .any(|e| e.owner == d.owner && e.model != d.model)
            })
            .count();
        assert!(dual_owners >= 20, "{dual_owners}");
        assert!(a.devices.iter().any(SimDevice::whitelisted));
        assert!(a.devices.iter().any(|d| !d.whitelisted()));
        for z in ZONES {
            assert!(a.devices.iter().any(|d| d.timezone == z));
        }
        // Certificates verify with the manufacturer key.
        let vk = a.manufacturer.verifying_key();
        for d in &a.devices {
            let msg = certificate_message(&d.pubkey(), d.model, &d.serial);
            let sig = ed25519_dalek::Signature::from_bytes(&d.certificate);
            assert!(vk.verify_strict(&msg, &sig).is_ok());
        }
    }

    #[test]
    fn window_reading_is_reproducible() {
        let f = Fleet::generate(&FleetSpec {
            devices: 3,
            seed: 5,
            owner_prefix: "o".into(),
        });
        let d = Domain::new("c", "x");
        let rated = RatedPower::default();
        let a = window_reading(&f.devices[1], 1, 5, &d, &rated, 7_200, 7_500);
        let b = window_reading(&f.devices[1], 1, 5, &d, &rated, 7_200, 7_500);
        assert_eq!(a, b);
        assert_eq!(a.reading.sequence, 7_200);
        assert_eq!(d.verify(&a), Ok(()));
        let challenge = [3u8; 32];
        let sig = possession_signature(&f.devices[1], "c", "x", "buyer", &challenge);
        let msg =
            cube_scoring::possession_message("c", "x", "buyer", &f.devices[1].pubkey(), &challenge);
        let vk = f.devices[1].key.verifying_key();
        assert!(vk
            .verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok());
        // Not valid over any other challenge (e.g. the zero challenge of a new device).
        let other = cube_scoring::possession_message(
            "c",
            "x",
            "buyer",
            &f.devices[1].pubkey(),
            &cube_scoring::INITIAL_REGISTRATION_CHALLENGE,
        );
        assert!(vk
            .verify_strict(&other, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_err());
    }

    #[test]
    fn evening_peak_and_rated_bound() {
        let spec = FleetSpec {
            devices: 1,
            seed: 1,
            owner_prefix: "o".into(),
        };
        let mut f = Fleet::generate(&spec);
        let dev = &mut f.devices[0];
        dev.timezone = "UTC".into();
        let rated = RatedPower::default();
        let mut rng = SplitMix(9);
        let day = 1_700_006_400u64; // a UTC midnight
        let night = discharge_wh(dev, &rated, day + 3 * 3600, day + 4 * 3600, &mut rng);
        let evening = discharge_wh(dev, &rated, day + 19 * 3600, day + 20 * 3600, &mut rng);
        assert!(evening > 5 * night, "{evening} vs {night}");
        assert!(evening <= rated.of(dev.model));
    }

    /// Every hour of the day, in every zone, a 30 s window of the smaller model reports energy
    /// (at least 1 Wh) and never more than the rated bound: who appears in a short round does
    /// not depend on the wall clock.
    #[test]
    fn short_windows_report_energy_at_every_hour() {
        let spec = FleetSpec {
            devices: 8,
            seed: 3,
            owner_prefix: "o".into(),
        };
        let f = Fleet::generate(&spec);
        let rated = RatedPower::default();
        let mut rng = SplitMix(11);
        let day = 1_700_006_400u64;
        for dev in &f.devices {
            let max_wh = rated.of(dev.model) * 30 / 3600;
            for hour in 0..24u64 {
                let start = day + hour * 3600;
                let wh = discharge_wh(dev, &rated, start, start + 30, &mut rng);
                assert!(
                    (1..=max_wh).contains(&wh),
                    "{} at {hour} h UTC: {wh} Wh (max {max_wh})",
                    dev.timezone
                );
            }
            // A zero-length window discharges nothing.
            assert_eq!(discharge_wh(dev, &rated, day, day, &mut rng), 0);
        }
    }
}

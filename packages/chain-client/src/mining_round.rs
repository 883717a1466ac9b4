//! The mining-round contract: message builders and the typed client.
//!
//! [`DeviceRegistration`] is the one description of a device registration: the fleet manifest
//! (`cube-sim fleet --registrations-out`) is a [`FleetManifest`] of them, and
//! [`DeviceRegistration::to_msg`] is the one place that builds `RegisterDevice`. Signing stays
//! with whoever holds the keys: the manufacturer signs `cube_scoring::certificate_message`, the
//! device signs `cube_scoring::possession_message` (bound to chain, contract, owner and
//! registration nonce).

use cosmwasm_std::Binary;
use cube_types::mining_round::{DeviceModel, ExecuteMsg};
use serde::{Deserialize, Serialize};

/// Everything `RegisterDevice` needs for one device, plus who sends it: one record of the fleet
/// manifest. Keys and signatures are hex in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRegistration {
    /// The owner address: the sender of `RegisterDevice`, bound into the possession signature.
    pub owner: String,
    /// Device ed25519 public key.
    #[serde(with = "crate::hex_bytes")]
    pub pubkey: [u8; 32],
    /// Hardware model.
    pub model: DeviceModel,
    /// Manufacturer serial number.
    pub serial: String,
    /// IANA time zone of the device.
    pub timezone: String,
    /// Paired battery id, when the device has one (read by the relayers' device directory, not
    /// sent on chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_id: Option<String>,
    /// Manufacturer ed25519 signature over `certificate_message(pubkey, model, serial)`.
    #[serde(with = "crate::hex_bytes")]
    pub certificate: [u8; 64],
    /// The registration nonce the possession signature is for (`RegistrationNonce`: 0 for a
    /// new device, +1 per registration).
    #[serde(default)]
    pub nonce: u64,
    /// Device ed25519 signature over `possession_message(chain, contract, owner, pubkey, nonce)`.
    #[serde(with = "crate::hex_bytes")]
    pub possession_signature: [u8; 64],
}

impl DeviceRegistration {
    /// The `RegisterDevice` message (to be sent by [`owner`](Self::owner)).
    pub fn to_msg(&self) -> ExecuteMsg {
        register_device_msg(self)
    }
}

/// `RegisterDevice` for `r`.
pub fn register_device_msg(r: &DeviceRegistration) -> ExecuteMsg {
    ExecuteMsg::RegisterDevice {
        pubkey: Binary::from(r.pubkey.to_vec()),
        model: r.model,
        serial: r.serial.clone(),
        timezone: r.timezone.clone(),
        certificate: Binary::from(r.certificate.to_vec()),
        possession_signature: Binary::from(r.possession_signature.to_vec()),
    }
}

/// The fleet manifest `cube-sim fleet --registrations-out` writes and the demo reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetManifest {
    /// The manufacturer key that certified the fleet (must be in the contract's
    /// `manufacturer_keys`).
    #[serde(with = "crate::hex_bytes")]
    pub manufacturer_pubkey: [u8; 32],
    /// One registration per device.
    pub devices: Vec<DeviceRegistration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DeviceRegistration {
        DeviceRegistration {
            owner: "wasm1o".into(),
            pubkey: [1; 32],
            model: DeviceModel::CubeV2,
            serial: "SN-1".into(),
            timezone: "UTC".into(),
            battery_id: Some("WL-BAT-A".into()),
            certificate: [2; 64],
            nonce: 0,
            possession_signature: [3; 64],
        }
    }

    #[test]
    fn manifest_records_round_trip_as_hex_and_become_register_messages() {
        let m = FleetManifest {
            manufacturer_pubkey: [0x0a; 32],
            devices: vec![sample()],
        };
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["manufacturer_pubkey"], "0a".repeat(32));
        assert_eq!(json["devices"][0]["pubkey"], "01".repeat(32));
        assert_eq!(json["devices"][0]["model"], "cube_v2");
        let back: FleetManifest = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
        let expected = ExecuteMsg::RegisterDevice {
            pubkey: Binary::from(vec![1u8; 32]),
            model: DeviceModel::CubeV2,
            serial: "SN-1".into(),
            timezone: "UTC".into(),
            certificate: Binary::from(vec![2u8; 64]),
            possession_signature: Binary::from(vec![3u8; 64]),
        };
        assert_eq!(back.devices[0].to_msg(), expected);
    }

    #[test]
    fn a_record_without_battery_or_nonce_reads_and_bad_hex_is_an_error() {
        let mut json = serde_json::to_value(sample()).unwrap();
        let obj = json.as_object_mut().unwrap();
        obj.remove("battery_id");
        obj.remove("nonce");
        let r: DeviceRegistration = serde_json::from_value(json.clone()).unwrap();
        assert_eq!((r.battery_id, r.nonce), (None, 0));
        json["certificate"] = "zz".into();
        let err = serde_json::from_value::<DeviceRegistration>(json).unwrap_err();
        assert!(err.to_string().contains("64 bytes"), "{err}");
    }
}

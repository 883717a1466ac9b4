//! Test Cubes: a device key, a model and a serial, signing their own registrations (the
//! manufacturer certificate with a manufacturer key, the possession proof with the device key)
//! into chain-client's [`DeviceRegistration`].

use chain_client::mining_round::DeviceRegistration;
use cube_scoring::{certificate_message, possession_message, INITIAL_REGISTRATION_CHALLENGE};
use cube_types::mining_round::DeviceModel;
use ed25519_dalek::{Signer as _, SigningKey};

/// `RegistrationNonce` of a device never registered: nonce 0, the zero challenge.
pub const NEW_DEVICE: (u64, [u8; 32]) = (0, INITIAL_REGISTRATION_CHALLENGE);

/// A test device.
pub struct TestDevice {
    /// Device key.
    pub key: SigningKey,
    /// Model.
    pub model: DeviceModel,
    /// Serial number.
    pub serial: String,
}

impl TestDevice {
    /// A device with key `[seed; 32]` and serial `<prefix>-<seed>`.
    pub fn new(seed: u8, model: DeviceModel, serial_prefix: &str) -> Self {
        TestDevice {
            key: SigningKey::from_bytes(&[seed; 32]),
            model,
            serial: format!("{serial_prefix}-{seed:04}"),
        }
    }

    /// The device public key.
    pub fn pubkey(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// Registration for `owner` on `contract` of `chain_id`, certified by `manufacturer`, the
    /// possession proven for `possession_owner` (the owner in a valid registration) over the
    /// registration challenge of `at` = (nonce, challenge), the device's `RegistrationNonce`
    /// ([`NEW_DEVICE`] for a device never registered).
    pub fn registration(
        &self,
        chain_id: &str,
        contract: &str,
        manufacturer: &SigningKey,
        owner: &str,
        possession_owner: &str,
        at: (u64, [u8; 32]),
    ) -> DeviceRegistration {
        let (nonce, challenge) = at;
        let pubkey = self.pubkey();
        let certificate = manufacturer
            .sign(&certificate_message(&pubkey, self.model, &self.serial))
            .to_bytes();
        let possession_signature = self
            .key
            .sign(&possession_message(
                chain_id,
                contract,
                possession_owner,
                &pubkey,
                &challenge,
            ))
            .to_bytes();
        DeviceRegistration {
            owner: owner.to_string(),
            pubkey,
            model: self.model,
            serial: self.serial.clone(),
            timezone: "Europe/Berlin".to_string(),
            battery_id: None,
            certificate,
            nonce,
            challenge,
            possession_signature,
        }
    }
}

//! Cube telemetry, the Cube's wire format: the reading a device signs, its canonical byte
//! encoding, ed25519 signing and verification, the JSON form used over HTTP, and the
//! device-directory file ([`DeviceRecord`]). Shared by the relayer and `cube-sim`.
//!
//! # Canonical encoding (version 1)
//!
//! The device signs `message = domain_prefix || body`, where every integer is big-endian and
//! every variable-length field is preceded by its length as a big-endian `u64` (the same
//! framing as the `cube-scoring` encodings):
//!
//! ```text
//! domain_prefix = lp("cube-telemetry/v1") || lp(chain_id) || lp(mining_round_contract)
//! body          = device_pubkey[32]
//!              || sequence u64 || window_start u64 || window_end u64
//!              || discharged_wh u64 || charged_wh u64
//!              || lp(battery_id) || lp(firmware)
//! lp(x)         = len(x) as u64 BE || x
//! ```
//!
//! The domain prefix names the network (chain id) and the mining-round contract, so a reading
//! signed for one deployment never verifies for another. Times are unix seconds (UTC).
//!
//! # JSON form
//!
//! ```json
//! { "device_pubkey": "<64 lowercase hex>", "sequence": 7, "window_start": 1700000000,
//!   "window_end": 1700003600, "discharged_wh": 420, "charged_wh": 0,
//!   "battery_id": "BAT-1", "firmware": "1.4.2", "signature": "<128 lowercase hex>" }
//! ```
//!
//! Keys and signatures are hex (upper or lower case accepted, lower case emitted); integers
//! are JSON numbers (u64).
//!
//! # Verification: one predicate per reading
//!
//! A reading is valid when its signature passes **ZIP-215** verification: `s < l`, `A` and `R`
//! any encodings of curve points, and the cofactored equation `[8][s]B = [8]R + [8][k]A`. It
//! is the rule of the chain's own `ed25519_verify` (CosmWasm verifies with the same
//! `ed25519-zebra` crate), and its batch form accepts a batch exactly when every item passes
//! alone. The cofactorless rule (`[s]B = R + [k]A`) does not have that property: a signature
//! whose `R` carries a small-order component fails alone but passes a cofactorless batch
//! whenever its batch coefficient is even, so two relayers verifying the same reading inside
//! different batches would disagree about it.

pub mod batch;
mod device_file;

pub use device_file::{read_device_file, write_device_file, DeviceFileError, DeviceRecord};

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Domain tag, first field of every signed message.
pub const DOMAIN_TAG: &str = "cube-telemetry/v1";
/// Maximum length in bytes of `battery_id` and of `firmware`.
pub const MAX_TEXT_LEN: usize = 64;

/// Errors of decoding and verifying readings.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum TelemetryError {
    /// A hex field does not decode to the expected number of bytes.
    #[error("field {field}: expected {expected} bytes of hex")]
    BadHex {
        /// JSON field name.
        field: &'static str,
        /// Expected byte length.
        expected: usize,
    },
    /// `battery_id` or `firmware` is longer than [`MAX_TEXT_LEN`].
    #[error("field {field} is {len} bytes, at most {max} allowed")]
    TextTooLong {
        /// JSON field name.
        field: &'static str,
        /// Actual length.
        len: usize,
        /// Maximum.
        max: usize,
    },
    /// The public key is not a valid ed25519 point.
    #[error("invalid ed25519 public key")]
    BadPublicKey,
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

/// One telemetry reading as the device produces it (unsigned part).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reading {
    /// ed25519 public key of the device.
    pub device_pubkey: [u8; 32],
    /// Strictly increasing per device.
    pub sequence: u64,
    /// Window start, unix seconds (inclusive).
    pub window_start: u64,
    /// Window end, unix seconds (exclusive).
    pub window_end: u64,
    /// Energy discharged in the window, Wh.
    pub discharged_wh: u64,
    /// Energy charged in the window, Wh.
    pub charged_wh: u64,
    /// Paired battery identifier (Bluetooth).
    pub battery_id: String,
    /// Firmware version string.
    pub firmware: String,
}

/// A reading with the device's signature over its canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignedReading {
    /// The signed content.
    pub reading: Reading,
    /// ed25519 signature (64 bytes) over [`Domain::message`].
    pub signature: [u8; 64],
}

/// Appends the canonical `body` of `reading` (the signed message without the domain prefix,
/// see the module documentation) to `out`. Also the unit of the round digest.
pub fn encode_body(reading: &Reading, out: &mut Vec<u8>) {
    out.extend_from_slice(&reading.device_pubkey);
    for v in [
        reading.sequence,
        reading.window_start,
        reading.window_end,
        reading.discharged_wh,
        reading.charged_wh,
    ] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    put_lp(out, reading.battery_id.as_bytes());
    put_lp(out, reading.firmware.as_bytes());
}

/// The deployment a reading is signed for: chain id and mining-round contract address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    prefix: Vec<u8>,
}

fn put_lp(out: &mut Vec<u8>, bytes: &[u8]) {
    // usize -> u64 never narrows on supported targets.
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

impl Domain {
    /// Domain of the given chain and mining-round contract.
    pub fn new(chain_id: &str, contract: &str) -> Self {
        let mut prefix = Vec::with_capacity(32 + chain_id.len() + contract.len());
        put_lp(&mut prefix, DOMAIN_TAG.as_bytes());
        put_lp(&mut prefix, chain_id.as_bytes());
        put_lp(&mut prefix, contract.as_bytes());
        Domain { prefix }
    }

    /// The canonical message a device signs for `reading` (see the module documentation).
    pub fn message(&self, reading: &Reading) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            self.prefix.len() + 32 + 40 + 8 + reading.battery_id.len() + reading.firmware.len(),
        );
        out.extend_from_slice(&self.prefix);
        encode_body(reading, &mut out);
        out
    }

    /// Signs `reading` with the device key. The reading's `device_pubkey` must be the key's
    /// public half for the result to verify.
    pub fn sign(&self, key: &SigningKey, reading: Reading) -> SignedReading {
        let signature = key.sign(&self.message(&reading)).to_bytes();
        SignedReading { reading, signature }
    }

    /// Verifies one signed reading: the **acceptance predicate** of every path (ingest, peer
    /// import), ZIP-215 cofactored verification (see the module documentation).
    pub fn verify(&self, signed: &SignedReading) -> Result<(), TelemetryError> {
        let key = zebra_key(&signed.reading.device_pubkey)?;
        key.verify(
            &zebra_sig(&signed.signature),
            &self.message(&signed.reading),
        )
        .map_err(|_| TelemetryError::BadSignature)
    }

    /// Verifies many readings, returning one result per input in order, each equal to
    /// [`Domain::verify`] of that input. Cofactored batch verification (random 128-bit
    /// coefficients from the operating system) is only a fast path: it accepts a batch exactly
    /// when every item would pass alone (up to a 2^-128 chance), and when it refuses, every item
    /// is verified alone to name the bad ones. So no verdict depends on the other items of the
    /// batch.
    pub fn verify_many(&self, items: &[&SignedReading]) -> Vec<Result<(), TelemetryError>> {
        if self.verify_batch(items) {
            return items.iter().map(|_| Ok(())).collect();
        }
        items.iter().map(|s| self.verify(s)).collect()
    }

    /// Whether every signature of `items` is valid, by one batch verification (ZIP-215, as
    /// [`Self::verify`]). `false` says only that at least one is not; [`Self::verify`] tells
    /// which.
    pub fn verify_batch(&self, items: &[&SignedReading]) -> bool {
        let mut batch = ed25519_zebra::batch::Verifier::new();
        for s in items {
            let vk = ed25519_zebra::VerificationKeyBytes::from(s.reading.device_pubkey);
            let msg = self.message(&s.reading);
            batch.queue((vk, zebra_sig(&s.signature), &msg));
        }
        batch.verify(rand::rngs::OsRng).is_ok()
    }
}

/// The device key as a ZIP-215 verification key (any encoding of a curve point).
fn zebra_key(bytes: &[u8; 32]) -> Result<ed25519_zebra::VerificationKey, TelemetryError> {
    ed25519_zebra::VerificationKey::try_from(*bytes).map_err(|_| TelemetryError::BadPublicKey)
}

fn zebra_sig(bytes: &[u8; 64]) -> ed25519_zebra::Signature {
    ed25519_zebra::Signature::from_bytes(bytes)
}

/// JSON form of a signed reading (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingJson {
    /// 32-byte ed25519 public key, hex.
    pub device_pubkey: String,
    /// Strictly increasing per device.
    pub sequence: u64,
    /// Window start, unix seconds.
    pub window_start: u64,
    /// Window end, unix seconds.
    pub window_end: u64,
    /// Discharged energy, Wh.
    pub discharged_wh: u64,
    /// Charged energy, Wh.
    pub charged_wh: u64,
    /// Paired battery id.
    pub battery_id: String,
    /// Firmware version.
    pub firmware: String,
    /// 64-byte ed25519 signature, hex.
    pub signature: String,
}

fn decode_fixed<const N: usize>(field: &'static str, s: &str) -> Result<[u8; N], TelemetryError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|_| TelemetryError::BadHex { field, expected: N })?;
    Ok(out)
}

fn check_text(field: &'static str, s: &str) -> Result<(), TelemetryError> {
    if s.len() > MAX_TEXT_LEN {
        return Err(TelemetryError::TextTooLong {
            field,
            len: s.len(),
            max: MAX_TEXT_LEN,
        });
    }
    Ok(())
}

impl TryFrom<&ReadingJson> for SignedReading {
    type Error = TelemetryError;

    fn try_from(j: &ReadingJson) -> Result<Self, Self::Error> {
        check_text("battery_id", &j.battery_id)?;
        check_text("firmware", &j.firmware)?;
        Ok(SignedReading {
            reading: Reading {
                device_pubkey: decode_fixed::<32>("device_pubkey", &j.device_pubkey)?,
                sequence: j.sequence,
                window_start: j.window_start,
                window_end: j.window_end,
                discharged_wh: j.discharged_wh,
                charged_wh: j.charged_wh,
                battery_id: j.battery_id.clone(),
                firmware: j.firmware.clone(),
            },
            signature: decode_fixed::<64>("signature", &j.signature)?,
        })
    }
}

impl From<&SignedReading> for ReadingJson {
    fn from(s: &SignedReading) -> Self {
        let r = &s.reading;
        ReadingJson {
            device_pubkey: hex::encode(r.device_pubkey),
            sequence: r.sequence,
            window_start: r.window_start,
            window_end: r.window_end,
            discharged_wh: r.discharged_wh,
            charged_wh: r.charged_wh,
            battery_id: r.battery_id.clone(),
            firmware: r.firmware.clone(),
            signature: hex::encode(s.signature),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn reading(k: &SigningKey) -> Reading {
        Reading {
            device_pubkey: k.verifying_key().to_bytes(),
            sequence: 7,
            window_start: 1_700_000_000,
            window_end: 1_700_003_600,
            discharged_wh: 420,
            charged_wh: 5,
            battery_id: "BAT-1".into(),
            firmware: "1.4.2".into(),
        }
    }

    #[test]
    fn encoding_vector() {
        let d = Domain::new("cube-1", "wasm1contract");
        let k = key(1);
        let msg = d.message(&reading(&k));
        let mut expected = Vec::new();
        expected.extend_from_slice(&17u64.to_be_bytes());
        expected.extend_from_slice(b"cube-telemetry/v1");
        expected.extend_from_slice(&6u64.to_be_bytes());
        expected.extend_from_slice(b"cube-1");
        expected.extend_from_slice(&13u64.to_be_bytes());
        expected.extend_from_slice(b"wasm1contract");
        expected.extend_from_slice(&k.verifying_key().to_bytes());
        expected.extend_from_slice(&7u64.to_be_bytes());
        expected.extend_from_slice(&1_700_000_000u64.to_be_bytes());
        expected.extend_from_slice(&1_700_003_600u64.to_be_bytes());
        expected.extend_from_slice(&420u64.to_be_bytes());
        expected.extend_from_slice(&5u64.to_be_bytes());
        expected.extend_from_slice(&5u64.to_be_bytes());
        expected.extend_from_slice(b"BAT-1");
        expected.extend_from_slice(&5u64.to_be_bytes());
        expected.extend_from_slice(b"1.4.2");
        assert_eq!(msg, expected);
        assert_eq!(msg.len(), 8 + 17 + 8 + 6 + 8 + 13 + 32 + 40 + 8 + 5 + 8 + 5);
        assert_eq!(
            hex::encode(&msg[..25]),
            "0000000000000011637562652d74656c656d657472792f7631"
        );
    }

    #[test]
    fn signature_vector_is_stable() {
        // ed25519 is deterministic: this vector pins key derivation, encoding and signing.
        let d = Domain::new("cube-1", "wasm1contract");
        let k = key(1);
        let s = d.sign(&k, reading(&k));
        assert_eq!(
            hex::encode(k.verifying_key().to_bytes()),
            "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
        );
        let sig_hex = hex::encode(s.signature);
        assert_eq!(
            sig_hex,
            "38ef766857c91f9a5fbb359d43bc39d69978412b0d198f06fa2e00d0c8dc3a7b\
             d3485a774777ba59737661b61e2118301e3db87a210636def2a0d6fa649d1a02"
        );
        // Re-signing yields the identical signature (determinism), and it verifies.
        assert_eq!(d.sign(&k, reading(&k)).signature, s.signature);
        assert_eq!(d.verify(&s), Ok(()));
    }

    #[test]
    fn domain_separation() {
        let k = key(2);
        let a = Domain::new("cube-1", "wasm1a");
        let s = a.sign(&k, reading(&k));
        assert_eq!(a.verify(&s), Ok(()));
        assert_eq!(
            Domain::new("cube-2", "wasm1a").verify(&s),
            Err(TelemetryError::BadSignature)
        );
        assert_eq!(
            Domain::new("cube-1", "wasm1b").verify(&s),
            Err(TelemetryError::BadSignature)
        );
        // Length prefixes prevent shifting bytes between chain id and contract.
        assert_eq!(
            Domain::new("cube-1w", "asm1a").verify(&s),
            Err(TelemetryError::BadSignature)
        );
    }

    #[test]
    fn every_field_is_covered() {
        let d = Domain::new("c", "x");
        let k = key(3);
        let s = d.sign(&k, reading(&k));
        type Mutation = Box<dyn Fn(&mut Reading)>;
        let mutations: Vec<Mutation> = vec![
            Box::new(|r| r.sequence += 1),
            Box::new(|r| r.window_start += 1),
            Box::new(|r| r.window_end += 1),
            Box::new(|r| r.discharged_wh += 1),
            Box::new(|r| r.charged_wh += 1),
            Box::new(|r| r.battery_id.push('x')),
            Box::new(|r| r.firmware.push('x')),
        ];
        for m in mutations {
            let mut t = s.clone();
            m(&mut t.reading);
            assert_eq!(d.verify(&t), Err(TelemetryError::BadSignature));
        }
    }

    #[test]
    fn batch_verification_names_bad_items() {
        let d = Domain::new("c", "x");
        let mut items: Vec<SignedReading> = (0..10u8)
            .map(|i| {
                let k = key(10 + i);
                d.sign(&k, reading(&k))
            })
            .collect();
        let refs: Vec<&SignedReading> = items.iter().collect();
        assert_eq!(d.verify_many(&refs), vec![Ok(()); 10]);
        assert_eq!(d.verify_many(&[]), Vec::new());
        items[3].signature[0] ^= 1;
        items[7].reading.discharged_wh = 1;
        // A key that is no curve point at all (the first small y with no x).
        let not_a_point = (2u8..=100)
            .map(|y| {
                let mut b = [0u8; 32];
                b[0] = y;
                b
            })
            .find(|b| ed25519_zebra::VerificationKey::try_from(*b).is_err())
            .unwrap_or_else(|| panic!("some small y is off the curve"));
        items[9].reading.device_pubkey = not_a_point;
        let refs: Vec<&SignedReading> = items.iter().collect();
        let res = d.verify_many(&refs);
        assert_eq!(res.len(), items.len());
        // The same verdicts one by one: batching never changes one.
        for (s, r) in items.iter().zip(&res) {
            assert_eq!(&d.verify(s), r);
        }
        assert_eq!(res[9], Err(TelemetryError::BadPublicKey));
        for (i, r) in res.iter().take(9).enumerate() {
            if i == 3 || i == 7 {
                assert_eq!(*r, Err(TelemetryError::BadSignature), "item {i}");
            } else {
                assert_eq!(*r, Ok(()), "item {i}");
            }
        }
    }

    #[test]
    fn json_round_trip_and_errors() {
        let d = Domain::new("c", "x");
        let k = key(4);
        let s = d.sign(&k, reading(&k));
        let j = ReadingJson::from(&s);
        let text = serde_json::to_string(&j).unwrap_or_default();
        let back: ReadingJson = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(SignedReading::try_from(&back), Ok(s.clone()));

        let mut bad = j.clone();
        bad.signature.pop();
        assert_eq!(
            SignedReading::try_from(&bad),
            Err(TelemetryError::BadHex {
                field: "signature",
                expected: 64
            })
        );
        let mut bad = j.clone();
        bad.device_pubkey = "zz".repeat(32);
        assert_eq!(
            SignedReading::try_from(&bad),
            Err(TelemetryError::BadHex {
                field: "device_pubkey",
                expected: 32
            })
        );
        let mut bad = j;
        bad.firmware = "f".repeat(65);
        assert_eq!(
            SignedReading::try_from(&bad),
            Err(TelemetryError::TextTooLong {
                field: "firmware",
                len: 65,
                max: 64
            })
        );
    }
}

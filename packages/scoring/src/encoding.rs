//! Canonical byte encodings. Every variable-length field is prefixed with its length as a
//! big-endian `u64`; every integer is big-endian fixed width; every message starts with a
//! length-prefixed ASCII domain tag so a signature or hash made for one purpose can never be
//! valid for another.

use sha2::{Digest, Sha256};

use crate::{DeviceModel, ScoringError, UsageEntry};

/// Domain tag of [`certificate_message`].
pub const CERTIFICATE_TAG: &[u8] = b"cube-mining/device-certificate/v1";
/// Domain tag of [`possession_message`]. `v2` signs a registration challenge where `v1` signed a
/// predictable nonce, so a `v1` signature can never verify.
pub const POSSESSION_TAG: &[u8] = b"cube-mining/device-possession/v2";
/// Domain tag of [`next_registration_challenge`].
pub const REGISTRATION_CHALLENGE_TAG: &[u8] = b"cube-registration-challenge/v1";
/// Registration challenge of a device never registered: 32 zero bytes.
pub const INITIAL_REGISTRATION_CHALLENGE: [u8; 32] = [0u8; 32];
/// Transaction index [`next_registration_challenge`] encodes when the registration is not
/// executed inside a transaction (`env.transaction` absent).
pub const NO_TRANSACTION_INDEX: u32 = 0xFFFF_FFFF;
/// Domain tag of [`encode_batch`].
pub const BATCH_TAG: &[u8] = b"cube-mining/usage-batch/v1";

fn put_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    // usize -> u64 never narrows on any supported target (wasm32, 64-bit hosts).
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// The message a manufacturer key signs to certify a device:
///
/// `lp(CERTIFICATE_TAG) ‖ lp(pubkey[32]) ‖ lp(model name) ‖ lp(serial utf-8)`
///
/// where `lp(x) = u64_be(len(x)) ‖ x` and the model name is `"cube_v1"` or `"cube_v2"`.
pub fn certificate_message(pubkey: &[u8; 32], model: DeviceModel, serial: &str) -> Vec<u8> {
    let mut buf = Vec::with_capacity(8 * 4 + CERTIFICATE_TAG.len() + 32 + 7 + serial.len());
    put_bytes(&mut buf, CERTIFICATE_TAG);
    put_bytes(&mut buf, pubkey);
    put_bytes(&mut buf, model.as_str().as_bytes());
    put_bytes(&mut buf, serial.as_bytes());
    buf
}

/// The message the device key signs to prove that `owner` holds the device, bound to one
/// chain, one contract and one registration challenge:
///
/// `lp(POSSESSION_TAG) ‖ lp(chain_id) ‖ lp(contract_addr) ‖ lp(owner) ‖ lp(pubkey[32])
///   ‖ challenge[32]`
///
/// `challenge` is the device's current registration challenge (query `RegistrationNonce`):
/// [`INITIAL_REGISTRATION_CHALLENGE`] (32 zero bytes) for a device never registered, replaced by
/// [`next_registration_challenge`] on every successful registration. The next challenge depends
/// on the height and nanosecond time of the block that carries the registration, so a signature
/// is valid for exactly one registration, can never be replayed to move the device again, and
/// cannot be prepared for a later registration before the previous one is on chain.
pub fn possession_message(
    chain_id: &str,
    contract_addr: &str,
    owner: &str,
    pubkey: &[u8; 32],
    challenge: &[u8; 32],
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(
        8 * 5 + POSSESSION_TAG.len() + chain_id.len() + contract_addr.len() + owner.len() + 64,
    );
    put_bytes(&mut buf, POSSESSION_TAG);
    put_bytes(&mut buf, chain_id.as_bytes());
    put_bytes(&mut buf, contract_addr.as_bytes());
    put_bytes(&mut buf, owner.as_bytes());
    put_bytes(&mut buf, pubkey);
    buf.extend_from_slice(challenge);
    buf
}

/// The block that carries a registration, as bound by [`next_registration_challenge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegistrationBlock {
    /// Block height (`env.block.height`).
    pub height: u64,
    /// Block time in nanoseconds since the Unix epoch (`env.block.time.nanos()`).
    pub time_nanos: u64,
    /// Index of the transaction in the block (`env.transaction.index`); `None` when the
    /// registration is not executed in a transaction, encoded as [`NO_TRANSACTION_INDEX`].
    pub tx_index: Option<u32>,
}

/// The registration challenge a device gets from a successful registration, which the next
/// possession signature must sign (see [`possession_message`]):
///
/// ```text
/// sha256( lp(REGISTRATION_CHALLENGE_TAG) ‖ previous[32] ‖ lp(chain_id) ‖ lp(contract_addr)
///   ‖ lp(owner) ‖ pubkey[32] ‖ u64_be(block height) ‖ u64_be(block time in nanoseconds)
///   ‖ u32_be(transaction index, or 0xFFFF_FFFF when absent) ‖ u64_be(nonce) )
/// ```
///
/// `previous` is the challenge the registration signed, `owner` the new owner and `nonce` the
/// registration nonce after the registration. The block height and nanosecond time are unknown
/// before the block that contains the registration exists, so no one (in particular a seller
/// who held the device before) can have the device sign for the next registration in advance.
pub fn next_registration_challenge(
    previous: &[u8; 32],
    chain_id: &str,
    contract_addr: &str,
    owner: &str,
    pubkey: &[u8; 32],
    block: &RegistrationBlock,
    nonce: u64,
) -> [u8; 32] {
    let mut buf = Vec::with_capacity(
        8 * 4
            + REGISTRATION_CHALLENGE_TAG.len()
            + chain_id.len()
            + contract_addr.len()
            + owner.len()
            + 32
            + 32
            + 8
            + 8
            + 4
            + 8,
    );
    put_bytes(&mut buf, REGISTRATION_CHALLENGE_TAG);
    buf.extend_from_slice(previous);
    put_bytes(&mut buf, chain_id.as_bytes());
    put_bytes(&mut buf, contract_addr.as_bytes());
    put_bytes(&mut buf, owner.as_bytes());
    buf.extend_from_slice(pubkey);
    buf.extend_from_slice(&block.height.to_be_bytes());
    buf.extend_from_slice(&block.time_nanos.to_be_bytes());
    buf.extend_from_slice(&block.tx_index.unwrap_or(NO_TRANSACTION_INDEX).to_be_bytes());
    buf.extend_from_slice(&nonce.to_be_bytes());
    Sha256::digest(&buf).into()
}

/// Canonical encoding of an attestation batch:
///
/// ```text
/// lp(BATCH_TAG) ‖ u64_be(round) ‖ u32_be(batch_index) ‖ u32_be(batch_count)
///   ‖ u32_be(policy_version) ‖ u64_be(len(entries))
///   ‖ for each entry: lp(owner utf-8) ‖ u64_be(wh[0][0]) ‖ u64_be(wh[0][1]) ‖ u64_be(wh[0][2])
///                                    ‖ u64_be(wh[1][0]) ‖ u64_be(wh[1][1]) ‖ u64_be(wh[1][2])
/// ```
///
/// Entries must be sorted by owner strictly ascending (byte order of the UTF-8 string), so
/// equal data has exactly one encoding; otherwise [`ScoringError::UnsortedEntries`].
pub fn encode_batch(
    round: u64,
    batch_index: u32,
    batch_count: u32,
    policy_version: u32,
    entries: &[UsageEntry],
) -> Result<Vec<u8>, ScoringError> {
    let mut buf = Vec::with_capacity(8 + BATCH_TAG.len() + 28 + entries.len() * 104);
    put_bytes(&mut buf, BATCH_TAG);
    buf.extend_from_slice(&round.to_be_bytes());
    buf.extend_from_slice(&batch_index.to_be_bytes());
    buf.extend_from_slice(&batch_count.to_be_bytes());
    buf.extend_from_slice(&policy_version.to_be_bytes());
    let count = u64::try_from(entries.len()).unwrap_or(u64::MAX);
    buf.extend_from_slice(&count.to_be_bytes());
    let mut previous: Option<&str> = None;
    for (index, entry) in entries.iter().enumerate() {
        if let Some(prev) = previous {
            if prev.as_bytes() >= entry.owner.as_bytes() {
                return Err(ScoringError::UnsortedEntries {
                    index,
                    owner: entry.owner.clone(),
                });
            }
        }
        previous = Some(&entry.owner);
        put_bytes(&mut buf, entry.owner.as_bytes());
        for wh in entry.buckets.wh.iter().flatten() {
            buf.extend_from_slice(&wh.to_be_bytes());
        }
    }
    Ok(buf)
}

/// SHA-256 of [`encode_batch`]: the value an oracle votes for.
pub fn batch_hash(
    round: u64,
    batch_index: u32,
    batch_count: u32,
    policy_version: u32,
    entries: &[UsageEntry],
) -> Result<[u8; 32], ScoringError> {
    let bytes = encode_batch(round, batch_index, batch_count, policy_version, entries)?;
    Ok(Sha256::digest(&bytes).into())
}

//! # cube-scoring
//!
//! The pure, dependency-light core shared by the `mining-round` contract (wasm), the relayer
//! (native) and the device simulator, so that all of them produce bit-identical results:
//!
//! * [`ScorePolicy`]: the three multipliers of the mining rules (M1 hardware, M2 time of use,
//!   M3 product mix) in basis points, and the 24-hour time-of-use table.
//! * [`UsageBuckets`] / [`UsageEntry`]: energy discharged (Wh) by battery class × time-of-use
//!   class for one owner and one round.
//! * [`ScorePolicy::score`]: S = M3 · Σ wh\[b\]\[c\] · M1\[b\] · M2\[c\], integers only, exact in
//!   `u128`, floored once, in micro-points (1 Wh at multiplier 1.0 = 1_000_000 micro-points).
//! * [`certificate_message`] / [`possession_message`]: the byte strings the manufacturer key and
//!   the device key sign (ed25519); [`next_registration_challenge`]: the challenge a device's
//!   next possession signature must sign, derived from the block of its last registration.
//! * [`encode_batch`] / [`batch_hash`]: the canonical encoding of an attestation batch and its
//!   SHA-256, the value oracles vote for.
//! * [`RatedPower`]: rated power per model, which bounds plausible energy per round.
//!
//! No I/O, no floating point, no panics: fallible functions return [`ScoringError`].

mod encoding;
mod error;
mod policy;
mod usage;

pub use encoding::{
    batch_hash, certificate_message, encode_batch, next_registration_challenge, possession_message,
    RegistrationBlock, BATCH_TAG, CERTIFICATE_TAG, INITIAL_REGISTRATION_CHALLENGE,
    NO_TRANSACTION_INDEX, POSSESSION_TAG, REGISTRATION_CHALLENGE_TAG,
};
pub use error::ScoringError;
pub use policy::{
    ScorePolicy, TouRange, BP_ONE, DEFAULT_DUAL_PRODUCT_BP, DEFAULT_OFF_PEAK_BP, DEFAULT_PEAK_BP,
    DEFAULT_SINGLE_PRODUCT_BP, DEFAULT_STANDARD_BP, DEFAULT_VALLEY_BP, DEFAULT_WHITELISTED_BP,
    MAX_MULTIPLIER_BP, MAX_TOU_RANGES, MICRO_POINTS_PER_POINT,
};
pub use usage::{BatteryClass, DeviceModel, RatedPower, TouClass, UsageBuckets, UsageEntry};

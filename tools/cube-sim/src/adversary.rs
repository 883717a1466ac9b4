//! Adversarial devices: signatures that are valid under one ed25519 verification rule and
//! invalid under another, for tests that check every relayer reaches the same verdict about
//! the same reading whatever batch it happens to be verified in.
//!
//! ed25519 verification comes in two flavours. Cofactorless verification checks
//! `[s]B = R + [k]A`; cofactored verification (ZIP-215, the rule of the chain's own
//! `ed25519_verify`) checks `[8][s]B = [8]R + [8][k]A`. A signer who adds a small-order point
//! `T` to its nonce commitment `R` produces a signature that satisfies the cofactored equation
//! (`[8]T` is the identity) but not the cofactorless one (the difference is exactly `T`). A
//! cofactorless *batch* check multiplies each item's equation by a random coefficient `z` and
//! sums them, so the stray term becomes `[z]T`: with `T` of order 2 it vanishes exactly when
//! `z` is even. The same reading then passes or fails depending on what it was batched with.

use cube_telemetry::{Domain, Reading, SignedReading};
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha512};

/// Domain-separation tag of the torsion nonce derivation.
const NONCE_TAG: &[u8] = b"cube-sim/torsion-nonce/v1";

/// The point of order 2 on edwards25519, `(0, -1)`: the fifth element of the cyclic
/// 8-torsion subgroup `[i]P` (`i = 4`). Taken from the curve library's constant table rather
/// than decompressed at run time, so producing it cannot fail. Its compressed encoding is
/// `0xec, 0xff × 30, 0x7f` (y = p − 1, sign bit 0).
fn order_two_point() -> EdwardsPoint {
    EIGHT_TORSION[4]
}

/// SHA-512 of the concatenation of `parts`, as the 64-byte array a wide scalar reduction
/// takes.
fn sha512_wide(parts: &[&[u8]]) -> [u8; 64] {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    let digest = h.finalize();
    let mut wide = [0u8; 64];
    for (w, d) in wide.iter_mut().zip(digest.iter()) {
        *w = *d;
    }
    wide
}

/// Signs `reading` with `key` but adds the order-2 torsion point to the nonce commitment R.
/// Cofactorless single verification (ed25519-dalek `verify`) always rejects the result;
/// cofactorless batch verification accepts it exactly when the item's batch coefficient is even;
/// cofactored (ZIP-215) verification, single or batched, always accepts it.
///
/// The nonce `r` is derived deterministically from (`nonce_seed`, the secret key bytes, the
/// signed message), so equal inputs give the identical signature. The reading is signed as
/// given: its `device_pubkey` should be `key`'s public half for the result to verify at all.
/// Never panics (every step is infallible arithmetic).
pub fn torsion_signed(
    domain: &Domain,
    key: &SigningKey,
    reading: Reading,
    nonce_seed: u64,
) -> SignedReading {
    let message = domain.message(&reading);
    let a = key.to_scalar();
    let a_bytes = key.verifying_key().to_bytes();
    let secret = key.to_bytes();
    let seed_bytes = nonce_seed.to_le_bytes();
    let r = Scalar::from_bytes_mod_order_wide(&sha512_wide(&[
        NONCE_TAG,
        &seed_bytes[..],
        &secret[..],
        message.as_slice(),
    ]));
    // R = r·B + T: a valid nonce commitment shifted by the point of order 2.
    let big_r = EdwardsPoint::mul_base(&r) + order_two_point();
    let r_bytes = big_r.compress().to_bytes();
    // k = H(R || A || M), exactly as every ed25519 verifier recomputes it.
    let k = Scalar::from_bytes_mod_order_wide(&sha512_wide(&[
        &r_bytes[..],
        &a_bytes[..],
        message.as_slice(),
    ]));
    let s_bytes = (r + k * a).to_bytes();
    let mut signature = [0u8; 64];
    for (dst, src) in signature
        .iter_mut()
        .zip(r_bytes.iter().chain(s_bytes.iter()))
    {
        *dst = *src;
    }
    SignedReading { reading, signature }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::traits::Identity;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn reading(k: &SigningKey, sequence: u64, wh: u64) -> Reading {
        Reading {
            device_pubkey: k.verifying_key().to_bytes(),
            sequence,
            window_start: 1_700_000_000 + sequence * 60,
            window_end: 1_700_000_000 + sequence * 60 + 60,
            discharged_wh: wh,
            charged_wh: wh / 3,
            battery_id: "BAT-T".into(),
            firmware: "sim-1.0.0".into(),
        }
    }

    #[test]
    fn order_two_point_is_y_minus_one() {
        let t = order_two_point();
        let mut expected = [0xffu8; 32];
        expected[0] = 0xec;
        expected[31] = 0x7f;
        assert_eq!(t.compress().to_bytes(), expected);
        assert_ne!(t, EdwardsPoint::identity());
        assert_eq!(t + t, EdwardsPoint::identity());
        assert_eq!(
            curve25519_dalek::edwards::CompressedEdwardsY(expected).decompress(),
            Some(t)
        );
    }

    #[test]
    fn deterministic_and_distinct_from_honest() {
        let d = Domain::new("cube-1", "wasm1contract");
        let k = key(7);
        let a = torsion_signed(&d, &k, reading(&k, 1, 40), 9);
        let b = torsion_signed(&d, &k, reading(&k, 1, 40), 9);
        assert_eq!(a, b);
        assert_ne!(torsion_signed(&d, &k, reading(&k, 1, 40), 10), a);
        assert_ne!(d.sign(&k, reading(&k, 1, 40)), a);
    }

    #[test]
    fn cofactorless_single_verification_rejects() {
        let d = Domain::new("cube-1", "wasm1contract");
        for seed in 1..=8u8 {
            let k = key(seed);
            let vk: VerifyingKey = k.verifying_key();
            let honest = d.sign(&k, reading(&k, u64::from(seed), 50));
            let msg = d.message(&honest.reading);
            assert!(vk
                .verify(&msg, &Signature::from_bytes(&honest.signature))
                .is_ok());
            let t = torsion_signed(&d, &k, reading(&k, u64::from(seed), 50), 1);
            let msg = d.message(&t.reading);
            assert!(vk
                .verify(&msg, &Signature::from_bytes(&t.signature))
                .is_err());
            assert!(vk
                .verify_strict(&msg, &Signature::from_bytes(&t.signature))
                .is_err());
        }
    }

    #[test]
    fn cofactored_zip215_verification_accepts() {
        let d = Domain::new("cube-1", "wasm1contract");
        for seed in 1..=8u8 {
            let k = key(seed);
            let t = torsion_signed(&d, &k, reading(&k, u64::from(seed), 70), 3);
            let msg = d.message(&t.reading);
            let zvk =
                ed25519_zebra::VerificationKey::try_from(k.verifying_key().to_bytes()).unwrap();
            let sig = ed25519_zebra::Signature::from_bytes(&t.signature);
            assert!(ed25519_zebra::VerificationKey::verify(&zvk, &sig, &msg).is_ok());
            // A torsion signature over another message does not verify (it is a signature,
            // not a universal pass).
            let mut other = t.reading.clone();
            other.discharged_wh += 1;
            let other_msg = d.message(&other);
            assert!(ed25519_zebra::VerificationKey::verify(&zvk, &sig, &other_msg).is_err());
        }
    }

    /// ed25519-dalek's cofactorless batch check derives each item's coefficient from a
    /// transcript of the whole batch, deterministically. The torsion item's stray term is
    /// `[z]T`, which vanishes exactly when its coefficient `z` is even, so among 32 batches of
    /// different compositions some pass and some fail (all of them agreeing would have
    /// probability 2^-31 over the transcript hash; being deterministic, this test either
    /// always passes or always fails).
    #[test]
    fn cofactorless_batch_verdict_depends_on_the_batch() {
        let d = Domain::new("cube-1", "wasm1contract");
        let tk = key(200);
        let torsion = torsion_signed(&d, &tk, reading(&tk, 1, 30), 5);
        let honest: Vec<(SigningKey, SignedReading)> = (1..=32u8)
            .map(|i| {
                let k = key(i);
                let s = d.sign(&k, reading(&k, u64::from(i), 10 + u64::from(i)));
                (k, s)
            })
            .collect();
        let (mut passes, mut fails) = (0u32, 0u32);
        for n in 1..=honest.len() {
            let mut messages: Vec<Vec<u8>> = vec![d.message(&torsion.reading)];
            let mut sigs = vec![Signature::from_bytes(&torsion.signature)];
            let mut keys = vec![tk.verifying_key()];
            for (k, s) in &honest[..n] {
                messages.push(d.message(&s.reading));
                sigs.push(Signature::from_bytes(&s.signature));
                keys.push(k.verifying_key());
            }
            let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
            if ed25519_dalek::verify_batch(&refs, &sigs, &keys).is_ok() {
                passes += 1;
            } else {
                fails += 1;
            }
            // Without the torsion item the honest part always passes.
            assert!(ed25519_dalek::verify_batch(&refs[1..], &sigs[1..], &keys[1..]).is_ok());
        }
        assert!(passes >= 1, "no composition passed ({fails} failed)");
        assert!(fails >= 1, "no composition failed ({passes} passed)");
    }
}

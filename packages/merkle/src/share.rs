//! Exact pro-rata shares and the next round's leaves.

use std::cmp::Ordering;

use crate::tree::check_sorted;
use crate::{Leaf, MerkleError, UsageBuckets};

/// floor(reward · score_i / Σ scores) per entry (256-bit intermediate, exact); all zeros when
/// Σ = 0. [`MerkleError::SumOverflow`] when Σ scores exceeds `u128`. Σ of the shares ≤ reward.
pub fn pro_rata(reward: u128, scores: &[u128]) -> Result<Vec<u128>, MerkleError> {
    let total = scores
        .iter()
        .try_fold(0u128, |sum, score| sum.checked_add(*score))
        .ok_or(MerkleError::SumOverflow)?;
    if total == 0 {
        return Ok(vec![0; scores.len()]);
    }
    scores
        .iter()
        .map(|score| share(reward, *score, total).ok_or(MerkleError::SumOverflow))
        .collect()
}

/// floor(reward · score / total) for score ≤ total, total > 0.
fn share(reward: u128, score: u128, total: u128) -> Option<u128> {
    match reward.checked_mul(score) {
        Some(product) => product.checked_div(total),
        None => {
            let (high, low) = mul_wide(reward, score);
            div_wide(high, low, total)
        }
    }
}

/// The full 256-bit product a · b as (high, low) 128-bit halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const LOW: u128 = u64::MAX as u128;
    let (a_high, a_low) = (a >> 64, a & LOW);
    let (b_high, b_low) = (b >> 64, b & LOW);
    // Each partial product of two 64-bit halves is < 2^128; the additions below cannot exceed
    // their type's range (mid ≤ 3 · (2^64 − 1); high is the top half of a product < 2^256),
    // so the wrapping operations are exact.
    let low_low = a_low.wrapping_mul(b_low);
    let low_high = a_low.wrapping_mul(b_high);
    let high_low = a_high.wrapping_mul(b_low);
    let high_high = a_high.wrapping_mul(b_high);
    let mid = (low_low >> 64)
        .wrapping_add(low_high & LOW)
        .wrapping_add(high_low & LOW);
    let low = (low_low & LOW) | (mid << 64);
    let high = high_high
        .wrapping_add(low_high >> 64)
        .wrapping_add(high_low >> 64)
        .wrapping_add(mid >> 64);
    (high, low)
}

/// floor((high · 2^128 + low) / divisor), `None` when the quotient does not fit `u128`
/// (high ≥ divisor) or divisor = 0. Restoring long division, one bit of `low` at a time.
fn div_wide(high: u128, low: u128, divisor: u128) -> Option<u128> {
    if divisor == 0 || high >= divisor {
        return None;
    }
    let mut remainder = high;
    let mut quotient = 0u128;
    for bit in (0..u128::BITS).rev() {
        // remainder < divisor < 2^128; shifted in, it may need a 129th bit (`carry`).
        let carry = remainder >> 127;
        remainder = (remainder << 1) | ((low >> bit) & 1);
        quotient <<= 1;
        if carry == 1 || remainder >= divisor {
            // With the carry the true value is 2^128 + remainder, and the difference is below
            // the divisor, so the wrapping subtraction is exact.
            remainder = remainder.wrapping_sub(divisor);
            quotient |= 1;
        }
    }
    Some(quotient)
}

/// The next round's leaves: every owner of `previous` (carried with zero buckets/score and the
/// same cumulative when absent this round) ∪ every owner of `usage` (owner, buckets, score), with
/// cumulative += pro_rata(reward, scores of this round). Sorted by owner.
///
/// `previous` must be sorted strictly by owner ([`MerkleError::UnsortedLeaves`] /
/// [`MerkleError::DuplicateOwner`]); `usage` may come in any order but each owner once
/// ([`MerkleError::DuplicateOwner`]). Σ of the cumulative increases = reward − rounding dust
/// (< number of usage entries), and exactly 0 when every score is 0.
pub fn next_leaves(
    previous: &[Leaf],
    usage: &[(String, UsageBuckets, u128)],
    reward: u128,
) -> Result<Vec<Leaf>, MerkleError> {
    check_sorted(previous)?;
    let scores: Vec<u128> = usage.iter().map(|(_, _, score)| *score).collect();
    let shares = pro_rata(reward, &scores)?;
    let mut entries: Vec<(&(String, UsageBuckets, u128), u128)> =
        usage.iter().zip(shares).collect();
    entries.sort_unstable_by(|(a, _), (b, _)| a.0.as_bytes().cmp(b.0.as_bytes()));
    for ((a, _), (b, _)) in entries.iter().zip(entries.iter().skip(1)) {
        if a.0 == b.0 {
            return Err(MerkleError::DuplicateOwner { owner: b.0.clone() });
        }
    }

    let mut next = Vec::with_capacity(previous.len().saturating_add(usage.len()));
    let mut carried = previous.iter().peekable();
    let mut fresh = entries.into_iter().peekable();
    loop {
        let order = match (carried.peek(), fresh.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(old), Some(((owner, _, _), _))) => old.owner.as_bytes().cmp(owner.as_bytes()),
        };
        let leaf = match order {
            Ordering::Less => match carried.next() {
                Some(old) => Leaf {
                    owner: old.owner.clone(),
                    buckets: UsageBuckets::default(),
                    score: 0,
                    cumulative: old.cumulative,
                },
                None => break,
            },
            Ordering::Greater => match fresh.next() {
                Some(((owner, buckets, score), share)) => Leaf {
                    owner: owner.clone(),
                    buckets: *buckets,
                    score: *score,
                    cumulative: share,
                },
                None => break,
            },
            Ordering::Equal => match (carried.next(), fresh.next()) {
                (Some(old), Some(((owner, buckets, score), share))) => Leaf {
                    owner: owner.clone(),
                    buckets: *buckets,
                    score: *score,
                    cumulative: old
                        .cumulative
                        .checked_add(share)
                        .ok_or(MerkleError::SumOverflow)?,
                },
                _ => break,
            },
        };
        next.push(leaf);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_wide_extremes() {
        assert_eq!(mul_wide(0, u128::MAX), (0, 0));
        assert_eq!(mul_wide(u128::MAX, 1), (0, u128::MAX));
        // (2^128 − 1)^2 = 2^256 − 2^129 + 1
        assert_eq!(mul_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_wide(1 << 64, 1 << 64), (1, 0));
        assert_eq!(mul_wide(1 << 127, 2), (1, 0));
    }

    #[test]
    fn div_wide_extremes() {
        assert_eq!(div_wide(1, 0, 2), Some(1 << 127));
        assert_eq!(div_wide(u128::MAX - 1, 1, u128::MAX), Some(u128::MAX));
        assert_eq!(div_wide(0, 7, 2), Some(3));
        assert_eq!(div_wide(2, 0, 2), None);
        assert_eq!(div_wide(0, 1, 0), None);
        // (2^255 + 5) / (2^127 + 1)
        let (high, low) = (1u128 << 127, 5u128);
        let divisor = (1u128 << 127) + 1;
        let q = div_wide(high, low, divisor).unwrap();
        // check q·d ≤ n < (q+1)·d
        let (ph, pl) = mul_wide(q, divisor);
        assert!((ph, pl) <= (high, low));
        let (nh, nl) = mul_wide(q + 1, divisor);
        assert!((nh, nl) > (high, low));
    }
}

//! The canonical leaves file: the text every oracle publishes next to its attestation so that
//! anyone can rebuild the tree and check the root.

use sha2::{Digest, Sha256};

use crate::tree::check_sorted;
use crate::{depth_for, Hash, Leaf, LeafContext, MerkleError, UsageBuckets, LEAVES_FILE_TAG};

/// The canonical leaves file (published by every oracle; its sha256 is `leaves_digest`):
///
/// ```text
/// cube-rewards/merkle-leaves/v1 <chain_id> <contract> <round> <leaf_count>
/// <owner> <wh00> <wh01> <wh02> <wh10> <wh11> <wh12> <score> <cumulative>
/// ```
///
/// one line per leaf in tree order, decimal numbers without leading zeros, single spaces, LF
/// endings (the last line too). The leaves must form a tree ([`crate::Tree::build`]'s rules:
/// at least one, sorted strictly by owner); strings must be non-empty, ≤ 255 bytes, without
/// spaces or control characters ([`MerkleError::InvalidField`]).
pub fn leaves_file(ctx: &LeafContext, leaves: &[Leaf]) -> Result<Vec<u8>, MerkleError> {
    // ~100 bytes per line for bech32 owners and realistic amounts.
    let mut file = Vec::with_capacity(leaves.len().saturating_add(1).saturating_mul(104));
    write_file(ctx, leaves, |line| file.extend_from_slice(line))?;
    Ok(file)
}

/// SHA-256 of [`leaves_file`], streamed (the file is never held in memory).
pub fn leaves_digest(ctx: &LeafContext, leaves: &[Leaf]) -> Result<Hash, MerkleError> {
    let mut hasher = Sha256::new();
    write_file(ctx, leaves, |line| hasher.update(line))?;
    Ok(hasher.finalize().into())
}

/// The exact inverse of [`leaves_file`]: any deviation from the canonical form (a missing
/// final line feed, a CR, a double space, a leading zero, a number out of range, an unsorted
/// or repeated owner, a line count other than the header's) is
/// [`MerkleError::ParseLeaves`] with the 1-based line number (the header is line 1).
pub fn parse_leaves_file(bytes: &[u8]) -> Result<(LeafContext, Vec<Leaf>), MerkleError> {
    let fail = |line: u64, reason: String| MerkleError::ParseLeaves { line, reason };
    if bytes.is_empty() {
        return Err(fail(1, "the file is empty".into()));
    }
    let Some(body) = bytes.strip_suffix(b"\n") else {
        let last_line = bytes
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            .saturating_add(1);
        return Err(fail(
            u64::try_from(last_line).unwrap_or(u64::MAX),
            "the last line does not end with a line feed".into(),
        ));
    };
    let mut lines = body.split(|b| *b == b'\n').zip(1u64..);
    let (ctx, leaf_count) = match lines.next() {
        Some((header, line)) => parse_header(header).map_err(|reason| fail(line, reason))?,
        None => return Err(fail(1, "the header is missing".into())),
    };
    let mut leaves: Vec<Leaf> = Vec::new();
    let mut parsed: u64 = 0;
    for (text, line) in lines {
        if parsed >= leaf_count {
            return Err(fail(
                line,
                format!("more leaf lines than the header's leaf count {leaf_count}"),
            ));
        }
        let leaf = parse_leaf(text).map_err(|reason| fail(line, reason))?;
        if let Some(previous) = leaves.last() {
            if previous.owner.as_bytes() >= leaf.owner.as_bytes() {
                return Err(fail(
                    line,
                    format!(
                        "owner {} is not strictly above the previous line's {}",
                        leaf.owner, previous.owner
                    ),
                ));
            }
        }
        leaves.push(leaf);
        parsed = parsed.saturating_add(1);
    }
    if parsed != leaf_count {
        return Err(fail(
            parsed.saturating_add(2),
            format!("the header announces {leaf_count} leaves, the file has {parsed}"),
        ));
    }
    Ok((ctx, leaves))
}

fn write_file(
    ctx: &LeafContext,
    leaves: &[Leaf],
    mut sink: impl FnMut(&[u8]),
) -> Result<(), MerkleError> {
    let leaf_count = u64::try_from(leaves.len()).map_err(|_| MerkleError::TooManyLeaves {
        leaf_count: u64::MAX,
    })?;
    depth_for(leaf_count)?;
    check_field("chain_id", &ctx.chain_id)?;
    check_field("contract", &ctx.contract)?;
    check_sorted(leaves)?;
    let mut line = Vec::with_capacity(512);
    line.extend_from_slice(LEAVES_FILE_TAG.as_bytes());
    line.push(b' ');
    line.extend_from_slice(ctx.chain_id.as_bytes());
    line.push(b' ');
    line.extend_from_slice(ctx.contract.as_bytes());
    line.push(b' ');
    push_u64(&mut line, ctx.round, 1);
    line.push(b' ');
    push_u64(&mut line, leaf_count, 1);
    line.push(b'\n');
    sink(&line);
    for leaf in leaves {
        check_field("owner", &leaf.owner)?;
        line.clear();
        line.extend_from_slice(leaf.owner.as_bytes());
        for wh in leaf.buckets.wh.iter().flatten() {
            line.push(b' ');
            push_u64(&mut line, *wh, 1);
        }
        line.push(b' ');
        push_u128(&mut line, leaf.score);
        line.push(b' ');
        push_u128(&mut line, leaf.cumulative);
        line.push(b'\n');
        sink(&line);
    }
    Ok(())
}

/// Non-empty, ≤ 255 bytes, no space and no control character (so the file splits back).
fn check_field(field: &'static str, value: &str) -> Result<(), MerkleError> {
    crate::short_len(field, value)?;
    if value.is_empty() || value.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(MerkleError::InvalidField { field });
    }
    Ok(())
}

/// Decimal digits of `value`, at least `min_digits` (zero padded).
fn push_u64(out: &mut Vec<u8>, value: u64, min_digits: usize) {
    let mut digits = [0u8; 20];
    let mut used = 0usize;
    let mut rest = value;
    for slot in digits.iter_mut() {
        // A digit: the remainder is below 10.
        *slot = b'0' | u8::try_from(rest.checked_rem(10).unwrap_or(0)).unwrap_or(0);
        rest = rest.checked_div(10).unwrap_or(0);
        used = used.saturating_add(1);
        if rest == 0 && used >= min_digits {
            break;
        }
    }
    out.extend(digits.iter().take(used).rev());
}

fn push_u128(out: &mut Vec<u8>, value: u128) {
    const TEN_POW_19: u128 = 10_000_000_000_000_000_000;
    match u64::try_from(value) {
        Ok(small) => push_u64(out, small, 1),
        Err(_) => {
            // At most two levels: value / 10^19 < 2^128 / 10^19 < 10^20.
            push_u128(out, value.checked_div(TEN_POW_19).unwrap_or(0));
            let low = value.checked_rem(TEN_POW_19).unwrap_or(0);
            push_u64(out, u64::try_from(low).unwrap_or(0), 19);
        }
    }
}

fn parse_header(line: &[u8]) -> Result<(LeafContext, u64), String> {
    let mut fields = line.split(|b| *b == b' ');
    let tag = next_field(&mut fields, "tag")?;
    if tag != LEAVES_FILE_TAG.as_bytes() {
        return Err(format!("the header must start with {LEAVES_FILE_TAG}"));
    }
    let chain_id = parse_string(next_field(&mut fields, "chain_id")?, "chain_id")?;
    let contract = parse_string(next_field(&mut fields, "contract")?, "contract")?;
    let round = parse_u64(next_field(&mut fields, "round")?, "round")?;
    let leaf_count = parse_u64(next_field(&mut fields, "leaf_count")?, "leaf_count")?;
    no_more_fields(&mut fields)?;
    depth_for(leaf_count).map_err(|e| format!("leaf_count: {e}"))?;
    Ok((
        LeafContext {
            chain_id,
            contract,
            round,
        },
        leaf_count,
    ))
}

fn parse_leaf(line: &[u8]) -> Result<Leaf, String> {
    const WH_NAMES: [[&str; 3]; 2] = [["wh00", "wh01", "wh02"], ["wh10", "wh11", "wh12"]];
    let mut fields = line.split(|b| *b == b' ');
    let owner = parse_string(next_field(&mut fields, "owner")?, "owner")?;
    let mut buckets = UsageBuckets::default();
    for (row, names) in buckets.wh.iter_mut().zip(WH_NAMES) {
        for (cell, name) in row.iter_mut().zip(names) {
            *cell = parse_u64(next_field(&mut fields, name)?, name)?;
        }
    }
    let score = parse_u128(next_field(&mut fields, "score")?, "score")?;
    let cumulative = parse_u128(next_field(&mut fields, "cumulative")?, "cumulative")?;
    no_more_fields(&mut fields)?;
    Ok(Leaf {
        owner,
        buckets,
        score,
        cumulative,
    })
}

fn next_field<'a>(
    fields: &mut impl Iterator<Item = &'a [u8]>,
    name: &str,
) -> Result<&'a [u8], String> {
    fields.next().ok_or_else(|| format!("{name} is missing"))
}

fn no_more_fields<'a>(fields: &mut impl Iterator<Item = &'a [u8]>) -> Result<(), String> {
    match fields.next() {
        None => Ok(()),
        Some(_) => Err("too many fields".into()),
    }
}

fn parse_string(field: &[u8], name: &'static str) -> Result<String, String> {
    let text = std::str::from_utf8(field).map_err(|_| format!("{name} is not UTF-8"))?;
    check_field(name, text).map_err(|e| e.to_string())?;
    Ok(text.to_owned())
}

/// A canonical decimal: digits only, no sign, no leading zero (but "0").
fn parse_u128(field: &[u8], name: &str) -> Result<u128, String> {
    if field.is_empty() {
        return Err(format!("{name} is empty"));
    }
    if field.len() > 1 && field.first() == Some(&b'0') {
        return Err(format!("{name} has a leading zero"));
    }
    let mut value: u128 = 0;
    for digit in field {
        if !digit.is_ascii_digit() {
            return Err(format!("{name} is not a decimal number"));
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u128::from(digit & 0x0f)))
            .ok_or_else(|| format!("{name} is out of range"))?;
    }
    Ok(value)
}

fn parse_u64(field: &[u8], name: &str) -> Result<u64, String> {
    u64::try_from(parse_u128(field, name)?).map_err(|_| format!("{name} is out of range"))
}

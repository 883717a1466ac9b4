//! The union rule: which stored readings count, decided only from a set of readings, so every
//! relayer holding the same set (the union of what the relayers received, exchanged through
//! `GET /v1/rounds/{round}/readings`) decides identically, whatever the arrival order.
//!
//! Per device, a sequence number is unique and sequences increase with window start. Two
//! different readings `x`, `y` of one device *conflict* when
//! * they carry the same sequence ([`ConflictKind::SequenceConflict`]),
//! * their windows overlap ([`ConflictKind::Overlap`]), or
//! * their sequence order is the reverse of their window order ([`ConflictKind::SequenceOrder`]).
//!
//! A reading that conflicts with any other reading of the set does not count; both sides of a
//! conflict are excluded (the relayer cannot know which one the device meant, and another
//! relayer may have seen the other one first). The excluded readings stay stored as evidence.
//! Two readings with identical content are the same reading (whatever their signatures).

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::telemetry::{encode_body, Reading, SignedReading};

/// Why a reading is excluded (strongest kind first in [`ConflictKind::rank`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Sequences increase against window order.
    SequenceOrder,
    /// Windows overlap.
    Overlap,
    /// Same sequence, different content.
    SequenceConflict,
}

impl ConflictKind {
    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::SequenceOrder => "sequence_order",
            ConflictKind::Overlap => "overlap",
            ConflictKind::SequenceConflict => "sequence_conflict",
        }
    }

    /// Stable code stored in the `readings.status` column (0 is "accepted").
    pub fn code(self) -> i64 {
        match self {
            ConflictKind::SequenceConflict => 1,
            ConflictKind::Overlap => 2,
            ConflictKind::SequenceOrder => 3,
        }
    }

    /// Inverse of [`Self::code`].
    pub fn from_code(c: i64) -> Option<Self> {
        match c {
            1 => Some(ConflictKind::SequenceConflict),
            2 => Some(ConflictKind::Overlap),
            3 => Some(ConflictKind::SequenceOrder),
            _ => None,
        }
    }
}

/// The conflict between two different readings of the same device, strongest kind, if any.
pub fn conflict_between(x: &Reading, y: &Reading) -> Option<ConflictKind> {
    if x == y || x.device_pubkey != y.device_pubkey {
        return None;
    }
    if x.sequence == y.sequence {
        return Some(ConflictKind::SequenceConflict);
    }
    if x.window_start < y.window_end && y.window_start < x.window_end {
        return Some(ConflictKind::Overlap);
    }
    if (x.sequence < y.sequence) != (x.window_start < y.window_start) {
        return Some(ConflictKind::SequenceOrder);
    }
    None
}

fn raise(slot: &mut Option<ConflictKind>, k: ConflictKind) {
    if slot.is_none_or(|c| k > c) {
        *slot = Some(k);
    }
}

/// For readings of ONE device (distinct contents, any order), the strongest conflict each one
/// is involved in within the group; `None` = it counts. O(n log n).
pub fn device_conflicts(group: &[&Reading]) -> Vec<Option<ConflictKind>> {
    let n = group.len();
    let mut out: Vec<Option<ConflictKind>> = vec![None; n];
    if n < 2 {
        return out;
    }
    // Same sequence: adjacent after sorting by sequence.
    let mut by_seq: Vec<usize> = (0..n).collect();
    by_seq.sort_by_key(|&i| group[i].sequence);
    for w in by_seq.windows(2) {
        if let [a, b] = *w {
            if group[a].sequence == group[b].sequence {
                raise(&mut out[a], ConflictKind::SequenceConflict);
                raise(&mut out[b], ConflictKind::SequenceConflict);
            }
        }
    }
    // Overlap and order: sorted by window start (ties broken by end then sequence).
    let mut by_start: Vec<usize> = (0..n).collect();
    by_start.sort_by_key(|&i| {
        (
            group[i].window_start,
            group[i].window_end,
            group[i].sequence,
        )
    });
    // i overlaps an earlier-sorted reading iff its start is below the running max end; a
    // reading overlaps a later-sorted one iff its end is above the next start.
    let mut max_end = 0u64;
    for (pos, &i) in by_start.iter().enumerate() {
        if pos > 0 && group[i].window_start < max_end {
            raise(&mut out[i], ConflictKind::Overlap);
        }
        if let Some(&next) = by_start.get(pos + 1) {
            if group[i].window_end > group[next].window_start {
                raise(&mut out[i], ConflictKind::Overlap);
            }
        }
        max_end = max_end.max(group[i].window_end);
    }
    // Order: an earlier-starting reading with a higher sequence, or a later-starting one with a
    // lower sequence. (Equal starts always overlap, so their relative order is irrelevant.)
    let mut prefix_max: Option<u64> = None;
    for &i in &by_start {
        if prefix_max.is_some_and(|m| m > group[i].sequence) {
            raise(&mut out[i], ConflictKind::SequenceOrder);
        }
        prefix_max = Some(prefix_max.map_or(group[i].sequence, |m| m.max(group[i].sequence)));
    }
    let mut suffix_min: Option<u64> = None;
    for &i in by_start.iter().rev() {
        if suffix_min.is_some_and(|m| m < group[i].sequence) {
            raise(&mut out[i], ConflictKind::SequenceOrder);
        }
        suffix_min = Some(suffix_min.map_or(group[i].sequence, |m| m.min(group[i].sequence)));
    }
    out
}

/// Canonical order of readings: device, sequence, then the remaining content fields.
pub fn canonical_cmp(a: &Reading, b: &Reading) -> std::cmp::Ordering {
    canonical_key(a).cmp(&canonical_key(b))
}

/// The fields of a reading in canonical order.
#[allow(clippy::type_complexity)]
fn canonical_key(r: &Reading) -> (&[u8; 32], u64, u64, u64, u64, u64, &[u8], &[u8]) {
    (
        &r.device_pubkey,
        r.sequence,
        r.window_start,
        r.window_end,
        r.discharged_wh,
        r.charged_wh,
        r.battery_id.as_bytes(),
        r.firmware.as_bytes(),
    )
}

/// Domain tag of [`readings_digest`].
pub const DIGEST_TAG: &[u8] = b"cube-round-readings/v1";

/// The digest of a set in the given order (pass the canonical order):
/// `sha256(DIGEST_TAG || count u64 BE || sha256(body_1 || … || body_n))`, `body` =
/// [`encode_body`]. Signatures are not part of it.
pub fn readings_digest(readings: &[SignedReading]) -> [u8; 32] {
    let mut d = DigestBuilder::default();
    for s in readings {
        d.push(&s.reading);
    }
    d.finish().1
}

/// Streaming form of [`readings_digest`].
#[derive(Default)]
pub struct DigestBuilder {
    bodies: Sha256,
    count: u64,
    buf: Vec<u8>,
}

impl DigestBuilder {
    /// Adds the next reading (canonical order).
    pub fn push(&mut self, r: &Reading) {
        self.buf.clear();
        encode_body(r, &mut self.buf);
        self.bodies.update(&self.buf);
        self.count = self.count.saturating_add(1);
    }

    /// Count and digest.
    pub fn finish(self) -> (u64, [u8; 32]) {
        let mut h = Sha256::new();
        h.update(DIGEST_TAG);
        h.update(self.count.to_be_bytes());
        h.update(self.bodies.finalize());
        (self.count, h.finalize().into())
    }
}

/// One excluded reading of a round set and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceItem {
    /// The stored signed reading.
    pub reading: SignedReading,
    /// Strongest conflict it is involved in within the set.
    pub kind: ConflictKind,
}

/// Applies the union rule to a set in canonical order (grouped by device): calls `keep` for
/// every reading that counts and `evidence` for every excluded one, in order.
pub fn apply_rule(
    set: &[SignedReading],
    keep: &mut dyn FnMut(&SignedReading),
    evidence: &mut dyn FnMut(&SignedReading, ConflictKind),
) {
    let mut start = 0;
    while start < set.len() {
        let dev = set[start].reading.device_pubkey;
        let end = set[start..]
            .iter()
            .position(|s| s.reading.device_pubkey != dev)
            .map_or(set.len(), |p| start + p);
        let group: Vec<&Reading> = set[start..end].iter().map(|s| &s.reading).collect();
        for (s, c) in set[start..end].iter().zip(device_conflicts(&group)) {
            match c {
                None => keep(s),
                Some(k) => evidence(s, k),
            }
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(seq: u64, ws: u64, we: u64, wh: u64) -> Reading {
        Reading {
            device_pubkey: [1; 32],
            sequence: seq,
            window_start: ws,
            window_end: we,
            discharged_wh: wh,
            charged_wh: 0,
            battery_id: "b".into(),
            firmware: "f".into(),
        }
    }

    /// Brute force reference of `device_conflicts`.
    fn reference(g: &[&Reading]) -> Vec<Option<ConflictKind>> {
        g.iter()
            .map(|x| g.iter().filter_map(|y| conflict_between(x, y)).max())
            .collect()
    }

    #[test]
    fn fast_rule_equals_pairwise_reference() {
        let mut state = 12345u64;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        for _ in 0..2_000 {
            let n = usize::try_from(next(8)).unwrap() + 1;
            let mut v = Vec::new();
            for _ in 0..n {
                let ws = next(20) * 10;
                let len = next(3) * 10 + 5;
                v.push(r(next(10), ws, ws + len, next(3)));
            }
            v.sort_by(canonical_cmp);
            v.dedup();
            let g: Vec<&Reading> = v.iter().collect();
            assert_eq!(device_conflicts(&g), reference(&g), "{v:?}");
        }
    }

    #[test]
    fn kinds() {
        let a = r(1, 0, 10, 1);
        assert_eq!(conflict_between(&a, &a), None);
        assert_eq!(
            conflict_between(&a, &r(1, 0, 10, 2)),
            Some(ConflictKind::SequenceConflict)
        );
        assert_eq!(
            conflict_between(&a, &r(2, 5, 15, 1)),
            Some(ConflictKind::Overlap)
        );
        assert_eq!(
            conflict_between(&r(3, 0, 10, 1), &r(2, 10, 20, 1)),
            Some(ConflictKind::SequenceOrder)
        );
        assert_eq!(conflict_between(&a, &r(2, 10, 20, 1)), None);
        // Gaps in sequences are fine.
        assert_eq!(conflict_between(&a, &r(9, 30, 40, 1)), None);
    }
}

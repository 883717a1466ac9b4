//! Deterministic round aggregation: readings → per-owner [`UsageBuckets`] → batches.
//!
//! # Splitting rule
//!
//! A reading's window `[ws, we)` is cut at every local-hour boundary of the device's IANA
//! time zone (computed by chrono-tz, so a 23-hour spring-forward day has no local 02:00 hour
//! and a 25-hour fall-back day has two) and at every round boundary. Each piece lies in one
//! round and one local hour, whose time-of-use class comes from the policy's table.
//!
//! The reading's `discharged_wh` is shared among **all** pieces of the window (also pieces
//! outside the round being aggregated) in proportion to their length, by the largest
//! remainder method: piece `i` of length `l_i` (window length `L`) first gets
//! `floor(wh · l_i / L)`; the `wh − Σ floors` leftover Wh go one each to the pieces with the
//! largest remainders `(wh · l_i) mod L`, ties to the earlier piece. The parts therefore sum to
//! exactly `wh`, and a reading straddling two rounds is split identically whichever round is
//! aggregated first.
//!
//! Battery class: whitelisted if the reading's `battery_id` is on the on-chain whitelist.
//! Owner and time zone: from the device directory at aggregation time; readings of devices no
//! longer registered are skipped (counted in [`AggregateStats::skipped_unknown_device`]).
//!
//! # Batches
//!
//! Entries are sorted by owner (byte order, as `cube_scoring::encode_batch` requires) and cut
//! into consecutive chunks of `max_entries_per_batch` (a shared network parameter derived from
//! the gas budget; every relayer must use the same value). A round without usage yields one
//! empty batch so it can still finalize. Two relayers with the same readings, directory,
//! whitelist and parameters produce byte-identical batches.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Offset, TimeZone, Timelike};
use chrono_tz::Tz;
use cube_scoring::{
    batch_hash, encode_batch, BatteryClass, ScorePolicy, ScoringError, TouClass, UsageBuckets,
    UsageEntry,
};
use thiserror::Error;

use crate::directory::DeviceInfo;
use crate::store::ReadingStore;
use crate::telemetry::Reading;
use cube_types::clock::RoundClock;

/// Aggregation errors.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum AggregateError {
    /// Policy invalid or batch encoding failed.
    #[error("scoring: {0}")]
    Scoring(#[from] ScoringError),
    /// Round index beyond representable time.
    #[error("round {round} out of range")]
    RoundOutOfRange {
        /// Round index.
        round: u64,
    },
    /// `max_entries_per_batch` is zero.
    #[error("max_entries_per_batch must be at least 1")]
    ZeroBatchSize,
    /// More batches than fit a u32.
    #[error("too many batches")]
    TooManyBatches,
    /// Reading the store failed.
    #[error("store: {0}")]
    Store(String),
}

/// Counters of one aggregation run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AggregateStats {
    /// Readings that contributed to the round.
    pub readings: u64,
    /// Readings of devices missing from the directory.
    pub skipped_unknown_device: u64,
}

/// One piece of a reading's window: `[start, end)` with its local hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Start, unix seconds.
    pub start: u64,
    /// End, unix seconds.
    pub end: u64,
    /// Local hour 0..24 of the piece.
    pub local_hour: u8,
    /// Wh allotted to the piece.
    pub wh: u64,
}

/// Seconds since the start of the local hour containing `t`.
fn local_hour_of(tz: &Tz, t: u64) -> (u8, u64) {
    let Ok(secs) = i64::try_from(t) else {
        return (0, 0);
    };
    match tz.timestamp_opt(secs, 0).single() {
        Some(local) => {
            let into = u64::from(local.minute()) * 60 + u64::from(local.second());
            (u8::try_from(local.hour()).unwrap_or(0), into)
        }
        None => (0, 0),
    }
}

/// UTC offset of `tz` at `t`, seconds (0 when `t` is out of range).
fn offset_at(tz: &Tz, t: u64) -> i32 {
    i64::try_from(t)
        .ok()
        .and_then(|secs| tz.timestamp_opt(secs, 0).single())
        .map(|d| d.offset().fix().local_minus_utc())
        .unwrap_or(0)
}

/// First instant in `(t, limit]` whose UTC offset differs from the offset at `t`, if the
/// offset at `limit` differs (binary search; an offset changes at most once in an hour).
fn offset_change(tz: &Tz, t: u64, limit: u64) -> Option<u64> {
    let base = offset_at(tz, t);
    if limit <= t || offset_at(tz, limit) == base {
        return None;
    }
    // Invariant: offset(lo) == base, offset(hi) != base.
    let (mut lo, mut hi) = (t, limit);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if offset_at(tz, mid) == base {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi)
}

/// Cuts `[start, end)` at local-hour and round boundaries and shares `wh` by the largest
/// remainder rule (see the module documentation).
pub fn split_window(tz: &Tz, clock: &RoundClock, start: u64, end: u64, wh: u64) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(3);
    let mut t = start;
    // Bounded: each step advances to the next boundary (≤ 1 h); windows are ≤ 1 h, but the
    // bound also protects against arbitrary input.
    let mut guard = 0u32;
    while t < end && guard < 10_000 {
        guard += 1;
        let (hour, into) = local_hour_of(tz, t);
        let mut next = t.saturating_add(3600 - into.min(3599));
        // The local clock is continuous only while the offset stays; zones whose offset
        // changes off the local hour (Pacific/Chatham at :45, Lord Howe by 30 min) start a
        // new piece at the change.
        if let Some(change) = offset_change(tz, t, next.min(end).saturating_sub(1)) {
            next = change;
        }
        if let Some((_, round_end)) = clock.round_at(t).and_then(|r| clock.bounds(r)) {
            next = next.min(round_end);
        } else if t < clock.genesis {
            next = next.min(clock.genesis);
        }
        let next = next.min(end).max(t.saturating_add(1));
        pieces.push(Piece {
            start: t,
            end: next,
            local_hour: hour,
            wh: 0,
        });
        t = next;
    }
    let total = u128::from(end.saturating_sub(start));
    if total == 0 {
        return pieces;
    }
    let wh128 = u128::from(wh);
    let mut rems: Vec<(u128, usize)> = Vec::with_capacity(pieces.len());
    let mut given: u128 = 0;
    for (i, p) in pieces.iter_mut().enumerate() {
        let num = wh128 * u128::from(p.end - p.start);
        let share = num / total;
        given += share;
        p.wh = u64::try_from(share).unwrap_or(u64::MAX);
        rems.push((num % total, i));
    }
    // Largest remainder first; ties to the earlier piece.
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut left = wh128.saturating_sub(given);
    for (_, i) in rems {
        if left == 0 {
            break;
        }
        if let Some(p) = pieces.get_mut(i) {
            p.wh = p.wh.saturating_add(1);
            left -= 1;
        }
    }
    pieces
}

/// Streaming aggregator for one round.
pub struct Aggregator<'a> {
    round_start: u64,
    round_end: u64,
    clock: RoundClock,
    classes: [TouClass; 24],
    whitelist: &'a HashSet<String>,
    devices: &'a HashMap<[u8; 32], DeviceInfo>,
    owners: HashMap<&'a str, UsageBuckets>,
    stats: AggregateStats,
}

impl<'a> Aggregator<'a> {
    /// Aggregator for `round` under `policy`.
    pub fn new(
        round: u64,
        clock: RoundClock,
        policy: &ScorePolicy,
        whitelist: &'a HashSet<String>,
        devices: &'a HashMap<[u8; 32], DeviceInfo>,
    ) -> Result<Self, AggregateError> {
        let (round_start, round_end) = clock
            .bounds(round)
            .ok_or(AggregateError::RoundOutOfRange { round })?;
        Ok(Aggregator {
            round_start,
            round_end,
            clock,
            classes: policy.hour_classes()?,
            whitelist,
            devices,
            owners: HashMap::new(),
            stats: AggregateStats::default(),
        })
    }

    /// `[start, end)` of the round.
    pub fn bounds(&self) -> (u64, u64) {
        (self.round_start, self.round_end)
    }

    /// Adds one reading (readings not intersecting the round are ignored).
    pub fn add(&mut self, r: &Reading) {
        if r.window_end <= self.round_start || r.window_start >= self.round_end {
            return;
        }
        let Some(dev) = self.devices.get(&r.device_pubkey) else {
            self.stats.skipped_unknown_device += 1;
            return;
        };
        let battery = if self.whitelist.contains(&r.battery_id) {
            BatteryClass::Whitelisted
        } else {
            BatteryClass::Standard
        };
        let buckets = self.owners.entry(dev.owner.as_str()).or_default();
        for p in split_window(
            &dev.timezone,
            &self.clock,
            r.window_start,
            r.window_end,
            r.discharged_wh,
        ) {
            if p.start >= self.round_start && p.end <= self.round_end {
                let class = self
                    .classes
                    .get(usize::from(p.local_hour))
                    .copied()
                    .unwrap_or(TouClass::Valley);
                buckets.add(battery, class, p.wh);
            }
        }
        self.stats.readings += 1;
    }

    /// Entries sorted by owner (byte order), owners with zero Wh omitted.
    pub fn finish(self) -> (Vec<UsageEntry>, AggregateStats) {
        let sorted: BTreeMap<&str, UsageBuckets> = self
            .owners
            .into_iter()
            .filter(|(_, b)| b.total_wh() > 0)
            .collect();
        let entries = sorted
            .into_iter()
            .map(|(owner, buckets)| UsageEntry {
                owner: owner.to_string(),
                buckets,
            })
            .collect();
        (entries, self.stats)
    }
}

/// One batch ready for submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBatch {
    /// Index within the round.
    pub index: u32,
    /// Entries (sorted by owner).
    pub entries: Vec<UsageEntry>,
    /// Canonical encoding (`cube_scoring::encode_batch`).
    pub encoded: Vec<u8>,
    /// SHA-256 of `encoded`: the vote.
    pub hash: [u8; 32],
}

/// All batches of a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundPlan {
    /// Round index.
    pub round: u64,
    /// Policy version in force at the round's start.
    pub policy_version: u32,
    /// Batches in index order.
    pub batches: Vec<PlannedBatch>,
}

/// Cuts sorted entries into batches of at most `max_entries_per_batch`.
pub fn plan_batches(
    round: u64,
    policy_version: u32,
    entries: Vec<UsageEntry>,
    max_entries_per_batch: usize,
) -> Result<RoundPlan, AggregateError> {
    if max_entries_per_batch == 0 {
        return Err(AggregateError::ZeroBatchSize);
    }
    let chunks: Vec<Vec<UsageEntry>> = if entries.is_empty() {
        vec![Vec::new()]
    } else {
        entries
            .chunks(max_entries_per_batch)
            .map(<[UsageEntry]>::to_vec)
            .collect()
    };
    let count = u32::try_from(chunks.len()).map_err(|_| AggregateError::TooManyBatches)?;
    let mut batches = Vec::with_capacity(chunks.len());
    for (index, entries) in (0u32..).zip(chunks) {
        let encoded = encode_batch(round, index, count, policy_version, &entries)?;
        let hash = batch_hash(round, index, count, policy_version, &entries)?;
        batches.push(PlannedBatch {
            index,
            entries,
            encoded,
            hash,
        });
    }
    Ok(RoundPlan {
        round,
        policy_version,
        batches,
    })
}

/// Parameters of one round's aggregation (identical on every relayer).
pub struct RoundInput<'a> {
    /// Round index.
    pub round: u64,
    /// Round timing.
    pub clock: RoundClock,
    /// Policy in force at the round's start, and its version.
    pub policy: &'a ScorePolicy,
    /// Version of `policy`.
    pub policy_version: u32,
    /// Battery whitelist.
    pub whitelist: &'a HashSet<String>,
    /// Directory snapshot.
    pub devices: &'a HashMap<[u8; 32], DeviceInfo>,
    /// Entries per batch.
    pub max_entries_per_batch: usize,
}

/// Aggregates a round straight from the store and plans its batches.
pub fn aggregate_round(
    store: &dyn ReadingStore,
    input: &RoundInput<'_>,
) -> Result<(RoundPlan, AggregateStats), AggregateError> {
    let mut agg = Aggregator::new(
        input.round,
        input.clock,
        input.policy,
        input.whitelist,
        input.devices,
    )?;
    let (start, end) = agg.bounds();
    store
        .scan_readings(start, end, &mut |r| agg.add(r))
        .map_err(|e| AggregateError::Store(e.to_string()))?;
    let (entries, stats) = agg.finish();
    let plan = plan_batches(
        input.round,
        input.policy_version,
        entries,
        input.max_entries_per_batch,
    )?;
    Ok((plan, stats))
}

/// UTC offset of `tz` at `t`, seconds (diagnostics and tests).
pub fn utc_offset_secs(tz: &Tz, t: i64) -> Option<i32> {
    tz.timestamp_opt(t, 0)
        .single()
        .map(|d| d.offset().fix().local_minus_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia, Europe, UTC};
    use cube_scoring::{DeviceModel, TouRange};

    fn clock() -> RoundClock {
        RoundClock {
            genesis: 0,
            duration: 86_400,
        }
    }

    fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> u64 {
        u64::try_from(
            chrono::Utc
                .with_ymd_and_hms(y, mo, d, h, mi, 0)
                .single()
                .unwrap()
                .timestamp(),
        )
        .unwrap()
    }

    #[test]
    fn largest_remainder_split_sums_exactly() {
        // 00:30–01:30 UTC, 7 Wh: 3.5 / 3.5 → floors 3 / 3, tie goes to the earlier piece.
        let p = split_window(&UTC, &clock(), 1800, 5400, 7);
        assert_eq!(
            p,
            vec![
                Piece {
                    start: 1800,
                    end: 3600,
                    local_hour: 0,
                    wh: 4
                },
                Piece {
                    start: 3600,
                    end: 5400,
                    local_hour: 1,
                    wh: 3
                },
            ]
        );
        // 10 min / 50 min, 100 Wh: 16.67 / 83.33 → 17 / 83.
        let p = split_window(&UTC, &clock(), 3000, 6600, 100);
        assert_eq!(p.iter().map(|x| x.wh).collect::<Vec<_>>(), vec![17, 83]);
        // Many awkward values: always exact.
        for wh in [0u64, 1, 2, 3, 999, 1_000_003, u64::MAX / 7] {
            for (s, e) in [(1, 3600), (59, 3659), (3599, 7199), (100, 101)] {
                let p = split_window(&UTC, &clock(), s, e, wh);
                assert_eq!(
                    p.iter().map(|x| u128::from(x.wh)).sum::<u128>(),
                    u128::from(wh)
                );
            }
        }
    }

    #[test]
    fn half_hour_zone_cuts_at_local_hours() {
        // India is UTC+5:30: a UTC-aligned hour is cut at :30 UTC.
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        let s = ts(2026, 6, 1, 0, 0);
        let p = split_window(&kolkata, &clock(), s, s + 3600, 60);
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].local_hour, p[0].end - p[0].start, p[0].wh),
            (5, 1800, 30)
        );
        assert_eq!(
            (p[1].local_hour, p[1].end - p[1].start, p[1].wh),
            (6, 1800, 30)
        );
    }

    #[test]
    fn round_boundary_cuts_and_both_rounds_agree() {
        let c = RoundClock {
            genesis: 1000,
            duration: 3000,
        };
        // Window 3700..4300 crosses round end 4000 (and UTC hour 3600 is before it).
        let p = split_window(&UTC, &c, 3700, 4300, 10);
        assert_eq!(
            p.iter().map(|x| (x.start, x.end, x.wh)).collect::<Vec<_>>(),
            vec![(3700, 4000, 5), (4000, 4300, 5)]
        );
        let devices: HashMap<[u8; 32], DeviceInfo> = [(
            [1; 32],
            DeviceInfo {
                owner: "o".into(),
                model: DeviceModel::CubeV1,
                timezone: UTC,
            },
        )]
        .into();
        let wl = HashSet::new();
        let r = Reading {
            device_pubkey: [1; 32],
            sequence: 1,
            window_start: 3700,
            window_end: 4300,
            discharged_wh: 11,
            charged_wh: 0,
            battery_id: "x".into(),
            firmware: "f".into(),
        };
        let pol = ScorePolicy::default();
        let mut a0 = Aggregator::new(0, c, &pol, &wl, &devices).unwrap();
        a0.add(&r);
        let mut a1 = Aggregator::new(1, c, &pol, &wl, &devices).unwrap();
        a1.add(&r);
        let t0 = a0.finish().0[0].buckets.total_wh();
        let t1 = a1.finish().0[0].buckets.total_wh();
        assert_eq!((t0, t1), (6, 5));
    }

    /// Policy distinguishing local hour 2 so DST days show up in the buckets.
    fn dst_policy() -> ScorePolicy {
        ScorePolicy {
            tou_table: vec![
                TouRange {
                    start_hour: 0,
                    end_hour: 2,
                    class: TouClass::Valley,
                },
                TouRange {
                    start_hour: 2,
                    end_hour: 3,
                    class: TouClass::Peak,
                },
                TouRange {
                    start_hour: 3,
                    end_hour: 24,
                    class: TouClass::OffPeak,
                },
            ],
            ..ScorePolicy::default()
        }
    }

    fn day_buckets(tz: Tz, from: u64, to: u64) -> (UsageBuckets, u64) {
        let devices: HashMap<[u8; 32], DeviceInfo> = [(
            [9; 32],
            DeviceInfo {
                owner: "wasm1owner".into(),
                model: DeviceModel::CubeV2,
                timezone: tz,
            },
        )]
        .into();
        let wl: HashSet<String> = ["WL".to_string()].into();
        let c = RoundClock {
            genesis: from,
            duration: to - from,
        };
        let pol = dst_policy();
        let mut agg = Aggregator::new(0, c, &pol, &wl, &devices).unwrap();
        let hours = (to - from) / 3600;
        for h in 0..hours {
            agg.add(&Reading {
                device_pubkey: [9; 32],
                sequence: h + 1,
                window_start: from + h * 3600,
                window_end: from + (h + 1) * 3600,
                discharged_wh: 60,
                charged_wh: 0,
                battery_id: "WL".into(),
                firmware: "f".into(),
            });
        }
        let (entries, stats) = agg.finish();
        assert_eq!(stats.readings, hours);
        (entries[0].buckets, hours)
    }

    #[test]
    fn dst_spring_forward_day_has_23_hours_and_no_local_2am() {
        // Berlin, 2026-03-29: 00:00 CET = 2026-03-28 23:00 UTC; next midnight (CEST) is
        // 2026-03-29 22:00 UTC.
        let from = ts(2026, 3, 28, 23, 0);
        let to = ts(2026, 3, 29, 22, 0);
        assert_eq!(
            utc_offset_secs(&Europe::Berlin, i64::try_from(from).unwrap()),
            Some(3600)
        );
        assert_eq!(
            utc_offset_secs(&Europe::Berlin, i64::try_from(to).unwrap()),
            Some(7200)
        );
        let (b, hours) = day_buckets(Europe::Berlin, from, to);
        assert_eq!(hours, 23);
        assert_eq!(b.get(BatteryClass::Whitelisted, TouClass::Valley), 120);
        assert_eq!(b.get(BatteryClass::Whitelisted, TouClass::Peak), 0);
        assert_eq!(b.get(BatteryClass::Whitelisted, TouClass::OffPeak), 21 * 60);
        assert_eq!(b.wh[BatteryClass::Standard.index()], [0, 0, 0]);
    }

    #[test]
    fn dst_fall_back_day_has_25_hours_and_two_local_2am() {
        // Berlin, 2026-10-25: 00:00 CEST = 2026-10-24 22:00 UTC; next midnight (CET) is
        // 2026-10-25 23:00 UTC.
        let from = ts(2026, 10, 24, 22, 0);
        let to = ts(2026, 10, 25, 23, 0);
        let (b, hours) = day_buckets(Europe::Berlin, from, to);
        assert_eq!(hours, 25);
        assert_eq!(b.get(BatteryClass::Whitelisted, TouClass::Valley), 120);
        assert_eq!(b.get(BatteryClass::Whitelisted, TouClass::Peak), 120);
        assert_eq!(b.get(BatteryClass::Whitelisted, TouClass::OffPeak), 21 * 60);
    }

    #[test]
    fn new_york_and_tokyo_local_hours() {
        // 2026-03-08 is the US spring-forward day (02:00 EST → 03:00 EDT at 07:00 UTC).
        let from = ts(2026, 3, 8, 5, 0); // 00:00 EST
        let to = ts(2026, 3, 9, 4, 0); // 00:00 EDT next day
        let (b, hours) = day_buckets(America::New_York, from, to);
        assert_eq!(hours, 23);
        assert_eq!(b.get(BatteryClass::Whitelisted, TouClass::Peak), 0);
        // Tokyo has no DST: a local day is 24 UTC hours, local 02:00 = 17:00 UTC.
        let from = ts(2026, 3, 7, 15, 0);
        let (b, hours) = day_buckets(Asia::Tokyo, from, from + 86_400);
        assert_eq!(hours, 24);
        assert_eq!(b.get(BatteryClass::Whitelisted, TouClass::Peak), 60);
    }

    fn shape(p: &[Piece]) -> Vec<(u64, u64, u8, u64)> {
        p.iter()
            .map(|x| (x.start, x.end, x.local_hour, x.wh))
            .collect()
    }

    #[test]
    fn chatham_spring_forward_at_quarter_to_three() {
        // 2026-09-27 02:45 CHAST (+12:45) = 2026-09-26 14:00 UTC: clocks jump to 03:45 CHADT.
        // Window 13:30–14:30 UTC = local 02:15–02:45 (hour 2), then 03:45–04:00 (hour 3), then
        // 04:00–04:15 (hour 4). 60 Wh shared 30 / 15 / 15.
        let chatham: Tz = "Pacific/Chatham".parse().unwrap();
        let s = 1_790_429_400; // 2026-09-26T13:30Z
        assert_eq!(s, ts(2026, 9, 26, 13, 30));
        assert_eq!(utc_offset_secs(&chatham, 1_790_431_199), Some(45_900));
        assert_eq!(utc_offset_secs(&chatham, 1_790_431_200), Some(49_500));
        assert_eq!(
            shape(&split_window(&chatham, &clock(), s, s + 3600, 60)),
            vec![
                (s, s + 1800, 2, 30),
                (s + 1800, s + 2700, 3, 15),
                (s + 2700, s + 3600, 4, 15),
            ]
        );
        // The hour before: 12:30–13:30 UTC = local 01:15–02:15, cut at 02:00 (13:15 UTC).
        let p = split_window(&chatham, &clock(), s - 3600, s, 60);
        assert_eq!(
            shape(&p),
            vec![(s - 3600, s - 900, 1, 45), (s - 900, s, 2, 15)]
        );
    }

    #[test]
    fn chatham_fall_back_at_quarter_to_four() {
        // 2026-04-05 03:45 CHADT (+13:45) = 2026-04-04 14:00 UTC: clocks go back to 02:45
        // CHAST. Window 13:30–14:30 UTC = local 03:15–03:45 (hour 3), 02:45–03:00 (hour 2),
        // 03:00–03:15 (hour 3 again).
        let chatham: Tz = "Pacific/Chatham".parse().unwrap();
        let s = 1_775_309_400; // 2026-04-04T13:30Z
        assert_eq!(s, ts(2026, 4, 4, 13, 30));
        assert_eq!(
            shape(&split_window(&chatham, &clock(), s, s + 3600, 60)),
            vec![
                (s, s + 1800, 3, 30),
                (s + 1800, s + 2700, 2, 15),
                (s + 2700, s + 3600, 3, 15),
            ]
        );
        // A window ending exactly at the change stays one piece per local hour.
        assert_eq!(
            shape(&split_window(&chatham, &clock(), s - 1800, s + 1800, 10)),
            vec![(s - 1800, s - 900, 2, 3), (s - 900, s + 1800, 3, 7)]
        );
    }

    /// Every piece must lie in one local hour (checked minute by minute against chrono-tz's
    /// own conversion) and adjacent pieces of one round must differ in local hour or be cut at
    /// an offset change — i.e. the split is exact and maximal.
    fn check_exact(tz: &Tz, start: u64, end: u64) {
        let c = clock();
        let p = split_window(tz, &c, start, end, 1_000_003);
        assert_eq!(p.first().map(|x| x.start), Some(start));
        assert_eq!(p.last().map(|x| x.end), Some(end));
        assert_eq!(p.iter().map(|x| u128::from(x.wh)).sum::<u128>(), 1_000_003);
        for w in p.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        for x in &p {
            let mut t = x.start;
            while t < x.end {
                let local = tz.timestamp_opt(i64::try_from(t).unwrap(), 0).unwrap();
                assert_eq!(
                    u8::try_from(local.hour()).unwrap(),
                    x.local_hour,
                    "{tz} at {t}: piece {x:?}"
                );
                t += 60;
            }
            let last = tz
                .timestamp_opt(i64::try_from(x.end - 1).unwrap(), 0)
                .unwrap();
            assert_eq!(
                u8::try_from(last.hour()).unwrap(),
                x.local_hour,
                "{tz} {x:?}"
            );
        }
    }

    #[test]
    fn every_zone_splits_exactly_around_its_offset_changes() {
        let zones = [
            "Pacific/Chatham",
            "Australia/Lord_Howe",
            "Asia/Kathmandu",
            "Australia/Eucla",
            "Australia/Adelaide",
            "America/St_Johns",
            "Asia/Tehran",
            "Asia/Kolkata",
            "Europe/Berlin",
            "America/New_York",
            "America/Santiago",
            "Pacific/Auckland",
        ];
        let year_start = ts(2026, 1, 1, 0, 0);
        let mut changes_seen = 0;
        for name in zones {
            let tz: Tz = name.parse().unwrap();
            // Offset changes of 2026, to the minute.
            let mut t = year_start;
            let mut changes = Vec::new();
            while t < year_start + 365 * 86_400 {
                if let Some(c) = offset_change(&tz, t, t + 3_600) {
                    changes.push(c);
                }
                t += 3_600;
            }
            changes_seen += changes.len();
            // Around each change, and on an ordinary day: windows of several lengths at
            // several phases (whole, half and quarter hours and odd seconds).
            changes.push(year_start + 100 * 86_400);
            for c in changes {
                let mut s = c - 5_400;
                while s < c + 3_600 {
                    for len in [3_600, 2_700, 1_800, 61] {
                        check_exact(&tz, s, s + len);
                    }
                    s += 450 + 7;
                }
            }
        }
        // Chatham, Lord Howe, Adelaide, St Johns, Berlin, New York, Santiago, Auckland change
        // twice in 2026 (Tehran abolished DST in 2022).
        assert_eq!(changes_seen, 16);
    }

    #[test]
    fn plan_batches_chunks_and_hashes() {
        let entries: Vec<UsageEntry> = (0..5)
            .map(|i| UsageEntry {
                owner: format!("o{i}"),
                buckets: UsageBuckets::single(BatteryClass::Standard, TouClass::Peak, i + 1),
            })
            .collect();
        let plan = plan_batches(4, 1, entries.clone(), 2).unwrap();
        assert_eq!(plan.batches.len(), 3);
        assert_eq!(plan.batches[2].entries, entries[4..].to_vec());
        assert_eq!(
            plan.batches[1].hash,
            batch_hash(4, 1, 3, 1, &entries[2..4]).unwrap()
        );
        assert_eq!(
            plan_batches(4, 1, entries.clone(), 0),
            Err(AggregateError::ZeroBatchSize)
        );
        let empty = plan_batches(4, 1, vec![], 10).unwrap();
        assert_eq!(empty.batches.len(), 1);
        assert!(empty.batches[0].entries.is_empty());
        let mut unsorted = entries;
        unsorted.swap(0, 1);
        assert!(matches!(
            plan_batches(4, 1, unsorted, 10),
            Err(AggregateError::Scoring(ScoringError::UnsortedEntries {
                index: 1,
                ..
            }))
        ));
    }
}

use cosmwasm_schema::cw_serde;

use crate::{BatteryClass, ScoringError, TouClass, UsageBuckets};

/// 1.0 in basis points.
pub const BP_ONE: u32 = 10_000;
/// Upper bound of any multiplier: 10.0. Keeps every score far inside `u128`.
pub const MAX_MULTIPLIER_BP: u32 = 100_000;
/// Score unit: 1 point = 1_000_000 micro-points; 1 Wh at a combined multiplier of 1.0 scores
/// 1 point.
pub const MICRO_POINTS_PER_POINT: u128 = 1_000_000;
/// At most one range per hour.
pub const MAX_TOU_RANGES: usize = 24;

/// M1, whitelisted battery: 1.2.
pub const DEFAULT_WHITELISTED_BP: u32 = 12_000;
/// M1, other battery: 1.0.
pub const DEFAULT_STANDARD_BP: u32 = 10_000;
/// M2, valley hour: 0.5.
pub const DEFAULT_VALLEY_BP: u32 = 5_000;
/// M2, off-peak hour: 1.0.
pub const DEFAULT_OFF_PEAK_BP: u32 = 10_000;
/// M2, peak hour: 1.35.
pub const DEFAULT_PEAK_BP: u32 = 13_500;
/// M3, owner holds both a CubeV1 and a CubeV2: 1.3.
pub const DEFAULT_DUAL_PRODUCT_BP: u32 = 13_000;
/// M3, otherwise: 1.0.
pub const DEFAULT_SINGLE_PRODUCT_BP: u32 = 10_000;

/// A half-open range of local hours `[start_hour, end_hour)` and its time-of-use class.
#[cw_serde]
#[derive(Copy, Eq)]
pub struct TouRange {
    /// First hour covered, 0..=23.
    pub start_hour: u8,
    /// First hour NOT covered, 1..=24.
    pub end_hour: u8,
    /// Class of every hour in the range.
    pub class: TouClass,
}

/// The on-chain score policy. All multipliers are in basis points (10_000 = 1.0).
#[cw_serde]
#[derive(Eq)]
pub struct ScorePolicy {
    /// M1 for energy from a whitelisted battery (default 12_000 = 1.2).
    pub whitelisted_bp: u32,
    /// M1 for energy from any other battery (default 10_000 = 1.0).
    pub standard_bp: u32,
    /// M2 for valley hours (default 5_000 = 0.5).
    pub valley_bp: u32,
    /// M2 for off-peak hours (default 10_000 = 1.0).
    pub off_peak_bp: u32,
    /// M2 for peak hours (default 13_500 = 1.35).
    pub peak_bp: u32,
    /// M3 when the owner has both a CubeV1 and a CubeV2 registered (default 13_000 = 1.3).
    pub dual_product_bp: u32,
    /// M3 otherwise (default 10_000 = 1.0).
    pub single_product_bp: u32,
    /// Time-of-use class by device-local hour; must cover 0..24 exactly once.
    pub tou_table: Vec<TouRange>,
}

impl Default for ScorePolicy {
    /// The default policy: 00–08 valley, 08–10 off-peak, 10–12 peak, 12–14 off-peak,
    /// 14–19 peak, 19–21 off-peak, 21–24 valley; M1 1.2/1.0; M2 0.5/1.0/1.35; M3 1.3/1.0.
    fn default() -> Self {
        let r = |start_hour, end_hour, class| TouRange {
            start_hour,
            end_hour,
            class,
        };
        ScorePolicy {
            whitelisted_bp: DEFAULT_WHITELISTED_BP,
            standard_bp: DEFAULT_STANDARD_BP,
            valley_bp: DEFAULT_VALLEY_BP,
            off_peak_bp: DEFAULT_OFF_PEAK_BP,
            peak_bp: DEFAULT_PEAK_BP,
            dual_product_bp: DEFAULT_DUAL_PRODUCT_BP,
            single_product_bp: DEFAULT_SINGLE_PRODUCT_BP,
            tou_table: vec![
                r(0, 8, TouClass::Valley),
                r(8, 10, TouClass::OffPeak),
                r(10, 12, TouClass::Peak),
                r(12, 14, TouClass::OffPeak),
                r(14, 19, TouClass::Peak),
                r(19, 21, TouClass::OffPeak),
                r(21, 24, TouClass::Valley),
            ],
        }
    }
}

impl ScorePolicy {
    /// Checks every multiplier is at most [`MAX_MULTIPLIER_BP`] and the time-of-use table
    /// covers hours 0..24 with no gap and no overlap (ranges may be in any order).
    pub fn validate(&self) -> Result<(), ScoringError> {
        for (name, value) in [
            ("whitelisted_bp", self.whitelisted_bp),
            ("standard_bp", self.standard_bp),
            ("valley_bp", self.valley_bp),
            ("off_peak_bp", self.off_peak_bp),
            ("peak_bp", self.peak_bp),
            ("dual_product_bp", self.dual_product_bp),
            ("single_product_bp", self.single_product_bp),
        ] {
            if value > MAX_MULTIPLIER_BP {
                return Err(ScoringError::MultiplierTooLarge {
                    name: name.to_string(),
                    value,
                    max: MAX_MULTIPLIER_BP,
                });
            }
        }
        self.hour_classes().map(|_| ())
    }

    /// The class of each hour 0..24, validating the table on the way.
    pub fn hour_classes(&self) -> Result<[TouClass; 24], ScoringError> {
        if self.tou_table.is_empty() {
            return Err(ScoringError::EmptyTouTable);
        }
        if self.tou_table.len() > MAX_TOU_RANGES {
            return Err(ScoringError::TooManyTouRanges {
                count: self.tou_table.len(),
                max: MAX_TOU_RANGES,
            });
        }
        let mut slots: [Option<TouClass>; 24] = [None; 24];
        for range in &self.tou_table {
            if range.start_hour >= range.end_hour || range.end_hour > 24 {
                return Err(ScoringError::InvalidTouRange {
                    start_hour: range.start_hour,
                    end_hour: range.end_hour,
                });
            }
            for hour in range.start_hour..range.end_hour {
                let slot = slots
                    .get_mut(usize::from(hour))
                    .ok_or(ScoringError::HourOutOfRange { hour })?;
                if slot.is_some() {
                    return Err(ScoringError::TouOverlap { hour });
                }
                *slot = Some(range.class);
            }
        }
        let mut out = [TouClass::Valley; 24];
        for (hour, (slot, out)) in (0u8..).zip(slots.iter().zip(out.iter_mut())) {
            *out = slot.ok_or(ScoringError::TouGap { hour })?;
        }
        Ok(out)
    }

    /// The time-of-use class of local hour `hour` (0..24).
    pub fn class_of_hour(&self, hour: u8) -> Result<TouClass, ScoringError> {
        if hour >= 24 {
            return Err(ScoringError::HourOutOfRange { hour });
        }
        self.tou_table
            .iter()
            .find(|r| r.start_hour <= hour && hour < r.end_hour)
            .map(|r| r.class)
            .ok_or(ScoringError::TouGap { hour })
    }

    /// M1 of a battery class, in bp.
    pub fn hardware_bp(&self, battery: BatteryClass) -> u32 {
        match battery {
            BatteryClass::Whitelisted => self.whitelisted_bp,
            BatteryClass::Standard => self.standard_bp,
        }
    }

    /// M2 of a time-of-use class, in bp.
    pub fn tou_bp(&self, tou: TouClass) -> u32 {
        match tou {
            TouClass::Valley => self.valley_bp,
            TouClass::OffPeak => self.off_peak_bp,
            TouClass::Peak => self.peak_bp,
        }
    }

    /// M3 in bp: `dual_product_bp` when the owner holds both models, else `single_product_bp`.
    pub fn product_mix_bp(&self, dual_product: bool) -> u32 {
        if dual_product {
            self.dual_product_bp
        } else {
            self.single_product_bp
        }
    }

    /// The score in micro-points:
    /// `floor(M3 · Σ_{b,c} wh[b][c] · M1[b] · M2[c] / 10^6)` with multipliers in bp, computed
    /// exactly in `u128` (bp³ = 10^12 per unit, 10^6 micro-points per point ⇒ one division by
    /// 10^6 at the end). 1 Wh at 1.0 × 1.0 × 1.0 = 1_000_000 micro-points.
    pub fn score(&self, buckets: &UsageBuckets, dual_product: bool) -> Result<u128, ScoringError> {
        let mut sum: u128 = 0;
        for battery in BatteryClass::ALL {
            for tou in TouClass::ALL {
                let term = u128::from(buckets.get(battery, tou))
                    .checked_mul(u128::from(self.hardware_bp(battery)))
                    .and_then(|v| v.checked_mul(u128::from(self.tou_bp(tou))))
                    .ok_or(ScoringError::Overflow)?;
                sum = sum.checked_add(term).ok_or(ScoringError::Overflow)?;
            }
        }
        let scaled = sum
            .checked_mul(u128::from(self.product_mix_bp(dual_product)))
            .ok_or(ScoringError::Overflow)?;
        // 10^12 (three bp factors) / 10^6 (micro-points) = 10^6.
        Ok(scaled / 1_000_000)
    }
}

use cosmwasm_schema::cw_serde;

/// Cube hardware generation. JSON: `"cube_v1"` / `"cube_v2"`.
#[cw_serde]
#[derive(Copy, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceModel {
    /// First-generation Cube.
    CubeV1,
    /// Second-generation Cube.
    CubeV2,
}

impl DeviceModel {
    /// Stable name used in the certificate encoding (`"cube_v1"` / `"cube_v2"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            DeviceModel::CubeV1 => "cube_v1",
            DeviceModel::CubeV2 => "cube_v2",
        }
    }
}

/// Battery class of the energy (M1). JSON: `"whitelisted"` / `"standard"`.
/// Index in [`UsageBuckets::wh`]: whitelisted = 0, standard = 1.
#[cw_serde]
#[derive(Copy, Eq, Hash, PartialOrd, Ord)]
pub enum BatteryClass {
    /// The Cube was paired (Bluetooth) with a battery on the on-chain whitelist.
    Whitelisted,
    /// Any other battery.
    Standard,
}

impl BatteryClass {
    /// All classes in bucket order.
    pub const ALL: [BatteryClass; 2] = [BatteryClass::Whitelisted, BatteryClass::Standard];

    /// Row index in [`UsageBuckets::wh`].
    pub fn index(&self) -> usize {
        match self {
            BatteryClass::Whitelisted => 0,
            BatteryClass::Standard => 1,
        }
    }
}

/// Time-of-use class of a local hour (M2). JSON: `"valley"` / `"off_peak"` / `"peak"`.
/// Index in [`UsageBuckets::wh`]: valley = 0, off_peak = 1, peak = 2.
#[cw_serde]
#[derive(Copy, Eq, Hash, PartialOrd, Ord)]
pub enum TouClass {
    /// Low-demand hours (discouraged discharge).
    Valley,
    /// Normal hours.
    OffPeak,
    /// High-demand hours (encouraged discharge).
    Peak,
}

impl TouClass {
    /// All classes in bucket order.
    pub const ALL: [TouClass; 3] = [TouClass::Valley, TouClass::OffPeak, TouClass::Peak];

    /// Column index in [`UsageBuckets::wh`].
    pub fn index(&self) -> usize {
        match self {
            TouClass::Valley => 0,
            TouClass::OffPeak => 1,
            TouClass::Peak => 2,
        }
    }
}

/// Energy discharged by one owner in one round, in whole Wh, bucketed by battery class × time
/// of use: `wh[battery][tou]` with battery 0 = whitelisted, 1 = standard and tou 0 = valley,
/// 1 = off-peak, 2 = peak.
///
/// JSON: `{"wh": [[valley, off_peak, peak], [valley, off_peak, peak]]}` (first row whitelisted,
/// second row standard), numbers as JSON integers.
#[cw_serde]
#[derive(Copy, Eq, Default, Hash)]
pub struct UsageBuckets {
    /// `wh[battery][tou]`, see the type documentation for the index order.
    pub wh: [[u64; 3]; 2],
}

impl UsageBuckets {
    /// Buckets holding `wh` in a single (battery, tou) cell.
    pub fn single(battery: BatteryClass, tou: TouClass, wh: u64) -> Self {
        let mut b = UsageBuckets::default();
        b.add(battery, tou, wh);
        b
    }

    /// Wh in one cell.
    pub fn get(&self, battery: BatteryClass, tou: TouClass) -> u64 {
        self.wh[battery.index()][tou.index()]
    }

    /// Adds `wh` to one cell (saturating; plausibility checks reject absurd totals anyway).
    pub fn add(&mut self, battery: BatteryClass, tou: TouClass, wh: u64) {
        let cell = &mut self.wh[battery.index()][tou.index()];
        *cell = cell.saturating_add(wh);
    }

    /// Σ of all cells, exact (u128 cannot overflow with six u64 terms).
    pub fn total_wh(&self) -> u128 {
        self.wh.iter().flatten().map(|&v| u128::from(v)).sum()
    }
}

/// One owner's usage in a batch. `owner` is the bech32 account address as a string; the
/// contract validates it.
#[cw_serde]
#[derive(Eq, Hash)]
pub struct UsageEntry {
    /// Owner account (bech32).
    pub owner: String,
    /// Wh by battery class × time-of-use class.
    pub buckets: UsageBuckets,
}

/// Rated (maximum continuous) discharge power of each model, in W. Bounds the plausible energy
/// of an owner in a round: Σ over the owner's registered devices of rated power × round length.
#[cw_serde]
#[derive(Copy, Eq)]
pub struct RatedPower {
    /// CubeV1 rated power in W. Default 2_000.
    pub cube_v1_w: u64,
    /// CubeV2 rated power in W. Default 3_000.
    pub cube_v2_w: u64,
}

impl Default for RatedPower {
    fn default() -> Self {
        RatedPower {
            cube_v1_w: 2_000,
            cube_v2_w: 3_000,
        }
    }
}

impl RatedPower {
    /// Rated power of one model in W.
    pub fn of(&self, model: DeviceModel) -> u64 {
        match model {
            DeviceModel::CubeV1 => self.cube_v1_w,
            DeviceModel::CubeV2 => self.cube_v2_w,
        }
    }

    /// Maximum plausible Wh for an owner holding `v1` CubeV1 and `v2` CubeV2 over
    /// `duration_secs`: (v1·P1 + v2·P2) · duration / 3600, floored, exact in u128.
    pub fn max_wh(&self, v1: u32, v2: u32, duration_secs: u64) -> u128 {
        let watts = u128::from(v1) * u128::from(self.cube_v1_w)
            + u128::from(v2) * u128::from(self.cube_v2_w);
        // u32·u64 + u32·u64 < 2^97, times u64 < 2^161 would overflow: saturate instead.
        watts.saturating_mul(u128::from(duration_secs)) / 3600
    }
}

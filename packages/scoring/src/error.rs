use thiserror::Error;

/// Everything that can go wrong in this crate. Each variant carries the data needed to fix it.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum ScoringError {
    /// The time-of-use table has no ranges.
    #[error("time-of-use table is empty")]
    EmptyTouTable,

    /// More ranges than hours in a day.
    #[error("time-of-use table has {count} ranges, at most {max} allowed")]
    TooManyTouRanges { count: usize, max: usize },

    /// A range with `start_hour >= 24`, `end_hour > 24` or `start_hour >= end_hour`.
    #[error("invalid time-of-use range {start_hour}..{end_hour} (need start < end <= 24)")]
    InvalidTouRange { start_hour: u8, end_hour: u8 },

    /// Two ranges both cover `hour`.
    #[error("time-of-use ranges overlap at hour {hour}")]
    TouOverlap { hour: u8 },

    /// No range covers `hour`.
    #[error("time-of-use table has a gap at hour {hour}")]
    TouGap { hour: u8 },

    /// `class_of_hour` was asked for an hour outside 0..24.
    #[error("hour {hour} is outside 0..24")]
    HourOutOfRange { hour: u8 },

    /// A multiplier above [`crate::MAX_MULTIPLIER_BP`].
    #[error("multiplier {name} = {value} bp exceeds the maximum of {max} bp")]
    MultiplierTooLarge { name: String, value: u32, max: u32 },

    /// Entries of a batch are not sorted by owner strictly ascending (byte order).
    #[error("batch entries not strictly sorted by owner at index {index} ({owner})")]
    UnsortedEntries { index: usize, owner: String },

    /// Arithmetic overflow (cannot happen with validated policies and u64 Wh, kept for safety).
    #[error("arithmetic overflow in score computation")]
    Overflow,
}

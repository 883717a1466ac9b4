use thiserror::Error;

/// Why a scenario cannot be simulated.
#[derive(Debug, Error, PartialEq)]
pub enum SimError {
    #[error("scenario is not valid JSON for a pool-sim scenario: {reason}")]
    Parse { reason: String },
    #[error("{field}: {value:?} is {reason}")]
    InvalidAmount {
        field: String,
        value: String,
        reason: String,
    },
    #[error("{field}: {value} is out of range ({range})")]
    OutOfRange {
        field: String,
        value: String,
        range: String,
    },
    /// The contract's own `Config::validate` refused the pool.
    #[error("pool: the contract would refuse these parameters: {reason}")]
    InvalidPool { reason: String },
    /// The contract's halving code returned an error (an overflow it guards against).
    #[error("the contract's rules failed at day {day:.3}: {reason}")]
    Rules { day: f64, reason: String },
}

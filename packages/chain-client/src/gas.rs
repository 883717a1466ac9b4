//! Gas limit from simulated gas.

use crate::error::ChainError;

/// `ceil(simulated × adjustment)`, with the adjustment applied in exact per-mille steps.
pub fn gas_limit(simulated: u64, adjustment: f64) -> Result<u64, ChainError> {
    if !(adjustment.is_finite() && (1.0..=10.0).contains(&adjustment)) {
        return Err(ChainError::Config(format!(
            "gas adjustment {adjustment} outside [1, 10]"
        )));
    }
    // The check above bounds the per-mille value to the integers 1000..=10000: find it there
    // instead of a lossy float-to-int cast.
    let target = (adjustment * 1000.0).round();
    let permille = (1000u32..=10_000)
        .find(|p| f64::from(*p) >= target)
        .map(u128::from)
        .ok_or(ChainError::Overflow("gas adjustment"))?;
    let limit = u128::from(simulated)
        .checked_mul(permille)
        .and_then(|p| p.checked_add(999))
        .map(|p| p / 1000)
        .ok_or(ChainError::Overflow("gas limit"))?;
    u64::try_from(limit).map_err(|_| ChainError::Overflow("gas limit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_the_adjustment_and_rounds_up() {
        assert_eq!(gas_limit(100_000, 1.3).unwrap(), 130_000);
        assert_eq!(gas_limit(1, 1.3).unwrap(), 2);
        assert_eq!(gas_limit(0, 1.5).unwrap(), 0);
        assert_eq!(gas_limit(1001, 1.0).unwrap(), 1001);
        assert!(matches!(gas_limit(10, 0.9), Err(ChainError::Config(_))));
        assert!(matches!(
            gas_limit(u64::MAX, 2.0),
            Err(ChainError::Overflow(_))
        ));
    }
}

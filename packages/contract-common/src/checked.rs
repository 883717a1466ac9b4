//! Overflow-checked arithmetic on primitive integers that fails with cosmwasm's
//! [`OverflowError`], which every contract error converts with `?` — instead of spelling
//! `.checked_add(1).ok_or(OverflowError::new(OverflowOperation::Add))?` at every counter.
//! (`Uint128`/`Uint256` already have `checked_*` methods returning `OverflowError`.)

use cosmwasm_std::{OverflowError, OverflowOperation};

/// Checked `+ 1`, `- 1`, `+`, `-` and `*` failing with an [`OverflowError`].
pub trait Checked: Sized {
    /// `self + 1`.
    fn checked_inc(self) -> Result<Self, OverflowError>;
    /// `self - 1`.
    fn checked_dec(self) -> Result<Self, OverflowError>;
    /// `self + rhs`.
    fn try_add(self, rhs: Self) -> Result<Self, OverflowError>;
    /// `self - rhs`.
    fn try_sub(self, rhs: Self) -> Result<Self, OverflowError>;
    /// `self * rhs`.
    fn try_mul(self, rhs: Self) -> Result<Self, OverflowError>;
}

macro_rules! impl_checked {
    ($($t:ty),*) => {$(
        impl Checked for $t {
            fn checked_inc(self) -> Result<Self, OverflowError> {
                self.try_add(1)
            }
            fn checked_dec(self) -> Result<Self, OverflowError> {
                self.try_sub(1)
            }
            fn try_add(self, rhs: Self) -> Result<Self, OverflowError> {
                self.checked_add(rhs)
                    .ok_or(OverflowError::new(OverflowOperation::Add))
            }
            fn try_sub(self, rhs: Self) -> Result<Self, OverflowError> {
                self.checked_sub(rhs)
                    .ok_or(OverflowError::new(OverflowOperation::Sub))
            }
            fn try_mul(self, rhs: Self) -> Result<Self, OverflowError> {
                self.checked_mul(rhs)
                    .ok_or(OverflowError::new(OverflowOperation::Mul))
            }
        }
    )*};
}

impl_checked!(u32, u64, u128, usize);

#[cfg(test)]
mod tests {
    use super::*;

    fn overflow(op: OverflowOperation) -> OverflowError {
        OverflowError::new(op)
    }

    #[test]
    fn counters_step_by_one_and_stop_at_the_bounds() {
        assert_eq!(0u32.checked_inc(), Ok(1));
        assert_eq!(41u64.checked_inc(), Ok(42));
        assert_eq!(
            u32::MAX.checked_inc(),
            Err(overflow(OverflowOperation::Add))
        );
        assert_eq!(
            u64::MAX.checked_inc(),
            Err(overflow(OverflowOperation::Add))
        );
        assert_eq!(1u32.checked_dec(), Ok(0));
        assert_eq!(42u64.checked_dec(), Ok(41));
        assert_eq!(0u32.checked_dec(), Err(overflow(OverflowOperation::Sub)));
        assert_eq!(0usize.checked_dec(), Err(overflow(OverflowOperation::Sub)));
    }

    #[test]
    fn arithmetic_reports_its_operation() {
        assert_eq!(2u64.try_add(3), Ok(5));
        assert_eq!(u64::MAX.try_add(1), Err(overflow(OverflowOperation::Add)));
        assert_eq!(5u128.try_sub(3), Ok(2));
        assert_eq!(3u128.try_sub(5), Err(overflow(OverflowOperation::Sub)));
        assert_eq!(6u64.try_mul(7), Ok(42));
        assert_eq!(u64::MAX.try_mul(2), Err(overflow(OverflowOperation::Mul)));
        assert_eq!(u64::MAX.try_mul(1), Ok(u64::MAX));
    }
}

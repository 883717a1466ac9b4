//! The guard of a CW20 `Send` hook (`Receive`): only the configured token contract may call it
//! (another CW20, or an account forging `Receive` directly, has a different sender), and only
//! with a non-zero amount.

use cosmwasm_std::{Addr, Uint128};
use thiserror::Error;

/// Refused deposits, the same in both contracts.
#[derive(Error, Debug, PartialEq, Eq)]
pub enum DepositError {
    #[error("{sender} is not the configured token {expected}")]
    UnauthorizedToken { sender: Addr, expected: Addr },

    #[error("deposit amount must be non-zero")]
    ZeroAmount,
}

/// Fails unless `sender` (the caller of `Receive`) is `token` and `amount` is non-zero.
pub fn ensure_token_deposit(
    sender: &Addr,
    token: &Addr,
    amount: Uint128,
) -> Result<(), DepositError> {
    if sender != token {
        return Err(DepositError::UnauthorizedToken {
            sender: sender.clone(),
            expected: token.clone(),
        });
    }
    if amount.is_zero() {
        return Err(DepositError::ZeroAmount);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_token_with_a_non_zero_amount() {
        let (token, other) = (Addr::unchecked("tok"), Addr::unchecked("other"));
        assert_eq!(ensure_token_deposit(&token, &token, Uint128::one()), Ok(()));
        assert_eq!(
            ensure_token_deposit(&other, &token, Uint128::one()),
            Err(DepositError::UnauthorizedToken {
                sender: other.clone(),
                expected: token.clone()
            })
        );
        assert_eq!(
            ensure_token_deposit(&token, &token, Uint128::zero()),
            Err(DepositError::ZeroAmount)
        );
        // The sender is checked first.
        assert!(matches!(
            ensure_token_deposit(&other, &token, Uint128::zero()),
            Err(DepositError::UnauthorizedToken { .. })
        ));
    }
}

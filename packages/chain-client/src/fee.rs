//! Fee from gas limit and gas price.

use cosmrs::tx::Fee;
use cosmrs::Coin;

use crate::config::GasPrice;
use crate::error::ChainError;

/// `ceil(gas_limit × price)` in base units of the price denom.
pub fn fee_amount(gas_limit: u64, price: &GasPrice) -> Result<u128, ChainError> {
    let denominator = 10u128
        .checked_pow(price.scale)
        .ok_or(ChainError::Overflow("fee"))?;
    u128::from(gas_limit)
        .checked_mul(price.numerator)
        .and_then(|p| p.checked_add(denominator - 1))
        .map(|p| p / denominator)
        .ok_or(ChainError::Overflow("fee"))
}

/// The tx fee paying `ceil(gas_limit × price)`.
pub fn fee(gas_limit: u64, price: &GasPrice) -> Result<(Fee, u128), ChainError> {
    let amount = fee_amount(gas_limit, price)?;
    let denom = price
        .denom
        .parse()
        .map_err(|e| ChainError::Config(format!("fee denom: {e}")))?;
    let fee = if amount == 0 {
        // A zero-amount coin is invalid in the SDK; a free chain takes an empty fee.
        Fee {
            amount: vec![],
            gas_limit,
            payer: None,
            granter: None,
        }
    } else {
        Fee::from_amount_and_gas(Coin { amount, denom }, gas_limit)
    };
    Ok((fee, amount))
}

/// The fee used for simulation: no coins (the node does not charge simulations).
pub fn simulation_fee() -> Fee {
    Fee {
        amount: vec![],
        gas_limit: 0,
        payer: None,
        granter: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_the_fee_up() {
        let price: GasPrice = "0.025stake".parse().unwrap();
        assert_eq!(fee_amount(200_000, &price).unwrap(), 5_000);
        assert_eq!(fee_amount(200_001, &price).unwrap(), 5_001);
        assert_eq!(fee_amount(1, &price).unwrap(), 1);
        assert_eq!(fee_amount(0, &price).unwrap(), 0);
        let (fee, amount) = fee(200_001, &price).unwrap();
        assert_eq!(amount, 5_001);
        assert_eq!(fee.gas_limit, 200_001);
        assert_eq!(fee.amount.len(), 1);
        assert_eq!(fee.amount[0].amount, 5_001);
        assert_eq!(fee.amount[0].denom.as_ref(), "stake");
    }
}

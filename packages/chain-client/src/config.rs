//! Client configuration: endpoint, chain id, gas price and adjustment, timeouts.

use std::str::FromStr;
use std::time::Duration;

use crate::error::ChainError;

/// How to reach and pay a chain.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// REST (gRPC-gateway) base URL, e.g. `http://127.0.0.1:1317`.
    pub rest_url: String,
    /// Chain id, e.g. `rewards-local-1`.
    pub chain_id: String,
    /// Bech32 prefix of account addresses (`wasm` for wasmd).
    pub account_prefix: String,
    /// Gas price, e.g. `0.025stake`.
    pub gas_price: GasPrice,
    /// Multiplier applied to simulated gas.
    pub gas_adjustment: f64,
    /// How long to wait for inclusion after a successful broadcast.
    pub tx_timeout: Duration,
    /// Interval between inclusion polls.
    pub poll_interval: Duration,
    /// How many times a tx is rebuilt after an account-sequence mismatch.
    pub max_sequence_retries: u32,
    /// Per-request HTTP timeout.
    pub http_timeout: Duration,
}

impl ChainConfig {
    /// Defaults for a wasmd localnet at `rest_url`.
    pub fn new(
        rest_url: impl Into<String>,
        chain_id: impl Into<String>,
        gas_price: GasPrice,
    ) -> Self {
        ChainConfig {
            rest_url: rest_url.into(),
            chain_id: chain_id.into(),
            account_prefix: "wasm".to_string(),
            gas_price,
            gas_adjustment: 1.3,
            tx_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(100),
            max_sequence_retries: 5,
            http_timeout: Duration::from_secs(30),
        }
    }

    /// Checks the values before any request is made.
    pub fn validate(&self) -> Result<(), ChainError> {
        if !(self.rest_url.starts_with("http://") || self.rest_url.starts_with("https://")) {
            return Err(ChainError::Config(format!(
                "rest url must start with http:// or https://, got {:?}",
                self.rest_url
            )));
        }
        if self.chain_id.is_empty() {
            return Err(ChainError::Config("chain id is empty".into()));
        }
        if self.account_prefix.is_empty() {
            return Err(ChainError::Config("account prefix is empty".into()));
        }
        if !(self.gas_adjustment.is_finite() && (1.0..=10.0).contains(&self.gas_adjustment)) {
            return Err(ChainError::Config(format!(
                "gas adjustment must be within [1, 10], got {}",
                self.gas_adjustment
            )));
        }
        if self.tx_timeout.is_zero() || self.poll_interval.is_zero() {
            return Err(ChainError::Config("timeouts must be positive".into()));
        }
        Ok(())
    }
}

/// A gas price as an exact decimal: `amount = numerator / 10^scale` per gas unit of `denom`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    /// Decimal digits without the point, e.g. 25 for 0.025.
    pub numerator: u128,
    /// Number of decimal places, e.g. 3 for 0.025.
    pub scale: u32,
    /// Fee denom, e.g. `stake`.
    pub denom: String,
}

impl FromStr for GasPrice {
    type Err = ChainError;

    /// Parses `0.025stake` / `1uatom` / `0.1ibc/ABC...`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| ChainError::Config(format!("gas price {s:?} has no denom")))?;
        let (number, denom) = s.split_at(split);
        if number.is_empty() || denom.is_empty() {
            return Err(ChainError::Config(format!(
                "gas price {s:?} must look like 0.025stake"
            )));
        }
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        if frac.contains('.') || (int.is_empty() && frac.is_empty()) {
            return Err(ChainError::Config(format!(
                "gas price {s:?} is not a decimal"
            )));
        }
        let digits = format!("{int}{frac}");
        let numerator = digits
            .parse::<u128>()
            .map_err(|e| ChainError::Config(format!("gas price {s:?}: {e}")))?;
        let scale = u32::try_from(frac.len())
            .ok()
            .filter(|scale| *scale <= 18)
            .ok_or_else(|| ChainError::Config(format!("gas price {s:?} has too many decimals")))?;
        Ok(GasPrice {
            numerator,
            scale,
            denom: denom.to_string(),
        })
    }
}

impl std::fmt::Display for GasPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = format!(
            "{:0>width$}",
            self.numerator,
            width = self.scale as usize + 1
        );
        let (int, frac) = digits.split_at(digits.len() - self.scale as usize);
        if frac.is_empty() {
            write!(f, "{int}{}", self.denom)
        } else {
            write!(f, "{int}.{frac}{}", self.denom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_gas_prices() {
        let p: GasPrice = "0.025stake".parse().unwrap();
        assert_eq!(
            p,
            GasPrice {
                numerator: 25,
                scale: 3,
                denom: "stake".into()
            }
        );
        assert_eq!(p.to_string(), "0.025stake");
        let p: GasPrice = "1uatom".parse().unwrap();
        assert_eq!(
            p,
            GasPrice {
                numerator: 1,
                scale: 0,
                denom: "uatom".into()
            }
        );
        assert_eq!(p.to_string(), "1uatom");
        assert!(matches!(
            "stake".parse::<GasPrice>(),
            Err(ChainError::Config(_))
        ));
        assert!(matches!(
            "0.025".parse::<GasPrice>(),
            Err(ChainError::Config(_))
        ));
        assert!(matches!(
            "0.0.1stake".parse::<GasPrice>(),
            Err(ChainError::Config(_))
        ));
    }

    #[test]
    fn validate_rejects_bad_values() {
        let ok = ChainConfig::new(
            "http://127.0.0.1:1317",
            "c-1",
            "0.025stake".parse().unwrap(),
        );
        assert!(ok.validate().is_ok());
        let mut bad = ok.clone();
        bad.rest_url = "127.0.0.1:1317".into();
        assert!(matches!(bad.validate(), Err(ChainError::Config(m)) if m.contains("http://")));
        let mut bad = ok.clone();
        bad.gas_adjustment = 0.5;
        assert!(
            matches!(bad.validate(), Err(ChainError::Config(m)) if m.contains("gas adjustment"))
        );
        let mut bad = ok;
        bad.chain_id.clear();
        assert!(matches!(bad.validate(), Err(ChainError::Config(m)) if m.contains("chain id")));
    }
}

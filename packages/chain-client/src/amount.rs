//! Token amounts for people: CW20 base units (the integers the contracts hold) shown in whole
//! tokens, exactly as the web app's `formatAmount` (`web/src/lib/format.ts`) shows them.
//!
//! Digits only, never floating point and no arithmetic that could overflow, so a shown amount is
//! exactly the on-chain amount. Both formatters are checked against the same golden vectors,
//! `packages/chain-client/amount-vectors.json` (this crate's unit test and
//! `web/tests/unit/format.test.ts`).

use ::cw20::TokenInfoResponse;

/// `base` base units of a token with `decimals` decimal places, in whole tokens: the integer
/// part grouped by thousands with `,`, then `.` and the fractional digits with trailing zeros
/// trimmed, no `.` when the fraction is zero. With 6 decimals: `1` → `0.000001`, `1_500_000` →
/// `1.5`, `505_112_474` → `505.112474`, `1_500_000_000_000` → `1,500,000`.
///
/// `decimals` is a `u8` like cw20's `TokenInfoResponse::decimals`; more places than a `u128` has
/// digits (above 38) put every digit in the fraction (`0.0…`), never a panic.
pub fn format_amount(base: u128, decimals: u8) -> String {
    let digits = base.to_string();
    let places = usize::from(decimals);
    // At least one integer digit: left-pad with zeros to `places + 1` digits.
    let width = places.saturating_add(1);
    let padded = if digits.len() < width {
        format!("{digits:0>width$}")
    } else {
        digits
    };
    let (whole, frac) = padded
        .split_at_checked(padded.len().saturating_sub(places))
        .unwrap_or((padded.as_str(), ""));
    let frac = frac.trim_end_matches('0');
    let mut out = group_thousands(whole);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// [`format_amount`] followed by the token's symbol: `505.112474 ECT`.
pub fn format_tokens(base: u128, decimals: u8, symbol: &str) -> String {
    format!("{} {symbol}", format_amount(base, decimals))
}

/// `1234567` → `1,234,567` (ASCII digits).
fn group_thousands(digits: &str) -> String {
    let len = digits.len();
    let mut out = String::with_capacity(len.saturating_add(len / 3));
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && len.saturating_sub(i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How one CW20 token is shown: its symbol and decimal places (from its instantiate message or
/// its `TokenInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenUnit {
    /// Ticker symbol, e.g. `ECT`.
    pub symbol: String,
    /// Decimal places of one whole token.
    pub decimals: u8,
}

impl TokenUnit {
    /// `base` in whole tokens, without the symbol ([`format_amount`]).
    pub fn amount(&self, base: u128) -> String {
        format_amount(base, self.decimals)
    }

    /// `base` in whole tokens with the symbol ([`format_tokens`]).
    pub fn tokens(&self, base: u128) -> String {
        format_tokens(base, self.decimals, &self.symbol)
    }
}

impl From<&TokenInfoResponse> for TokenUnit {
    fn from(info: &TokenInfoResponse) -> Self {
        TokenUnit {
            symbol: info.symbol.clone(),
            decimals: info.decimals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// One golden vector of `amount-vectors.json`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Vector {
        base: String,
        decimals: u8,
        text: String,
    }

    #[test]
    fn the_golden_vectors_shared_with_the_web_app() {
        let vectors: Vec<Vector> =
            serde_json::from_str(include_str!("../amount-vectors.json")).unwrap();
        assert!(vectors.len() >= 12, "{vectors:?}");
        for v in &vectors {
            let base: u128 = v.base.parse().unwrap();
            assert_eq!(format_amount(base, v.decimals), v.text, "{v:?}");
        }
    }

    #[test]
    fn with_the_symbol_and_at_the_edges() {
        assert_eq!(format_tokens(505_112_474, 6, "ECT"), "505.112474 ECT");
        assert_eq!(format_tokens(0, 6, "TOK"), "0 TOK");
        assert_eq!(format_amount(999, 0), "999");
        assert_eq!(format_amount(1_000, 0), "1,000");
        assert_eq!(format_amount(100_000, 6), "0.1");
        assert_eq!(
            format_amount(u128::MAX, 38),
            "3.40282366920938463463374607431768211455"
        );
        assert_eq!(format_amount(1, 255).len(), 257);
        assert_eq!(format_amount(0, 255), "0");
        let unit = TokenUnit {
            symbol: "TOK".into(),
            decimals: 6,
        };
        assert_eq!(unit.amount(1_100_000), "1.1");
        assert_eq!(unit.tokens(1_000), "0.001 TOK");
    }
}

//! Validation at the boundary: configuration (instantiate and every owner update), list-change
//! sizes, battery ids and device registration fields.

use cosmwasm_std::{Binary, HexBinary};
use cube_types::mining_round::{MAX_CHALLENGE_WINDOW, MAX_DISPUTE_BOND_BPS};

use crate::state::{
    Config, MAX_ATTESTATION_ROUNDS, MAX_CHANGES, MAX_CLAIM_ROUNDS_LIMIT, MAX_CLAIM_WINDOW,
    MAX_ENTRIES_LIMIT, MAX_GENESIS_TIME, MAX_MANUFACTURER_KEYS, MAX_ORACLES, MAX_ROUND_DURATION,
};
use crate::ContractError;

fn nonzero(name: &str, value: u64) -> Result<(), ContractError> {
    if value == 0 {
        return Err(ContractError::ZeroParameter {
            name: name.to_string(),
        });
    }
    Ok(())
}

fn in_range(name: &str, value: u32, min: u32, max: u32) -> Result<(), ContractError> {
    in_range_u64(name, u64::from(value), u64::from(min), u64::from(max))
}

fn in_range_u64(name: &str, value: u64, min: u64, max: u64) -> Result<(), ContractError> {
    if value < min || value > max {
        return Err(ContractError::ParameterOutOfRange {
            name: name.to_string(),
            value,
            min,
            max,
        });
    }
    Ok(())
}

impl Config {
    /// Checks every parameter; `oracle_count` is the number of oracles after the change.
    pub fn validate(&self, oracle_count: u32) -> Result<(), ContractError> {
        nonzero("round_duration", self.round_duration)?;
        nonzero("attestation_window", self.attestation_window)?;
        nonzero("claim_window", self.claim_window)?;
        // Bounded times: every round in the contract's range (end <= LAST_ROUND_END) has
        // deadlines that fit in u64, whatever the windows pinned for it.
        in_range_u64("genesis_time", self.genesis_time, 0, MAX_GENESIS_TIME)?;
        in_range_u64("round_duration", self.round_duration, 1, MAX_ROUND_DURATION)?;
        in_range_u64(
            "attestation_window",
            self.attestation_window,
            1,
            self.round_duration.saturating_mul(MAX_ATTESTATION_ROUNDS),
        )?;
        in_range_u64("claim_window", self.claim_window, 1, MAX_CLAIM_WINDOW)?;
        in_range_u64(
            "challenge_window",
            self.challenge_window,
            0,
            MAX_CHALLENGE_WINDOW,
        )?;
        in_range(
            "dispute_bond_bps",
            self.dispute_bond_bps,
            0,
            MAX_DISPUTE_BOND_BPS,
        )?;
        if self.quorum == 0 || self.quorum > oracle_count {
            return Err(ContractError::InvalidQuorum {
                quorum: self.quorum,
                oracles: oracle_count,
            });
        }
        if oracle_count > MAX_ORACLES {
            return Err(ContractError::TooManyOracles {
                count: oracle_count,
                max: MAX_ORACLES,
            });
        }
        in_range(
            "max_entries_per_batch",
            self.max_entries_per_batch,
            1,
            MAX_ENTRIES_LIMIT,
        )?;
        in_range(
            "max_claim_rounds",
            self.max_claim_rounds,
            1,
            MAX_CLAIM_ROUNDS_LIMIT,
        )?;
        if self.manufacturer_keys.is_empty() || self.manufacturer_keys.len() > MAX_MANUFACTURER_KEYS
        {
            return Err(ContractError::ManufacturerKeyCount {
                count: self.manufacturer_keys.len(),
                max: MAX_MANUFACTURER_KEYS,
            });
        }
        for key in &self.manufacturer_keys {
            if key.len() != 32 {
                return Err(ContractError::InvalidManufacturerKey { len: key.len() });
            }
        }
        // The end of the last representable round must not overflow for reasonable rounds.
        self.genesis_time
            .checked_add(self.round_duration)
            .and_then(|t| t.checked_add(self.attestation_window))
            .and_then(|t| t.checked_add(self.claim_window))
            .ok_or(ContractError::ParameterOutOfRange {
                name: "genesis_time + round_duration + windows".to_string(),
                value: self.genesis_time,
                min: 0,
                max: u64::MAX,
            })?;
        Ok(())
    }
}

pub fn validate_battery_id(id: &str) -> Result<(), ContractError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ContractError::InvalidBatteryId { id: id.to_string() });
    }
    Ok(())
}

pub fn check_changes(add: usize, remove: usize) -> Result<(), ContractError> {
    let count = add.saturating_add(remove);
    if count > MAX_CHANGES {
        return Err(ContractError::TooManyChanges {
            count,
            max: MAX_CHANGES,
        });
    }
    Ok(())
}

pub fn validate_serial(serial: &str) -> Result<(), ContractError> {
    let ok =
        !serial.is_empty() && serial.len() <= 64 && serial.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(ContractError::InvalidSerial {
            serial: serial.to_string(),
        });
    }
    Ok(())
}

/// IANA names: `Area/Location[/Sub]`, `UTC`, `Etc/GMT+5`: letters, digits, `/_+-`, no empty
/// segment.
pub fn validate_timezone(tz: &str) -> Result<(), ContractError> {
    let ok = !tz.is_empty()
        && tz.len() <= 64
        && tz
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'+' | b'-'))
        && tz.split('/').all(|seg| !seg.is_empty());
    if !ok {
        return Err(ContractError::InvalidTimezone {
            timezone: tz.to_string(),
        });
    }
    Ok(())
}

pub fn signature_len(name: &str, sig: &Binary) -> Result<(), ContractError> {
    if sig.len() != 64 {
        return Err(ContractError::InvalidSignatureLength {
            name: name.to_string(),
            len: sig.len(),
        });
    }
    Ok(())
}

/// A hash argument as 32 bytes, or `InvalidHashLength`.
pub fn hash32(hash: &HexBinary) -> Result<[u8; 32], ContractError> {
    hash.as_slice()
        .try_into()
        .map_err(|_| ContractError::InvalidHashLength { len: hash.len() })
}

//! The contract's round clock: the shared `cube_types::clock::RoundClock` over the configured
//! genesis and round duration (the relayer and the tools use the same one), with its `None`
//! (overflow) turned into typed errors, and each round's attestation deadline (its pinned
//! attestation window after its end).

use cosmwasm_std::Storage;
use cube_types::clock::RoundClock;

use crate::state::{rules_for_round, Config, LAST_ROUND_END};
use crate::ContractError;

/// Start, end and attestation deadline of one round, unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundTimes {
    /// First second of the round.
    pub start: u64,
    /// First second after the round: attestations open.
    pub end: u64,
    /// First second at which attestations are refused.
    pub attestation_deadline: u64,
}

impl Config {
    /// Round timing fixed at instantiation.
    pub fn clock(&self) -> RoundClock {
        RoundClock {
            genesis: self.genesis_time,
            duration: self.round_duration,
        }
    }

    /// The round containing `time`, `None` before genesis.
    pub fn round_at(&self, time: u64) -> Option<u64> {
        self.clock().round_at(time)
    }

    /// Start, end and attestation deadline of `round` with the attestation window
    /// `attestation_window`. Rounds ending after `LAST_ROUND_END` are out of range.
    pub fn round_times_with(
        &self,
        round: u64,
        attestation_window: u64,
    ) -> Result<RoundTimes, ContractError> {
        self.clock()
            .bounds(round)
            .filter(|(_, end)| *end <= LAST_ROUND_END)
            .and_then(|(start, end)| {
                Some(RoundTimes {
                    start,
                    end,
                    attestation_deadline: end.checked_add(attestation_window)?,
                })
            })
            .ok_or(ContractError::RoundOutOfRange { round })
    }

    /// Start, end and attestation deadline of `round`, with the attestation window pinned for
    /// the round.
    pub fn round_times(
        &self,
        storage: &dyn Storage,
        round: u64,
    ) -> Result<RoundTimes, ContractError> {
        let window = rules_for_round(storage, self, round)?.attestation();
        self.round_times_with(round, window)
    }

    /// Attestations of `round` are open at `now`: the round has ended (`RoundNotEnded`) and
    /// its attestation deadline has not passed (`AttestationWindowOver`).
    pub fn ensure_attestation_open(
        &self,
        storage: &dyn Storage,
        round: u64,
        now: u64,
    ) -> Result<(), ContractError> {
        let times = self.round_times(storage, round)?;
        if now < times.end {
            return Err(ContractError::RoundNotEnded {
                round,
                ends_at: times.end,
            });
        }
        if now >= times.attestation_deadline {
            return Err(ContractError::AttestationWindowOver {
                round,
                deadline: times.attestation_deadline,
            });
        }
        Ok(())
    }

    /// First round affected by a change made at `time`: the round after the current one,
    /// round 0 before genesis.
    pub fn effective_round(&self, time: u64) -> Result<u64, ContractError> {
        self.clock()
            .effective_round(time)
            .ok_or(ContractError::TimeOutOfRange { time })
    }
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::Addr;

    use super::*;

    fn config(genesis_time: u64, round_duration: u64, attestation_window: u64) -> Config {
        Config {
            reward_token: Addr::unchecked("ect"),
            round_reward: 0u128.into(),
            genesis_time,
            round_duration,
            attestation_window,
            claim_window: 1,
            quorum: 1,
            rated_power: Default::default(),
            max_entries_per_batch: 1,
            max_claim_rounds: 1,
            manufacturer_keys: vec![],
            attestation_mode: Default::default(),
            challenge_window: 0,
            dispute_bond_bps: 0,
        }
    }

    #[test]
    fn round_times_follow_the_shared_clock() {
        let c = config(1_000, 60, 30);
        assert_eq!(
            c.round_times_with(2, c.attestation_window),
            Ok(RoundTimes {
                start: 1_120,
                end: 1_180,
                attestation_deadline: 1_210
            })
        );
        assert_eq!(c.round_at(999), None);
        assert_eq!(c.round_at(1_060), Some(1));
        assert_eq!(c.effective_round(999), Ok(0));
        assert_eq!(c.effective_round(1_060), Ok(2));
    }

    #[test]
    fn overflow_is_a_typed_error() {
        let c = config(1_000, 60, 30);
        assert_eq!(
            c.round_times_with(u64::MAX, c.attestation_window),
            Err(ContractError::RoundOutOfRange { round: u64::MAX })
        );
        // The end fits in u64 but lies past the contract's range.
        let last = (u64::MAX - 1_000) / 60 - 1;
        assert_eq!(
            c.round_times_with(last, c.attestation_window),
            Err(ContractError::RoundOutOfRange { round: last })
        );
        // The last round in range.
        let in_range = (LAST_ROUND_END - 1_000) / 60 - 1;
        assert!(c.round_times_with(in_range, c.attestation_window).is_ok());
        assert_eq!(
            c.round_times_with(in_range + 1, c.attestation_window),
            Err(ContractError::RoundOutOfRange {
                round: in_range + 1
            })
        );
        let one = config(0, 1, 1);
        assert_eq!(
            one.effective_round(u64::MAX),
            Err(ContractError::TimeOutOfRange { time: u64::MAX })
        );
    }
}

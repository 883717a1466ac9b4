//! The contract's round clock: the shared `cube_types::clock::RoundClock` over the configured
//! genesis and round duration (the relayer and the tools use the same one), with its `None`
//! (overflow) turned into typed errors, and each round's attestation deadline.

use cube_types::clock::RoundClock;

use crate::state::Config;
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

    /// Start, end and attestation deadline of `round`.
    pub fn round_times(&self, round: u64) -> Result<RoundTimes, ContractError> {
        self.clock()
            .bounds(round)
            .and_then(|(start, end)| {
                Some(RoundTimes {
                    start,
                    end,
                    attestation_deadline: end.checked_add(self.attestation_window)?,
                })
            })
            .ok_or(ContractError::RoundOutOfRange { round })
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
        }
    }

    #[test]
    fn round_times_follow_the_shared_clock() {
        let c = config(1_000, 60, 30);
        assert_eq!(
            c.round_times(2),
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
            c.round_times(u64::MAX),
            Err(ContractError::RoundOutOfRange { round: u64::MAX })
        );
        // The end fits, the deadline does not.
        let last = (u64::MAX - 1_000) / 60 - 1;
        let tight = config(1_000, 60, u64::MAX);
        assert_eq!(
            tight.round_times(last),
            Err(ContractError::RoundOutOfRange { round: last })
        );
        let one = config(0, 1, 1);
        assert_eq!(
            one.effective_round(u64::MAX),
            Err(ContractError::TimeOutOfRange { time: u64::MAX })
        );
    }
}

//! The round clock: round `r` is `[genesis + r·duration, genesis + (r+1)·duration)`.
//!
//! One definition for the contract (which round a block time falls in, when a round's
//! attestation window closes), the relayer (which round a reading belongs to, when a round is
//! closed for data) and the tools that display rounds. Every operation is checked: `None` on
//! overflow, before genesis, or for a zero duration.

use cosmwasm_schema::cw_serde;

/// Round timing as the mining-round contract fixes it at instantiation.
#[cw_serde]
#[derive(Copy, Eq)]
pub struct RoundClock {
    /// Start of round 0, unix seconds.
    pub genesis: u64,
    /// Round length, seconds (> 0).
    pub duration: u64,
}

impl RoundClock {
    /// The round containing `time`; `None` before genesis.
    pub fn round_at(&self, time: u64) -> Option<u64> {
        time.checked_sub(self.genesis)?.checked_div(self.duration)
    }

    /// First second of round `round`.
    pub fn start(&self, round: u64) -> Option<u64> {
        self.genesis.checked_add(round.checked_mul(self.duration)?)
    }

    /// First second after round `round`.
    pub fn end(&self, round: u64) -> Option<u64> {
        self.start(round)?.checked_add(self.duration)
    }

    /// `[start, end)` of round `round`.
    pub fn bounds(&self, round: u64) -> Option<(u64, u64)> {
        let start = self.start(round)?;
        Some((start, start.checked_add(self.duration)?))
    }

    /// First round affected by a change made at `time`: the round after the current one, round
    /// 0 before genesis. The current round and every earlier one keep their view.
    pub fn effective_round(&self, time: u64) -> Option<u64> {
        match self.round_at(time) {
            Some(current) => current.checked_add(1),
            None => Some(0),
        }
    }

    /// Seconds from `time` to the end of the round containing `time` (`None` before genesis).
    pub fn remaining(&self, time: u64) -> Option<u64> {
        self.end(self.round_at(time)?)?.checked_sub(time)
    }
}

#[cfg(test)]
mod tests {
    use super::RoundClock;

    const C: RoundClock = RoundClock {
        genesis: 1_000,
        duration: 60,
    };

    #[test]
    fn rounds_are_half_open_intervals_from_genesis() {
        assert_eq!(C.round_at(999), None);
        assert_eq!(C.round_at(1_000), Some(0));
        assert_eq!(C.round_at(1_059), Some(0));
        assert_eq!(C.round_at(1_060), Some(1));
        assert_eq!(C.bounds(2), Some((1_120, 1_180)));
        assert_eq!(C.start(2), Some(1_120));
        assert_eq!(C.end(2), Some(1_180));
        assert_eq!(C.remaining(1_061), Some(59));
        assert_eq!(C.remaining(999), None);
    }

    #[test]
    fn changes_apply_from_the_next_round() {
        assert_eq!(C.effective_round(0), Some(0));
        assert_eq!(C.effective_round(1_000), Some(1));
        assert_eq!(C.effective_round(1_119), Some(2));
    }

    #[test]
    fn overflow_and_zero_duration_are_none_not_panics() {
        assert_eq!(C.start(u64::MAX), None);
        assert_eq!(C.end(u64::MAX / 60), None);
        let zero = RoundClock {
            genesis: 0,
            duration: 0,
        };
        assert_eq!(zero.round_at(5), None);
        assert_eq!(
            RoundClock {
                genesis: 0,
                duration: 1
            }
            .effective_round(u64::MAX),
            None
        );
    }
}

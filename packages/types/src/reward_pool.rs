//! reward-pool messages (filled in by the reward-pool work).

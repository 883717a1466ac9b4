//! Messages and responses of our contracts. Every variant and field carries a doc comment:
//! they become the descriptions of the JSON schema in `schema/`.

pub mod clock;
pub mod mining_round;
pub mod reward_pool;
pub mod timelock;

//! The localnet's `accounts.json` (written by `scripts/localnet.sh`) and a chain client per
//! funded account: the shared reader of `chain-client`.

pub use chain_client::localnet::{LocalnetAccount as Account, LocalnetInfo};

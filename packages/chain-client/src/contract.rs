//! [`Contract`]: one contract address through one chain client, the base every typed client
//! (`MiningRoundClient`, `RewardPoolClient`, `Cw20Client`, ...) wraps.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{ChainClient, ChainError, TxResult};

/// A contract at `address`, queried through `chain` and executed with `chain`'s key. `Copy`:
/// a client made for one call can be moved into the future of that call.
#[derive(Clone, Copy, Debug)]
pub struct Contract<'a> {
    chain: &'a ChainClient,
    address: &'a str,
}

impl<'a> Contract<'a> {
    /// The contract at `address`, transactions signed by `chain`'s key.
    pub fn new(chain: &'a ChainClient, address: &'a str) -> Self {
        Contract { chain, address }
    }

    /// Contract address.
    pub fn address(&self) -> &'a str {
        self.address
    }

    /// The chain client (its key signs the transactions).
    pub fn chain(&self) -> &'a ChainClient {
        self.chain
    }

    /// Smart query `msg`.
    pub async fn query<Q: Serialize, R: DeserializeOwned>(self, msg: &Q) -> Result<R, ChainError> {
        self.chain.query(self.address, msg).await
    }

    /// Executes `msg` on the contract.
    pub async fn execute<M: Serialize>(self, msg: &M) -> Result<TxResult, ChainError> {
        self.chain.execute(self.address, msg).await
    }
}

/// Declares a typed client: a `Copy` newtype over [`Contract`] with `new`, dereferencing to
/// the contract (address, chain, raw query/execute).
macro_rules! typed_client {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<'a>($crate::contract::Contract<'a>);

        impl<'a> $name<'a> {
            /// The contract at `address`, transactions signed by `chain`'s key.
            pub fn new(chain: &'a $crate::ChainClient, address: &'a str) -> Self {
                $name($crate::contract::Contract::new(chain, address))
            }
        }

        impl<'a> std::ops::Deref for $name<'a> {
            type Target = $crate::contract::Contract<'a>;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }
    };
}

pub(crate) use typed_client;

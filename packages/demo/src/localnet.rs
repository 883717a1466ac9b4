//! The localnet's `accounts.json` (written by `scripts/localnet.sh`) and a chain client per
//! funded account.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chain_client::{ChainClient, ChainConfig, Signer};
use serde::Deserialize;

use crate::DemoError;

/// `accounts.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct LocalnetInfo {
    /// Chain id.
    pub chain_id: String,
    /// CometBFT RPC URL.
    pub rpc: String,
    /// REST URL.
    pub rest: String,
    /// Fee denom.
    pub denom: String,
    /// Minimum gas price, e.g. `0.025stake`.
    pub gas_price: String,
    /// Funded test accounts.
    pub accounts: Vec<Account>,
}

/// A funded test account.
#[derive(Clone, Debug, Deserialize)]
pub struct Account {
    /// Key name (operator, oracle1..3, user1..4).
    pub name: String,
    /// Bech32 address.
    pub address: String,
    /// BIP-39 mnemonic (test keyring only, never printed).
    pub mnemonic: String,
}

impl LocalnetInfo {
    /// Reads `accounts.json`.
    pub fn load(path: &Path) -> Result<Self, DemoError> {
        let text = std::fs::read_to_string(path).map_err(|e| DemoError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| DemoError::format(path.display().to_string(), e))
    }

    /// The account called `name`.
    pub fn account(&self, name: &str) -> Result<&Account, DemoError> {
        self.accounts
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| DemoError::MissingAccount {
                name: name.to_string(),
            })
    }

    /// `name` → address, for deployment placeholders.
    pub fn names(&self) -> BTreeMap<String, String> {
        self.accounts
            .iter()
            .map(|a| (a.name.clone(), a.address.clone()))
            .collect()
    }

    /// Client configuration for this chain.
    pub fn chain_config(&self) -> Result<ChainConfig, DemoError> {
        let mut config = ChainConfig::new(
            self.rest.clone(),
            self.chain_id.clone(),
            self.gas_price.parse()?,
        );
        config.tx_timeout = Duration::from_secs(60);
        Ok(config)
    }

    /// A client signing as account `name`.
    pub fn client(&self, name: &str) -> Result<ChainClient, DemoError> {
        let config = self.chain_config()?;
        let account = self.account(name)?;
        let signer = Signer::from_mnemonic(&account.mnemonic, &config.account_prefix)?;
        if signer.address().to_string() != account.address {
            return Err(DemoError::format(
                format!("account {name}"),
                "the mnemonic does not derive the recorded address",
            ));
        }
        Ok(ChainClient::new(config, signer)?)
    }
}

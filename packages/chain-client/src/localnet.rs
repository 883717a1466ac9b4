//! The accounts file of the project's localnet (`.localnet/accounts.json`, written by
//! `scripts/localnet.sh`): chain id, endpoints, gas price and the funded test accounts with
//! their mnemonics. One reader for the deploy command, the end-to-end suite, the demo and the
//! relayer's chain tests.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::error::ChainError;
use crate::{ChainClient, ChainConfig, Signer};

/// `accounts.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct LocalnetInfo {
    /// Chain id.
    pub chain_id: String,
    /// CometBFT RPC URL.
    pub rpc: String,
    /// REST (gRPC-gateway) URL.
    pub rest: String,
    /// Fee denom.
    pub denom: String,
    /// Minimum gas price, e.g. `0.025stake`.
    pub gas_price: String,
    /// Funded test accounts.
    pub accounts: Vec<LocalnetAccount>,
}

/// A funded test account. Its `Debug` form leaves the mnemonic out.
#[derive(Clone, Deserialize)]
pub struct LocalnetAccount {
    /// Key name (operator, oracle1..3, user1..4).
    pub name: String,
    /// Bech32 address.
    pub address: String,
    /// BIP-39 mnemonic (test keyring only; never print it).
    pub mnemonic: String,
}

impl fmt::Debug for LocalnetAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalnetAccount")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("mnemonic", &"<redacted>")
            .finish()
    }
}

impl LocalnetInfo {
    /// Reads and parses the accounts file.
    pub fn load(path: &Path) -> Result<Self, ChainError> {
        let text = std::fs::read_to_string(path).map_err(|source| ChainError::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text)
            .map_err(|e| ChainError::Config(format!("{}: {e}", path.display())))
    }

    /// The account called `name`.
    pub fn account(&self, name: &str) -> Result<&LocalnetAccount, ChainError> {
        self.accounts
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| {
                ChainError::Config(format!("no account named {name:?} in accounts.json"))
            })
    }

    /// Client configuration for this chain (60 s inclusion timeout).
    pub fn chain_config(&self) -> Result<ChainConfig, ChainError> {
        let mut config = ChainConfig::new(
            self.rest.clone(),
            self.chain_id.clone(),
            self.gas_price.parse()?,
        );
        config.tx_timeout = Duration::from_secs(60);
        Ok(config)
    }

    /// A client signing as account `name`; fails when the mnemonic does not derive the
    /// address the localnet recorded for it.
    pub fn client(&self, name: &str) -> Result<ChainClient, ChainError> {
        let config = self.chain_config()?;
        let account = self.account(name)?;
        let signer = Signer::from_mnemonic(&account.mnemonic, &config.account_prefix)?;
        if signer.address().to_string() != account.address {
            return Err(ChainError::Key(format!(
                "the mnemonic of {name} derives {}, not the recorded {}",
                signer.address(),
                account.address
            )));
        }
        ChainClient::new(config, signer)
    }

    /// `name` → address, for the `@name` placeholders of deploy parameter files.
    pub fn names(&self) -> BTreeMap<String, String> {
        self.accounts
            .iter()
            .map(|a| (a.name.clone(), a.address.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_file_and_redacts_mnemonics() {
        let dir = std::env::temp_dir().join(format!("localnet-info-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("accounts.json");
        std::fs::write(
            &path,
            r#"{"chain_id":"c-1","rpc":"http://r","rest":"http://s","grpc":"g","denom":"stake",
               "gas_price":"0.025stake",
               "accounts":[{"name":"user1","address":"wasm1a","mnemonic":"secret words"}]}"#,
        )
        .unwrap();
        let info = LocalnetInfo::load(&path).unwrap();
        assert_eq!(info.chain_id, "c-1");
        assert_eq!(info.account("user1").unwrap().address, "wasm1a");
        assert_eq!(
            info.names().get("user1").map(String::as_str),
            Some("wasm1a")
        );
        let debug = format!("{:?}", info);
        assert!(!debug.contains("secret words"), "{debug}");
        assert!(
            matches!(info.account("nobody"), Err(ChainError::Config(m)) if m.contains("nobody"))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

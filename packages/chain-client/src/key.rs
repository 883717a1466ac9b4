//! Signing keys: secp256k1 derived from a BIP-39 mnemonic at m/44'/118'/0'/0/0.

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::crypto::PublicKey;
use cosmrs::AccountId;

use crate::error::ChainError;

/// The Cosmos HD path used by wasmd's `keys add` (coin type 118).
pub const COSMOS_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// A key that signs transactions, and the account address it controls.
pub struct Signer {
    key: SigningKey,
    address: AccountId,
}

impl std::fmt::Debug for Signer {
    /// Never prints key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("address", &self.address.to_string())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Derives the key of `mnemonic` (English BIP-39, empty passphrase) at [`COSMOS_HD_PATH`].
    pub fn from_mnemonic(mnemonic: &str, prefix: &str) -> Result<Self, ChainError> {
        let phrase = mnemonic.split_whitespace().collect::<Vec<_>>().join(" ");
        let mnemonic = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &phrase)
            .map_err(|e| ChainError::Key(format!("mnemonic: {e}")))?;
        let seed = mnemonic.to_seed("");
        let path = COSMOS_HD_PATH
            .parse::<bip32::DerivationPath>()
            .map_err(|e| ChainError::Key(format!("hd path: {e}")))?;
        let key = SigningKey::derive_from_path(seed, &path)
            .map_err(|e| ChainError::Key(format!("derivation: {e}")))?;
        Self::from_signing_key(key, prefix)
    }

    /// Wraps an existing key.
    pub fn from_signing_key(key: SigningKey, prefix: &str) -> Result<Self, ChainError> {
        let address = key
            .public_key()
            .account_id(prefix)
            .map_err(|e| ChainError::Key(format!("address: {e}")))?;
        Ok(Signer { key, address })
    }

    /// The bech32 account address.
    pub fn address(&self) -> &AccountId {
        &self.address
    }

    /// The public key placed in the tx's signer info.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Addresses computed by `wasmd keys add --recover` (wasmd v0.70.3) for these mnemonics.
    const MNEMONIC_24: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
        abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";
    const MNEMONIC_12: &str =
        "special sign fit simple patrol salute grocery chicken wheat radar tonight ceiling";

    #[test]
    fn derives_the_same_addresses_as_wasmd() {
        let signer = Signer::from_mnemonic(MNEMONIC_24, "wasm").unwrap();
        assert_eq!(
            signer.address().to_string(),
            "wasm1r5v5srda7xfth3hn2s26txvrcrntldju3hkw75"
        );
        let signer = Signer::from_mnemonic(MNEMONIC_12, "wasm").unwrap();
        assert_eq!(
            signer.address().to_string(),
            "wasm1jhg0e7s6gn44tfc5k37kr04sznyhedtc0ln3el"
        );
        let cosmos = Signer::from_mnemonic(MNEMONIC_12, "cosmos").unwrap();
        assert_eq!(cosmos.address().to_bytes(), signer.address().to_bytes());
        assert!(cosmos.address().to_string().starts_with("cosmos1"));
        assert!(!format!("{signer:?}").contains("special"));
    }

    #[test]
    fn rejects_a_bad_mnemonic() {
        let err = Signer::from_mnemonic("not a mnemonic", "wasm").unwrap_err();
        assert!(matches!(err, ChainError::Key(m) if m.contains("mnemonic")));
    }
}

use sha2::{Digest, Sha256};

use crate::{short_len, Hash, MerkleError, ATTESTATION_TAG};

/// What every oracle votes for a round in merkle mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootAttestation {
    /// The round whose tree this is.
    pub round: u64,
    /// The tree's root hash.
    pub root: Hash,
    /// The root's sum: Σ cumulative entitlements of all leaves.
    pub total_entitlement: u128,
    /// Σ leaf scores of the round.
    pub total_score: u128,
    /// Real (non-padding) leaves.
    pub leaf_count: u64,
    /// [`crate::depth_for`]`(leaf_count)`.
    pub depth: u8,
    /// The score policy version of the round.
    pub policy_version: u32,
    /// SHA-256 of the canonical leaves file ([`crate::leaves_digest`]).
    pub leaves_digest: Hash,
    /// The round's input digest (the relayer's digest of its readings).
    pub input_digest: Hash,
}

impl RootAttestation {
    /// Fixed-width bytes of the encoding besides the tag and the two strings.
    const FIXED_LEN: usize = 2 + 8 + 32 + 16 + 16 + 8 + 1 + 4 + 32 + 32;

    /// ATTESTATION_TAG ‖ u8 len ‖ chain_id ‖ u8 len ‖ contract ‖ round u64 ‖ root
    /// ‖ total_entitlement u128 ‖ total_score u128 ‖ leaf_count u64 ‖ depth u8
    /// ‖ policy_version u32 ‖ leaves_digest ‖ input_digest (all BE).
    pub fn encode(&self, chain_id: &str, contract: &str) -> Result<Vec<u8>, MerkleError> {
        let mut bytes = Vec::with_capacity(
            ATTESTATION_TAG
                .len()
                .saturating_add(chain_id.len())
                .saturating_add(contract.len())
                .saturating_add(Self::FIXED_LEN),
        );
        self.feed(chain_id, contract, |part| bytes.extend_from_slice(part))?;
        Ok(bytes)
    }

    /// SHA256(encode(..)): the vote's identity on chain ("attestation hash").
    pub fn hash(&self, chain_id: &str, contract: &str) -> Result<Hash, MerkleError> {
        let mut hasher = Sha256::new();
        self.feed(chain_id, contract, |part| hasher.update(part))?;
        Ok(hasher.finalize().into())
    }

    /// The encoding, part by part.
    fn feed(
        &self,
        chain_id: &str,
        contract: &str,
        mut sink: impl FnMut(&[u8]),
    ) -> Result<(), MerkleError> {
        let chain_len = short_len("chain_id", chain_id)?;
        let contract_len = short_len("contract", contract)?;
        sink(ATTESTATION_TAG);
        sink(&[chain_len]);
        sink(chain_id.as_bytes());
        sink(&[contract_len]);
        sink(contract.as_bytes());
        sink(&self.round.to_be_bytes());
        sink(&self.root);
        sink(&self.total_entitlement.to_be_bytes());
        sink(&self.total_score.to_be_bytes());
        sink(&self.leaf_count.to_be_bytes());
        sink(&[self.depth]);
        sink(&self.policy_version.to_be_bytes());
        sink(&self.leaves_digest);
        sink(&self.input_digest);
        Ok(())
    }
}

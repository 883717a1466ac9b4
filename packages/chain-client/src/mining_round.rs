//! The mining-round contract: message builders and the typed client.
//!
//! [`DeviceRegistration`] is the one description of a device registration: the fleet manifest
//! (`cube-sim fleet --registrations-out`) is a [`FleetManifest`] of them, and
//! [`DeviceRegistration::to_msg`] is the one place that builds `RegisterDevice`. Signing stays
//! with whoever holds the keys: the manufacturer signs `cube_scoring::certificate_message`, the
//! device signs `cube_scoring::possession_message` (bound to chain, contract, owner and the
//! device's registration challenge, see [`MiningRoundClient::registration_challenge`]).
//!
//! In merkle mode the messages are built from `cube_merkle`'s types: [`attest_root_msg`] from
//! a [`RootAttestation`], [`claim_cumulative_msg`] from a [`Leaf`] and its proof bytes, each
//! entry of [`claim_many_msg`] with [`OwnerClaim::new`]. An accepted root is pending for the
//! contract's challenge window ([`MiningRoundClient::pending_root`]): an oracle disputes it
//! with [`dispute_root_msg`], anyone else with a bond through the reward token
//! ([`dispute_with_bond_msg`]).

use cosmwasm_std::{Binary, HexBinary, Uint128};
use cube_merkle::{Leaf, RootAttestation};
use cube_types::mining_round::{
    BatchResponse, BatchesResponse, BatteryWhitelistResponse, ClaimManyResult, ClaimableResponse,
    ClaimedCumulativeResponse, ConfigResponse, CurrentRoundResponse, DeviceModel, DeviceResponse,
    DeviceView, DevicesAsOfResponse, DevicesResponse, DisputeKey, DisputeResponse, DisputeView,
    DisputesResponse, EntitlementsResponse, ExecuteMsg, FundsResponse, LeaderboardResponse,
    MerkleRootResponse, MerkleRootsResponse, OracleEndpoint, OracleEndpointsResponse,
    OraclesResponse, OwnerClaim, OwnerDevicesResponse, OwnerView, OwnersAsOfResponse,
    PayoutProfileResponse, PayoutSplit, PendingRootResponse, PolicyResponse, QueryMsg, ReceiveMsg,
    RegistrationNonceResponse, RootVotesResponse, RoundParamsResponse, RoundResponse,
    RoundsResponse, ScorePolicy, ScoreResponse, UsageEntry, VoteResponse, MAX_DISPUTES_LIMIT,
};
use serde::{Deserialize, Serialize};

use crate::pages::{all_pages, MAX_PAGES, PAGE};
use crate::{ChainError, TxResult};

/// Everything `RegisterDevice` needs for one device, plus who sends it: one record of the fleet
/// manifest. Keys and signatures are hex in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRegistration {
    /// The owner address: the sender of `RegisterDevice`, bound into the possession signature.
    pub owner: String,
    /// Device ed25519 public key.
    #[serde(with = "crate::hex_bytes")]
    pub pubkey: [u8; 32],
    /// Hardware model.
    pub model: DeviceModel,
    /// Manufacturer serial number.
    pub serial: String,
    /// IANA time zone of the device.
    pub timezone: String,
    /// Paired battery id, when the device has one (read by the relayers' device directory, not
    /// sent on chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_id: Option<String>,
    /// Manufacturer ed25519 signature over `certificate_message(pubkey, model, serial)`.
    #[serde(with = "crate::hex_bytes")]
    pub certificate: [u8; 64],
    /// The device's registration nonce when the possession signature was made
    /// (`RegistrationNonce`: 0 for a new device, +1 per registration); informational, the
    /// signature binds [`challenge`](Self::challenge).
    #[serde(default)]
    pub nonce: u64,
    /// The registration challenge the possession signature is for (`RegistrationNonce`:
    /// `cube_scoring::INITIAL_REGISTRATION_CHALLENGE`, 32 zero bytes, for a new device; derived
    /// from the block of the latest registration otherwise). Zero when absent from the JSON.
    #[serde(default, with = "crate::hex_bytes")]
    pub challenge: [u8; 32],
    /// Device ed25519 signature over
    /// `possession_message(chain, contract, owner, pubkey, challenge)`.
    #[serde(with = "crate::hex_bytes")]
    pub possession_signature: [u8; 64],
}

impl DeviceRegistration {
    /// The `RegisterDevice` message (to be sent by [`owner`](Self::owner)).
    pub fn to_msg(&self) -> ExecuteMsg {
        register_device_msg(self)
    }
}

/// `RegisterDevice` for `r`.
pub fn register_device_msg(r: &DeviceRegistration) -> ExecuteMsg {
    ExecuteMsg::RegisterDevice {
        pubkey: Binary::from(r.pubkey.to_vec()),
        model: r.model,
        serial: r.serial.clone(),
        timezone: r.timezone.clone(),
        certificate: Binary::from(r.certificate.to_vec()),
        possession_signature: Binary::from(r.possession_signature.to_vec()),
    }
}

/// The fleet manifest `cube-sim fleet --registrations-out` writes and the demo reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetManifest {
    /// The manufacturer key that certified the fleet (must be in the contract's
    /// `manufacturer_keys`).
    #[serde(with = "crate::hex_bytes")]
    pub manufacturer_pubkey: [u8; 32],
    /// One registration per device.
    pub devices: Vec<DeviceRegistration>,
}

/// The CW20 `Send` (to the reward token) that adds `amount` to the unlocked funds of the
/// mining round at `contract` (`ReceiveMsg::Fund {}`).
pub fn fund_msg(contract: &str, amount: u128) -> Result<::cw20::Cw20ExecuteMsg, ChainError> {
    crate::cw20::send_msg(contract, amount, &ReceiveMsg::Fund {})
}

/// `DeregisterDevice { pubkey }`.
pub fn deregister_device_msg(pubkey: &[u8]) -> ExecuteMsg {
    ExecuteMsg::DeregisterDevice {
        pubkey: Binary::from(pubkey),
    }
}

pub use cube_types::mining_round::{accept_batch_msg, BatchId};

/// `SubmitUsage` of `batch` with its entries.
pub fn submit_usage_msg(batch: BatchId, entries: Vec<UsageEntry>) -> ExecuteMsg {
    batch.submit_usage(entries)
}

/// `VoteBatch` for `batch` with hash `batch_hash`.
pub fn vote_batch_msg(batch: BatchId, batch_hash: &[u8]) -> ExecuteMsg {
    batch.vote(batch_hash)
}

/// `Claim { rounds }` (`None`: every claimable round, oldest first).
pub fn claim_msg(rounds: Option<Vec<u64>>) -> ExecuteMsg {
    ExecuteMsg::Claim { rounds }
}

/// `CloseVoidRound { round }`.
pub fn close_void_round_msg(round: u64) -> ExecuteMsg {
    ExecuteMsg::CloseVoidRound { round }
}

/// `AttestRoot` of `attestation` (oracle, merkle mode): the oracle's vote for the round's
/// cumulative tree; the vote that reaches the quorum accepts the root.
pub fn attest_root_msg(attestation: &RootAttestation) -> ExecuteMsg {
    ExecuteMsg::attest_root(attestation)
}

/// `AcceptRoot { round, attestation_hash }` (anyone, merkle mode, once the attestation with
/// that hash has quorum).
pub fn accept_root_msg(round: u64, attestation_hash: &[u8]) -> ExecuteMsg {
    ExecuteMsg::AcceptRoot {
        round,
        attestation_hash: HexBinary::from(attestation_hash),
    }
}

/// `ClaimCumulative` of `leaf` at `leaf_index` of round `round`'s tree with the proof bytes
/// `proof` (`cube_merkle::Proof::to_bytes`); sent by `leaf.owner`.
pub fn claim_cumulative_msg(round: u64, leaf_index: u64, leaf: &Leaf, proof: &[u8]) -> ExecuteMsg {
    ExecuteMsg::claim_cumulative(round, leaf_index, leaf, proof)
}

/// `DisputeRoot { round, attestation_hash, reason }` (current oracle, merkle mode, no bond):
/// disputes the pending root.
pub fn dispute_root_msg(round: u64, attestation_hash: &[u8], reason: Option<String>) -> ExecuteMsg {
    ExecuteMsg::DisputeRoot {
        round,
        attestation_hash: HexBinary::from(attestation_hash),
        reason,
    }
}

/// The CW20 `Send` (to the reward token) of `bond` to the mining round at `contract` that
/// disputes its pending root (`ReceiveMsg::Dispute`; anyone, merkle mode). `bond` must be
/// exactly the `dispute_bond` of `PendingRoot`.
pub fn dispute_with_bond_msg(
    contract: &str,
    bond: u128,
    round: u64,
    attestation_hash: &[u8],
    reason: Option<String>,
) -> Result<::cw20::Cw20ExecuteMsg, ChainError> {
    crate::cw20::send_msg(
        contract,
        bond,
        &ReceiveMsg::Dispute {
            round,
            attestation_hash: HexBinary::from(attestation_hash),
            reason,
        },
    )
}

/// `ReaffirmRoot { round, attestation_hash }` (owner, merkle mode): finalizes a disputed root;
/// its dispute's bond is forfeited.
pub fn reaffirm_root_msg(round: u64, attestation_hash: &[u8]) -> ExecuteMsg {
    ExecuteMsg::ReaffirmRoot {
        round,
        attestation_hash: HexBinary::from(attestation_hash),
    }
}

/// `FinalizeRoot {}` (anyone, merkle mode, once the pending root's challenge window is over).
pub fn finalize_root_msg() -> ExecuteMsg {
    ExecuteMsg::FinalizeRoot {}
}

/// `ClaimMany { claims }` (anyone, merkle mode): pays each entry's owner against the last
/// finalized root; build the entries with [`OwnerClaim::new`].
pub fn claim_many_msg(claims: Vec<OwnerClaim>) -> ExecuteMsg {
    ExecuteMsg::claim_many(claims)
}

/// What a `ClaimMany` did: the tx and the `ClaimManyResult` the contract returned as its
/// response data.
#[derive(Clone, Debug)]
pub struct ClaimManyOutcome {
    /// The tx.
    pub tx: TxResult,
    /// The entries paid and skipped.
    pub result: ClaimManyResult,
}

/// `UpdateOracleEndpoints { set, remove }` (owner).
pub fn update_oracle_endpoints_msg(set: Vec<OracleEndpoint>, remove: Vec<String>) -> ExecuteMsg {
    ExecuteMsg::UpdateOracleEndpoints { set, remove }
}

/// `UpdatePolicy { policy }` (owner).
pub fn update_policy_msg(policy: ScorePolicy) -> ExecuteMsg {
    ExecuteMsg::UpdatePolicy { policy }
}

/// `UpdateOracles { add, remove }` (owner).
pub fn update_oracles_msg(add: Vec<String>, remove: Vec<String>) -> ExecuteMsg {
    ExecuteMsg::UpdateOracles { add, remove }
}

/// `UpdateBatteryWhitelist { add, remove }` (owner).
pub fn update_battery_whitelist_msg(add: Vec<String>, remove: Vec<String>) -> ExecuteMsg {
    ExecuteMsg::UpdateBatteryWhitelist { add, remove }
}

/// `TransferOwnership { new_owner }` (owner; step one of two).
pub fn transfer_ownership_msg(new_owner: &str) -> ExecuteMsg {
    ExecuteMsg::TransferOwnership {
        new_owner: new_owner.to_string(),
    }
}

/// `AcceptOwnership {}` (the pending owner; step two).
pub fn accept_ownership_msg() -> ExecuteMsg {
    ExecuteMsg::AcceptOwnership {}
}

/// `CancelOwnershipTransfer {}` (owner): withdraws the pending proposal.
pub fn cancel_ownership_transfer_msg() -> ExecuteMsg {
    ExecuteMsg::CancelOwnershipTransfer {}
}

/// `WithdrawUnlocked { amount, recipient }` (owner).
pub fn withdraw_unlocked_msg(amount: u128, recipient: Option<String>) -> ExecuteMsg {
    ExecuteMsg::WithdrawUnlocked {
        amount: Uint128::new(amount),
        recipient,
    }
}

/// `Pause {}` (owner or guardian).
pub fn pause_msg() -> ExecuteMsg {
    ExecuteMsg::Pause {}
}

/// `Unpause {}` (owner).
pub fn unpause_msg() -> ExecuteMsg {
    ExecuteMsg::Unpause {}
}

/// `SetPayoutProfile { splits }`.
pub fn set_payout_profile_msg(splits: Vec<PayoutSplit>) -> ExecuteMsg {
    ExecuteMsg::SetPayoutProfile { splits }
}

/// `ClearPayoutProfile {}`.
pub fn clear_payout_profile_msg() -> ExecuteMsg {
    ExecuteMsg::ClearPayoutProfile {}
}

crate::contract::typed_client!(
    /// The mining-round contract at one address, through one chain client (transactions are
    /// signed by that client's key).
    MiningRoundClient
);

impl MiningRoundClient<'_> {
    /// Sends `msg` to the contract.
    pub async fn execute(self, msg: &ExecuteMsg) -> Result<TxResult, ChainError> {
        self.0.execute(msg).await
    }

    // --- queries ---

    /// `Config {}`.
    pub async fn config(self) -> Result<ConfigResponse, ChainError> {
        self.query(&QueryMsg::Config {}).await
    }

    /// `Policy { version }` (`None`: the latest).
    pub async fn policy(self, version: Option<u32>) -> Result<PolicyResponse, ChainError> {
        self.query(&QueryMsg::Policy { version }).await
    }

    /// `Oracles {}`.
    pub async fn oracles(self) -> Result<OraclesResponse, ChainError> {
        self.query(&QueryMsg::Oracles {}).await
    }

    /// `Round { round }`.
    pub async fn round(self, round: u64) -> Result<RoundResponse, ChainError> {
        self.query(&QueryMsg::Round { round }).await
    }

    /// `Batch { round, batch_index }`.
    pub async fn batch(self, round: u64, batch_index: u32) -> Result<BatchResponse, ChainError> {
        self.query(&QueryMsg::Batch { round, batch_index }).await
    }

    /// `Batches { round, start_after, limit }`: one page.
    pub async fn batches(
        self,
        round: u64,
        start_after: Option<u32>,
        limit: Option<u32>,
    ) -> Result<BatchesResponse, ChainError> {
        self.query(&QueryMsg::Batches {
            round,
            start_after,
            limit,
        })
        .await
    }

    /// `Vote { round, batch_index, oracle }`.
    pub async fn vote(
        self,
        round: u64,
        batch_index: u32,
        oracle: &str,
    ) -> Result<VoteResponse, ChainError> {
        self.query(&QueryMsg::Vote {
            round,
            batch_index,
            oracle: oracle.to_string(),
        })
        .await
    }

    /// `RoundParams { round }`: the rules pinned for the round.
    pub async fn round_params(self, round: u64) -> Result<RoundParamsResponse, ChainError> {
        self.query(&QueryMsg::RoundParams { round }).await
    }

    /// `DevicesAsOf { round, start_after, limit }`: one page of the round's registry view.
    pub async fn devices_as_of_page(
        self,
        round: u64,
        start_after: Option<Binary>,
        limit: Option<u32>,
    ) -> Result<DevicesAsOfResponse, ChainError> {
        self.query(&QueryMsg::DevicesAsOf {
            round,
            start_after,
            limit,
        })
        .await
    }

    /// Every page of `DevicesAsOf { round }`.
    pub async fn devices_as_of(self, round: u64) -> Result<Vec<DeviceView>, ChainError> {
        all_pages("DevicesAsOf", MAX_PAGES, |start_after| async move {
            let page = self
                .devices_as_of_page(round, start_after, Some(PAGE))
                .await?;
            Ok((page.devices, page.next))
        })
        .await
    }

    /// `OwnersAsOf { round, start_after, limit }`: one page.
    pub async fn owners_as_of(
        self,
        round: u64,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> Result<OwnersAsOfResponse, ChainError> {
        self.query(&QueryMsg::OwnersAsOf {
            round,
            start_after,
            limit,
        })
        .await
    }

    /// `OwnerAsOf { round, owner }`.
    pub async fn owner_as_of(self, round: u64, owner: &str) -> Result<OwnerView, ChainError> {
        self.query(&QueryMsg::OwnerAsOf {
            round,
            owner: owner.to_string(),
        })
        .await
    }

    /// `RegistrationNonce { pubkey }`: the device's registration nonce (number of successful
    /// registrations). The next possession signature signs the challenge, see
    /// [`registration_challenge`](Self::registration_challenge).
    pub async fn registration_nonce(self, pubkey: &[u8]) -> Result<u64, ChainError> {
        Ok(self.registration_challenge(pubkey).await?.0)
    }

    /// `RegistrationNonce { pubkey }`: the device's registration nonce and the 32-byte
    /// registration challenge the next possession signature must sign
    /// (`cube_scoring::possession_message`; 32 zero bytes for a device never registered).
    pub async fn registration_challenge(
        self,
        pubkey: &[u8],
    ) -> Result<(u64, [u8; 32]), ChainError> {
        let r: RegistrationNonceResponse = self
            .query(&QueryMsg::RegistrationNonce {
                pubkey: Binary::from(pubkey),
            })
            .await?;
        let challenge: [u8; 32] =
            r.challenge
                .as_slice()
                .try_into()
                .map_err(|_| ChainError::Decode {
                    url: self.address().to_string(),
                    reason: format!(
                        "RegistrationNonce: challenge of {} bytes, expected 32",
                        r.challenge.len()
                    ),
                })?;
        Ok((r.nonce, challenge))
    }

    /// `Rounds { start_after, limit }`: one page.
    pub async fn rounds(
        self,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<RoundsResponse, ChainError> {
        self.query(&QueryMsg::Rounds { start_after, limit }).await
    }

    /// `CurrentRound {}`.
    pub async fn current_round(self) -> Result<CurrentRoundResponse, ChainError> {
        self.query(&QueryMsg::CurrentRound {}).await
    }

    /// `Score { round, owner }`.
    pub async fn score(self, round: u64, owner: &str) -> Result<ScoreResponse, ChainError> {
        self.query(&QueryMsg::Score {
            round,
            owner: owner.to_string(),
        })
        .await
    }

    /// `Claimable { owner, start_after, limit }`: one page.
    pub async fn claimable_page(
        self,
        owner: &str,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<ClaimableResponse, ChainError> {
        self.query(&QueryMsg::Claimable {
            owner: owner.to_string(),
            start_after,
            limit,
        })
        .await
    }

    /// `Claimable { owner }`: the first page with the contract's default size.
    pub async fn claimable(self, owner: &str) -> Result<ClaimableResponse, ChainError> {
        self.claimable_page(owner, None, None).await
    }

    /// `Leaderboard { round, start_after, limit }`: one page.
    pub async fn leaderboard(
        self,
        round: u64,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> Result<LeaderboardResponse, ChainError> {
        self.query(&QueryMsg::Leaderboard {
            round,
            start_after,
            limit,
        })
        .await
    }

    /// `Device { pubkey }`.
    pub async fn device(self, pubkey: &[u8]) -> Result<DeviceResponse, ChainError> {
        self.query(&QueryMsg::Device {
            pubkey: Binary::from(pubkey),
        })
        .await
    }

    /// `Devices { start_after, limit }`: one page of the latest registry.
    pub async fn devices_page(
        self,
        start_after: Option<Binary>,
        limit: Option<u32>,
    ) -> Result<DevicesResponse, ChainError> {
        self.query(&QueryMsg::Devices { start_after, limit }).await
    }

    /// Every page of `Devices {}`.
    pub async fn devices(self) -> Result<Vec<DeviceResponse>, ChainError> {
        all_pages("Devices", MAX_PAGES, |start_after| async move {
            let page = self.devices_page(start_after, Some(PAGE)).await?;
            Ok((page.devices, page.next))
        })
        .await
    }

    /// `DevicesByOwner { owner, start_after, limit }`: one page.
    pub async fn devices_by_owner(
        self,
        owner: &str,
        start_after: Option<Binary>,
        limit: Option<u32>,
    ) -> Result<OwnerDevicesResponse, ChainError> {
        self.query(&QueryMsg::DevicesByOwner {
            owner: owner.to_string(),
            start_after,
            limit,
        })
        .await
    }

    /// `BatteryWhitelist { as_of_round, start_after, limit }`: one page.
    pub async fn battery_whitelist_page(
        self,
        as_of_round: Option<u64>,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> Result<BatteryWhitelistResponse, ChainError> {
        self.query(&QueryMsg::BatteryWhitelist {
            as_of_round,
            start_after,
            limit,
        })
        .await
    }

    /// Every page of `BatteryWhitelist { as_of_round }`.
    pub async fn battery_whitelist(
        self,
        as_of_round: Option<u64>,
    ) -> Result<Vec<String>, ChainError> {
        all_pages("BatteryWhitelist", MAX_PAGES, |start_after| async move {
            let page = self
                .battery_whitelist_page(as_of_round, start_after, Some(PAGE))
                .await?;
            Ok((page.batteries, page.next))
        })
        .await
    }

    /// `Funds {}`.
    pub async fn funds(self) -> Result<FundsResponse, ChainError> {
        self.query(&QueryMsg::Funds {}).await
    }

    /// `PayoutProfile { owner }`.
    pub async fn payout_profile(self, owner: &str) -> Result<PayoutProfileResponse, ChainError> {
        self.query(&QueryMsg::PayoutProfile {
            owner: owner.to_string(),
        })
        .await
    }

    /// `MerkleRoot { round }` (merkle mode; `None`: the latest accepted root).
    pub async fn merkle_root(self, round: Option<u64>) -> Result<MerkleRootResponse, ChainError> {
        self.query(&QueryMsg::MerkleRoot { round }).await
    }

    /// `MerkleRoots { start_after, limit }`: one page, ascending by round.
    pub async fn merkle_roots(
        self,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<MerkleRootsResponse, ChainError> {
        self.query(&QueryMsg::MerkleRoots { start_after, limit })
            .await
    }

    /// `RootVotes { round }`: the oracles' root votes of the round and their tallies.
    pub async fn root_votes(self, round: u64) -> Result<RootVotesResponse, ChainError> {
        self.query(&QueryMsg::RootVotes { round }).await
    }

    /// `Entitlements {}`: attested, paid and outstanding ECT.
    pub async fn entitlements(self) -> Result<EntitlementsResponse, ChainError> {
        self.query(&QueryMsg::Entitlements {}).await
    }

    /// `ClaimedCumulative { owner }`: the cumulative amount paid to `owner` (merkle mode).
    pub async fn claimed_cumulative(
        self,
        owner: &str,
    ) -> Result<ClaimedCumulativeResponse, ChainError> {
        self.query(&QueryMsg::ClaimedCumulative {
            owner: owner.to_string(),
        })
        .await
    }

    /// `OracleEndpoints {}`: the oracles' public HTTP endpoints.
    pub async fn oracle_endpoints(self) -> Result<OracleEndpointsResponse, ChainError> {
        self.query(&QueryMsg::OracleEndpoints {}).await
    }

    /// `PendingRoot {}` (merkle mode): the accepted root waiting out its challenge window, when
    /// the window ends and the bond a dispute of it needs.
    pub async fn pending_root(self) -> Result<PendingRootResponse, ChainError> {
        self.query(&QueryMsg::PendingRoot {}).await
    }

    /// `Dispute { round, attestation_hash }` (merkle mode): one dispute and its evidence.
    pub async fn dispute(
        self,
        round: u64,
        attestation_hash: &[u8],
    ) -> Result<DisputeResponse, ChainError> {
        self.query(&QueryMsg::Dispute {
            round,
            attestation_hash: HexBinary::from(attestation_hash),
        })
        .await
    }

    /// `Disputes { start_after, limit }`: one page, ascending by (round, attestation hash).
    pub async fn disputes(
        self,
        start_after: Option<DisputeKey>,
        limit: Option<u32>,
    ) -> Result<DisputesResponse, ChainError> {
        self.query(&QueryMsg::Disputes { start_after, limit }).await
    }

    /// Every page of `Disputes {}`.
    pub async fn all_disputes(self) -> Result<Vec<DisputeView>, ChainError> {
        all_pages("Disputes", MAX_PAGES, |start_after| async move {
            let page = self.disputes(start_after, Some(MAX_DISPUTES_LIMIT)).await?;
            Ok((page.disputes, page.next))
        })
        .await
    }

    // --- transactions (signed by the client's key) ---

    /// Registers `r` (the client must be `r.owner`).
    pub async fn register_device(self, r: &DeviceRegistration) -> Result<TxResult, ChainError> {
        if self.chain().address() != r.owner {
            return Err(ChainError::Config(format!(
                "device {} is owned by {}, not by the signer {}",
                r.serial,
                r.owner,
                self.chain().address()
            )));
        }
        self.execute(&r.to_msg()).await
    }

    /// `DeregisterDevice { pubkey }`.
    pub async fn deregister_device(self, pubkey: &[u8]) -> Result<TxResult, ChainError> {
        self.execute(&deregister_device_msg(pubkey)).await
    }

    /// `SubmitUsage` (oracle).
    pub async fn submit_usage(
        self,
        batch: BatchId,
        entries: Vec<UsageEntry>,
    ) -> Result<TxResult, ChainError> {
        self.execute(&submit_usage_msg(batch, entries)).await
    }

    /// `VoteBatch` (oracle).
    pub async fn vote_batch(
        self,
        batch: BatchId,
        batch_hash: &[u8],
    ) -> Result<TxResult, ChainError> {
        self.execute(&vote_batch_msg(batch, batch_hash)).await
    }

    /// `AcceptBatch` (anyone, once a hash has quorum).
    pub async fn accept_batch(
        self,
        round: u64,
        batch_index: u32,
        batch_hash: &[u8],
    ) -> Result<TxResult, ChainError> {
        self.execute(&accept_batch_msg(round, batch_index, batch_hash))
            .await
    }

    /// `Claim { rounds }`.
    pub async fn claim(self, rounds: Option<Vec<u64>>) -> Result<TxResult, ChainError> {
        self.execute(&claim_msg(rounds)).await
    }

    /// `AttestRoot` of `attestation` (oracle, merkle mode).
    pub async fn attest_root(self, attestation: &RootAttestation) -> Result<TxResult, ChainError> {
        self.execute(&attest_root_msg(attestation)).await
    }

    /// `AcceptRoot { round, attestation_hash }` (anyone, once the attestation has quorum).
    pub async fn accept_root(
        self,
        round: u64,
        attestation_hash: &[u8],
    ) -> Result<TxResult, ChainError> {
        self.execute(&accept_root_msg(round, attestation_hash))
            .await
    }

    /// `ClaimCumulative` of `leaf` (the client must be `leaf.owner`) at `leaf_index` of round
    /// `round`'s tree, with the proof bytes `proof`.
    pub async fn claim_cumulative(
        self,
        round: u64,
        leaf_index: u64,
        leaf: &Leaf,
        proof: &[u8],
    ) -> Result<TxResult, ChainError> {
        if self.chain().address() != leaf.owner {
            return Err(ChainError::Config(format!(
                "the leaf belongs to {}, not to the signer {}",
                leaf.owner,
                self.chain().address()
            )));
        }
        self.execute(&claim_cumulative_msg(round, leaf_index, leaf, proof))
            .await
    }

    /// `DisputeRoot { round, attestation_hash, reason }` (current oracle, no bond).
    pub async fn dispute_root(
        self,
        round: u64,
        attestation_hash: &[u8],
        reason: Option<String>,
    ) -> Result<TxResult, ChainError> {
        self.execute(&dispute_root_msg(round, attestation_hash, reason))
            .await
    }

    /// Disputes the pending root with `bond` ECT (anyone): the CW20 `Send` of
    /// [`dispute_with_bond_msg`] to the contract's reward token (read from `Config`), signed by
    /// the client's key. `bond` must be exactly `PendingRoot`'s `dispute_bond`.
    pub async fn dispute_with_bond(
        self,
        round: u64,
        attestation_hash: &[u8],
        reason: Option<String>,
        bond: u128,
    ) -> Result<TxResult, ChainError> {
        let token = self.config().await?.reward_token;
        let msg = dispute_with_bond_msg(self.address(), bond, round, attestation_hash, reason)?;
        self.chain().execute(&token, &msg).await
    }

    /// `ReaffirmRoot { round, attestation_hash }` (owner).
    pub async fn reaffirm_root(
        self,
        round: u64,
        attestation_hash: &[u8],
    ) -> Result<TxResult, ChainError> {
        self.execute(&reaffirm_root_msg(round, attestation_hash))
            .await
    }

    /// `FinalizeRoot {}` (anyone, once the pending root's challenge window is over).
    pub async fn finalize_root(self) -> Result<TxResult, ChainError> {
        self.execute(&finalize_root_msg()).await
    }

    /// `ClaimMany { claims }` (anyone): the tx and the `ClaimManyResult` decoded from its
    /// response data (`ChainError::Decode` when the contract returned none).
    pub async fn claim_many(self, claims: Vec<OwnerClaim>) -> Result<ClaimManyOutcome, ChainError> {
        let tx = self.execute(&claim_many_msg(claims)).await?;
        let fail = |reason: String| ChainError::Decode {
            url: tx.hash.clone(),
            reason,
        };
        let data = tx
            .execute_data()?
            .ok_or_else(|| fail("ClaimMany returned no response data".into()))?;
        let result: ClaimManyResult = serde_json::from_slice(&data)
            .map_err(|e| fail(format!("ClaimMany response data: {e}")))?;
        Ok(ClaimManyOutcome { tx, result })
    }

    /// `UpdateOracleEndpoints { set, remove }` (owner).
    pub async fn update_oracle_endpoints(
        self,
        set: Vec<OracleEndpoint>,
        remove: Vec<String>,
    ) -> Result<TxResult, ChainError> {
        self.execute(&update_oracle_endpoints_msg(set, remove))
            .await
    }

    /// `UpdatePolicy { policy }` (owner).
    pub async fn update_policy(self, policy: ScorePolicy) -> Result<TxResult, ChainError> {
        self.execute(&update_policy_msg(policy)).await
    }

    /// `SetPayoutProfile { splits }`.
    pub async fn set_payout_profile(
        self,
        splits: Vec<PayoutSplit>,
    ) -> Result<TxResult, ChainError> {
        self.execute(&set_payout_profile_msg(splits)).await
    }

    /// `ClearPayoutProfile {}`.
    pub async fn clear_payout_profile(self) -> Result<TxResult, ChainError> {
        self.execute(&clear_payout_profile_msg()).await
    }

    /// `TransferOwnership { new_owner }` (owner).
    pub async fn transfer_ownership(self, new_owner: &str) -> Result<TxResult, ChainError> {
        self.execute(&transfer_ownership_msg(new_owner)).await
    }

    /// `CancelOwnershipTransfer {}` (owner).
    pub async fn cancel_ownership_transfer(self) -> Result<TxResult, ChainError> {
        self.execute(&cancel_ownership_transfer_msg()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DeviceRegistration {
        DeviceRegistration {
            owner: "wasm1o".into(),
            pubkey: [1; 32],
            model: DeviceModel::CubeV2,
            serial: "SN-1".into(),
            timezone: "UTC".into(),
            battery_id: Some("WL-BAT-A".into()),
            certificate: [2; 64],
            nonce: 0,
            challenge: [4; 32],
            possession_signature: [3; 64],
        }
    }

    #[test]
    fn manifest_records_round_trip_as_hex_and_become_register_messages() {
        let m = FleetManifest {
            manufacturer_pubkey: [0x0a; 32],
            devices: vec![sample()],
        };
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["manufacturer_pubkey"], "0a".repeat(32));
        assert_eq!(json["devices"][0]["pubkey"], "01".repeat(32));
        assert_eq!(json["devices"][0]["model"], "cube_v2");
        assert_eq!(json["devices"][0]["challenge"], "04".repeat(32));
        let back: FleetManifest = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
        let expected = ExecuteMsg::RegisterDevice {
            pubkey: Binary::from(vec![1u8; 32]),
            model: DeviceModel::CubeV2,
            serial: "SN-1".into(),
            timezone: "UTC".into(),
            certificate: Binary::from(vec![2u8; 64]),
            possession_signature: Binary::from(vec![3u8; 64]),
        };
        assert_eq!(back.devices[0].to_msg(), expected);
    }

    #[test]
    fn merkle_messages_carry_hashes_as_hex_and_the_proof_as_base64() {
        let attestation = RootAttestation {
            round: 7,
            root: [0xab; 32],
            total_entitlement: 1_000,
            total_score: 5,
            leaf_count: 3,
            depth: 2,
            policy_version: 1,
            leaves_digest: [0x01; 32],
            input_digest: [0x02; 32],
        };
        let json = serde_json::to_value(attest_root_msg(&attestation)).unwrap();
        let a = &json["attest_root"];
        assert_eq!(a["round"], 7);
        assert_eq!(a["root"], "ab".repeat(32));
        assert_eq!(a["total_entitlement"], "1000");
        assert_eq!(a["total_score"], "5");
        assert_eq!(a["leaf_count"], 3);
        assert_eq!(a["depth"], 2);
        assert_eq!(a["policy_version"], 1);
        assert_eq!(a["leaves_digest"], "01".repeat(32));
        assert_eq!(a["input_digest"], "02".repeat(32));

        let leaf = Leaf {
            owner: "wasm1o".into(),
            buckets: cube_types::mining_round::UsageBuckets {
                wh: [[1, 2, 3], [4, 5, 6]],
            },
            score: 9,
            cumulative: 42,
        };
        let json = serde_json::to_value(claim_cumulative_msg(7, 2, &leaf, &[0xff; 48])).unwrap();
        let c = &json["claim_cumulative"];
        assert_eq!(c["round"], 7);
        assert_eq!(c["leaf_index"], 2);
        assert_eq!(c["cumulative"], "42");
        assert_eq!(c["score"], "9");
        assert_eq!(
            c["buckets"],
            serde_json::json!({ "wh": [[1, 2, 3], [4, 5, 6]] })
        );
        assert_eq!(c["proof"], "/".repeat(64));
        assert_eq!(
            serde_json::to_value(accept_root_msg(7, &[0xcd; 32])).unwrap(),
            serde_json::json!({ "accept_root": { "round": 7, "attestation_hash": "cd".repeat(32) } })
        );
    }

    #[test]
    fn dispute_and_claim_many_messages_carry_hashes_as_hex() {
        assert_eq!(
            serde_json::to_value(dispute_root_msg(7, &[0xcd; 32], Some("wrong sum".into())))
                .unwrap(),
            serde_json::json!({ "dispute_root": {
                "round": 7, "attestation_hash": "cd".repeat(32), "reason": "wrong sum"
            } })
        );
        // The bonded dispute is a CW20 Send whose hook is `{"dispute": {..}}`.
        let send = dispute_with_bond_msg("wasm1round", 10, 7, &[0xcd; 32], None).unwrap();
        let ::cw20::Cw20ExecuteMsg::Send {
            contract,
            amount,
            msg,
        } = send
        else {
            panic!("a bonded dispute is a CW20 Send");
        };
        assert_eq!((contract.as_str(), amount.u128()), ("wasm1round", 10));
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(msg.as_slice()).unwrap(),
            serde_json::json!({ "dispute": {
                "round": 7, "attestation_hash": "cd".repeat(32), "reason": null
            } })
        );
        assert_eq!(
            serde_json::to_value(reaffirm_root_msg(7, &[0xcd; 32])).unwrap(),
            serde_json::json!({ "reaffirm_root": { "round": 7, "attestation_hash": "cd".repeat(32) } })
        );
        assert_eq!(
            serde_json::to_value(finalize_root_msg()).unwrap(),
            serde_json::json!({ "finalize_root": {} })
        );
        assert_eq!(
            serde_json::to_value(cancel_ownership_transfer_msg()).unwrap(),
            serde_json::json!({ "cancel_ownership_transfer": {} })
        );
        let leaf = Leaf {
            owner: "wasm1o".into(),
            buckets: cube_types::mining_round::UsageBuckets::default(),
            score: 0,
            cumulative: 42,
        };
        let json = serde_json::to_value(claim_many_msg(vec![OwnerClaim::new(
            7,
            2,
            &leaf,
            &[0xff; 48],
        )]))
        .unwrap();
        let c = &json["claim_many"]["claims"][0];
        assert_eq!(c["owner"], "wasm1o");
        assert_eq!(c["round"], 7);
        assert_eq!(c["leaf_index"], 2);
        assert_eq!(c["cumulative"], "42");
        assert_eq!(c["proof"], "/".repeat(64));
    }

    #[test]
    fn a_record_without_battery_or_nonce_reads_and_bad_hex_is_an_error() {
        let mut json = serde_json::to_value(sample()).unwrap();
        let obj = json.as_object_mut().unwrap();
        obj.remove("battery_id");
        obj.remove("nonce");
        obj.remove("challenge");
        let r: DeviceRegistration = serde_json::from_value(json.clone()).unwrap();
        assert_eq!((r.battery_id, r.nonce, r.challenge), (None, 0, [0u8; 32]));
        json["certificate"] = "zz".into();
        let err = serde_json::from_value::<DeviceRegistration>(json).unwrap_err();
        assert!(err.to_string().contains("64 bytes"), "{err}");
    }
}

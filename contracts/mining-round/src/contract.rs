//! Entry points: each message routed to its action module, guards visible in the match.

use contract_common::{ensure_owner, ownership};
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, Storage};
use cube_types::mining_round::{AttestationMode, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use cw_utils::nonpayable;

use crate::attest;
use crate::config::{self, ConfigChanges};
use crate::devices::{self, Registration};
use crate::merkle::{self, Attestation, CumulativeClaim};
use crate::state::CONFIG;
use crate::{
    claim, emergency, endpoints, funding, instantiate as init, oracles, payout, policy, query,
    whitelist, ContractError,
};
use cube_types::mining_round::BatchId;

pub const CONTRACT_NAME: &str = "cube-rewards:mining-round";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    init::instantiate(deps, env, info, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    if owner_only(&msg) {
        ensure_owner(deps.storage, &info.sender)?;
    }
    if let Some(required) = required_mode(&msg) {
        ensure_mode(deps.storage, required)?;
    }
    match msg {
        ExecuteMsg::Receive(wrapper) => funding::receive(deps, env, info, wrapper),
        ExecuteMsg::RegisterDevice {
            pubkey,
            model,
            serial,
            timezone,
            certificate,
            possession_signature,
        } => devices::register(
            deps,
            env,
            info,
            Registration {
                pubkey,
                model,
                serial,
                timezone,
                certificate,
                possession_signature,
            },
        ),
        ExecuteMsg::DeregisterDevice { pubkey } => devices::deregister(deps, env, info, pubkey),
        // oracle only (checked inside)
        ExecuteMsg::SubmitUsage {
            round,
            batch_index,
            batch_count,
            policy_version,
            entries,
        } => attest::submit_usage(
            deps,
            env,
            info,
            BatchId::new(round, batch_index, batch_count, policy_version),
            entries,
        ),
        // oracle only (checked inside)
        ExecuteMsg::VoteBatch {
            round,
            batch_index,
            batch_count,
            policy_version,
            batch_hash,
        } => attest::vote_batch(
            deps,
            env,
            info,
            BatchId::new(round, batch_index, batch_count, policy_version),
            batch_hash,
        ),
        // anyone; fails while paused
        ExecuteMsg::AcceptBatch {
            round,
            batch_index,
            batch_hash,
        } => attest::accept_batch(deps, env, round, batch_index, batch_hash),
        ExecuteMsg::CloseVoidRound { round } => attest::close_void_round(deps, env, round),
        ExecuteMsg::Claim { rounds } => claim::claim(deps, env, info, rounds),
        ExecuteMsg::SweepExpired { limit } => claim::sweep_expired(deps, env, limit),
        // owner only (`owner_only`)
        ExecuteMsg::UpdatePolicy { policy } => policy::update_policy(deps, env, policy),
        ExecuteMsg::UpdateOracles { add, remove } => oracles::update_oracles(deps, add, remove),
        ExecuteMsg::UpdateConfig {
            round_reward,
            attestation_window,
            claim_window,
            quorum,
            rated_power,
            max_entries_per_batch,
            max_claim_rounds,
            challenge_window,
            dispute_bond_bps,
        } => config::update_config(
            deps,
            env,
            ConfigChanges {
                round_reward,
                attestation_window,
                claim_window,
                quorum,
                rated_power,
                max_entries_per_batch,
                max_claim_rounds,
                challenge_window,
                dispute_bond_bps,
            },
        ),
        ExecuteMsg::UpdateBatteryWhitelist { add, remove } => {
            whitelist::update_battery_whitelist(deps, env, add, remove)
        }
        ExecuteMsg::UpdateManufacturerKeys { add, remove } => {
            config::update_manufacturer_keys(deps, add, remove)
        }
        ExecuteMsg::TransferOwnership { new_owner } => Ok(ownership::transfer_ownership(
            deps.storage,
            deps.api,
            &info.sender,
            &new_owner,
        )?),
        ExecuteMsg::CancelOwnershipTransfer {} => Ok(ownership::cancel_ownership_transfer(
            deps.storage,
            &info.sender,
        )?),
        // pending owner only (checked inside)
        ExecuteMsg::AcceptOwnership {} => {
            Ok(ownership::accept_ownership(deps.storage, &info.sender)?)
        }
        // owner only (`owner_only`)
        ExecuteMsg::WithdrawUnlocked { amount, recipient } => {
            funding::withdraw_unlocked(deps, env, info, amount, recipient)
        }
        ExecuteMsg::Reconcile {} => funding::reconcile(deps, env),
        ExecuteMsg::Unpause {} => emergency::unpause(deps, env, info),
        ExecuteMsg::UpdateGuardian { guardian } => emergency::update_guardian(deps, guardian),
        ExecuteMsg::SetPayoutProfile { splits } => payout::set_profile(deps, info, splits),
        ExecuteMsg::ClearPayoutProfile {} => payout::clear_profile(deps, info),
        // owner or guardian (checked inside)
        ExecuteMsg::Pause {} => emergency::pause(deps, env, info),
        // merkle mode (`required_mode`); oracle only (checked inside)
        ExecuteMsg::AttestRoot {
            round,
            root,
            total_entitlement,
            total_score,
            leaf_count,
            depth,
            policy_version,
            leaves_digest,
            input_digest,
        } => merkle::attest_root(
            deps,
            env,
            info,
            Attestation {
                round,
                root,
                total_entitlement,
                total_score,
                leaf_count,
                depth,
                policy_version,
                leaves_digest,
                input_digest,
            },
        ),
        // merkle mode; anyone, fails while paused
        ExecuteMsg::AcceptRoot {
            round,
            attestation_hash,
        } => merkle::accept_proposal(deps, env, round, attestation_hash),
        // merkle mode; the leaf's owner
        ExecuteMsg::ClaimCumulative {
            round,
            leaf_index,
            cumulative,
            buckets,
            score,
            proof,
        } => merkle::claim_cumulative(
            deps,
            env,
            info,
            CumulativeClaim {
                round,
                leaf_index,
                cumulative,
                buckets,
                score,
                proof,
            },
        ),
        // owner only (`owner_only`)
        ExecuteMsg::UpdateOracleEndpoints { set, remove } => {
            endpoints::update_oracle_endpoints(deps, set, remove)
        }
        // merkle mode; a current oracle without a bond (checked inside), works while paused
        ExecuteMsg::DisputeRoot {
            round,
            attestation_hash,
            reason,
        } => merkle::dispute_root(
            deps.storage,
            env.block.time.seconds(),
            merkle::Disputer {
                address: info.sender,
                bond: None,
            },
            round,
            attestation_hash,
            reason,
        ),
        // merkle mode; owner only (`owner_only`), fails while paused
        ExecuteMsg::ReaffirmRoot {
            round,
            attestation_hash,
        } => merkle::reaffirm_root(
            deps.storage,
            env.block.time.seconds(),
            round,
            attestation_hash,
        ),
        // merkle mode; anyone, fails while paused
        ExecuteMsg::FinalizeRoot {} => {
            merkle::finalize_pending(deps.storage, env.block.time.seconds())
        }
        ExecuteMsg::ClaimMany { claims } => merkle::claim_many(deps, env, claims),
    }
}

/// The attestation mode a message needs: the direct mode's batches, void rounds and per-round
/// claims, the merkle mode's roots and cumulative claims; `None` for the rest.
fn required_mode(msg: &ExecuteMsg) -> Option<AttestationMode> {
    match msg {
        ExecuteMsg::SubmitUsage { .. }
        | ExecuteMsg::VoteBatch { .. }
        | ExecuteMsg::AcceptBatch { .. }
        | ExecuteMsg::CloseVoidRound { .. }
        | ExecuteMsg::Claim { .. } => Some(AttestationMode::Direct),
        ExecuteMsg::AttestRoot { .. }
        | ExecuteMsg::AcceptRoot { .. }
        | ExecuteMsg::ClaimCumulative { .. }
        | ExecuteMsg::DisputeRoot { .. }
        | ExecuteMsg::ReaffirmRoot { .. }
        | ExecuteMsg::FinalizeRoot {}
        | ExecuteMsg::ClaimMany { .. } => Some(AttestationMode::Merkle),
        _ => None,
    }
}

/// Fails with `WrongAttestationMode` unless the contract runs the `required` mode.
pub fn ensure_mode(storage: &dyn Storage, required: AttestationMode) -> Result<(), ContractError> {
    let mode = CONFIG.load(storage)?.attestation_mode;
    if mode != required {
        return Err(ContractError::WrongAttestationMode { mode, required });
    }
    Ok(())
}

/// The messages only the owner may send, checked before routing so a reader sees them on one
/// screen and the handlers can assume it. (`TransferOwnership` and `CancelOwnershipTransfer`
/// are checked by `contract_common::ownership`, `AcceptOwnership` needs the pending owner,
/// `Pause` also accepts the guardian.)
fn owner_only(msg: &ExecuteMsg) -> bool {
    matches!(
        msg,
        ExecuteMsg::UpdatePolicy { .. }
            | ExecuteMsg::UpdateOracles { .. }
            | ExecuteMsg::UpdateConfig { .. }
            | ExecuteMsg::UpdateBatteryWhitelist { .. }
            | ExecuteMsg::UpdateManufacturerKeys { .. }
            | ExecuteMsg::WithdrawUnlocked { .. }
            | ExecuteMsg::Reconcile {}
            | ExecuteMsg::Unpause {}
            | ExecuteMsg::UpdateGuardian { .. }
            | ExecuteMsg::UpdateOracleEndpoints { .. }
            | ExecuteMsg::ReaffirmRoot { .. }
    )
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Policy { version } => to_json_binary(&query::policy(deps, version)?),
        QueryMsg::Oracles {} => to_json_binary(&query::oracles(deps)?),
        QueryMsg::Round { round } => to_json_binary(&query::round(deps, env, round)?),
        QueryMsg::Rounds { start_after, limit } => {
            to_json_binary(&query::rounds(deps, env, start_after, limit)?)
        }
        QueryMsg::CurrentRound {} => to_json_binary(&query::current_round(deps, env)?),
        QueryMsg::Score { round, owner } => to_json_binary(&query::score(deps, round, owner)?),
        QueryMsg::Claimable {
            owner,
            start_after,
            limit,
        } => to_json_binary(&query::claimable(deps, env, owner, start_after, limit)?),
        QueryMsg::Leaderboard {
            round,
            start_after,
            limit,
        } => to_json_binary(&query::leaderboard(deps, round, start_after, limit)?),
        QueryMsg::Device { pubkey } => to_json_binary(&query::device(deps, pubkey)?),
        QueryMsg::Devices { start_after, limit } => {
            to_json_binary(&query::devices(deps, start_after, limit)?)
        }
        QueryMsg::DevicesByOwner {
            owner,
            start_after,
            limit,
        } => to_json_binary(&query::devices_by_owner(deps, owner, start_after, limit)?),
        QueryMsg::BatteryWhitelist {
            as_of_round,
            start_after,
            limit,
        } => to_json_binary(&query::battery_whitelist(
            deps,
            as_of_round,
            start_after,
            limit,
        )?),
        QueryMsg::Funds {} => to_json_binary(&query::funds(deps, env)?),
        QueryMsg::Batch { round, batch_index } => {
            to_json_binary(&query::batch(deps, round, batch_index)?)
        }
        QueryMsg::BatchEvidence {
            round,
            batch_index,
            start_after,
            limit,
        } => to_json_binary(&query::batch_evidence(
            deps,
            round,
            batch_index,
            start_after,
            limit,
        )?),
        QueryMsg::Batches {
            round,
            start_after,
            limit,
        } => to_json_binary(&query::batches(deps, round, start_after, limit)?),
        QueryMsg::Vote {
            round,
            batch_index,
            oracle,
        } => to_json_binary(&query::vote(deps, round, batch_index, oracle)?),
        QueryMsg::RoundParams { round } => to_json_binary(&query::round_params(deps, round)?),
        QueryMsg::DevicesAsOf {
            round,
            start_after,
            limit,
        } => to_json_binary(&query::devices_as_of(deps, round, start_after, limit)?),
        QueryMsg::OwnersAsOf {
            round,
            start_after,
            limit,
        } => to_json_binary(&query::owners_as_of(deps, round, start_after, limit)?),
        QueryMsg::OwnerAsOf { round, owner } => {
            to_json_binary(&query::owner_as_of(deps, round, owner)?)
        }
        QueryMsg::RegistrationNonce { pubkey } => {
            to_json_binary(&query::registration_nonce(deps, pubkey)?)
        }
        QueryMsg::PayoutProfile { owner } => to_json_binary(&payout::query_profile(deps, owner)?),
        QueryMsg::MerkleRoot { round } => to_json_binary(&merkle::query::merkle_root(deps, round)?),
        QueryMsg::MerkleRoots { start_after, limit } => {
            to_json_binary(&merkle::query::merkle_roots(deps, start_after, limit)?)
        }
        QueryMsg::RootVotes { round } => to_json_binary(&merkle::query::root_votes(deps, round)?),
        QueryMsg::ClaimedCumulative { owner } => {
            to_json_binary(&merkle::query::claimed_cumulative(deps, owner)?)
        }
        QueryMsg::Entitlements {} => to_json_binary(&merkle::query::entitlements(deps)?),
        QueryMsg::OracleEndpoints {} => to_json_binary(&endpoints::oracle_endpoints(deps)?),
        QueryMsg::PendingRoot {} => to_json_binary(&merkle::query::pending_root(deps, env)?),
        QueryMsg::Dispute {
            round,
            attestation_hash,
        } => to_json_binary(&merkle::query::dispute(deps, round, attestation_hash)?),
        QueryMsg::Disputes { start_after, limit } => {
            to_json_binary(&merkle::query::disputes(deps, start_after, limit)?)
        }
    }?)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    // Refuses another contract's state and any version that is not newer.
    Ok(contract_common::ensure_upgrade(
        deps.storage,
        CONTRACT_NAME,
        CONTRACT_VERSION,
    )?)
}

//! `RegisterDevice` / `DeregisterDevice`: the latest registry plus its history by first round
//! (device, owner counts), so every round keeps the registry view it had when it ended.

use contract_common::Checked;
use cosmwasm_std::{Addr, Binary, DepsMut, Empty, Env, HexBinary, MessageInfo, Response, Storage};
use cube_scoring::{
    certificate_message, next_registration_challenge, possession_message, DeviceModel,
    RegistrationBlock, INITIAL_REGISTRATION_CHALLENGE,
};

use crate::state::{
    counts_as_of, Device, DeviceCounts, CHALLENGES, CONFIG, COUNTS_HISTORY, DEVICES,
    DEVICE_HISTORY, KNOWN_OWNERS, NONCES, OWNER_DEVICES,
};
use crate::validate::{signature_len, validate_serial, validate_timezone};
use crate::ContractError;

/// Parameters of `RegisterDevice`.
pub struct Registration {
    pub pubkey: Binary,
    pub model: DeviceModel,
    pub serial: String,
    pub timezone: String,
    pub certificate: Binary,
    pub possession_signature: Binary,
}

/// Adds or removes one device of `model` to `owner`'s counts from round `from` on.
fn adjust_counts(
    storage: &mut dyn Storage,
    owner: &Addr,
    model: DeviceModel,
    add: bool,
    from: u64,
) -> Result<DeviceCounts, ContractError> {
    let mut counts = counts_as_of(storage, owner, u64::MAX)?;
    let slot = match model {
        DeviceModel::CubeV1 => &mut counts.cube_v1,
        DeviceModel::CubeV2 => &mut counts.cube_v2,
    };
    *slot = if add {
        slot.checked_inc()?
    } else {
        slot.checked_dec()?
    };
    COUNTS_HISTORY.save(storage, (owner, from), &counts)?;
    if add && !KNOWN_OWNERS.has(storage, owner) {
        KNOWN_OWNERS.save(storage, owner, &Empty {})?;
    }
    Ok(counts)
}

/// Removes a device from its latest owner, from round `from` on.
fn unlink(
    storage: &mut dyn Storage,
    pubkey: &[u8],
    device: &Device,
    from: u64,
) -> Result<(), ContractError> {
    OWNER_DEVICES.remove(storage, (&device.owner, pubkey));
    adjust_counts(storage, &device.owner, device.model, false, from)?;
    Ok(())
}

/// Registers, re-registers or moves a device. The new registration is in force from the round
/// after the current one. The possession signature signs the device's registration challenge;
/// success moves the nonce and replaces the challenge by one derived from this block (height,
/// nanosecond time, transaction index), so the signature never works again and no signature for
/// the next registration can exist before this one is on chain.
pub fn register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    reg: Registration,
) -> Result<Response, ContractError> {
    let pubkey: [u8; 32] =
        reg.pubkey
            .as_slice()
            .try_into()
            .map_err(|_| ContractError::InvalidPubkey {
                len: reg.pubkey.len(),
            })?;
    validate_serial(&reg.serial)?;
    validate_timezone(&reg.timezone)?;
    signature_len("certificate", &reg.certificate)?;
    signature_len("possession_signature", &reg.possession_signature)?;

    let config = CONFIG.load(deps.storage)?;
    let cert_msg = certificate_message(&pubkey, reg.model, &reg.serial);
    let mut certified = false;
    for key in &config.manufacturer_keys {
        if deps.api.ed25519_verify(&cert_msg, &reg.certificate, key)? {
            certified = true;
            break;
        }
    }
    if !certified {
        return Err(ContractError::InvalidCertificate {});
    }

    let nonce = NONCES.may_load(deps.storage, &pubkey)?.unwrap_or(0);
    let challenge = CHALLENGES
        .may_load(deps.storage, &pubkey)?
        .unwrap_or(INITIAL_REGISTRATION_CHALLENGE);
    let possession = possession_message(
        &env.block.chain_id,
        env.contract.address.as_str(),
        info.sender.as_str(),
        &pubkey,
        &challenge,
    );
    if !deps
        .api
        .ed25519_verify(&possession, &reg.possession_signature, &pubkey)?
    {
        return Err(ContractError::InvalidPossessionSignature {});
    }
    let next_nonce = nonce.checked_inc()?;
    NONCES.save(deps.storage, &pubkey, &next_nonce)?;
    let next_challenge = next_registration_challenge(
        &challenge,
        &env.block.chain_id,
        env.contract.address.as_str(),
        info.sender.as_str(),
        &pubkey,
        &RegistrationBlock {
            height: env.block.height,
            time_nanos: env.block.time.nanos(),
            tx_index: env.transaction.as_ref().map(|tx| tx.index),
        },
        next_nonce,
    );
    CHALLENGES.save(deps.storage, &pubkey, &next_challenge)?;
    let now = env.block.time.seconds();
    let from = config.effective_round(now)?;
    let previous = DEVICES.may_load(deps.storage, &pubkey)?;
    if let Some(prev) = &previous {
        unlink(deps.storage, &pubkey, prev, from)?;
    }
    let device = Device {
        owner: info.sender.clone(),
        model: reg.model,
        serial: reg.serial,
        timezone: reg.timezone,
        registered_at: now,
        effective_from_round: from,
    };
    DEVICES.save(deps.storage, &pubkey, &device)?;
    DEVICE_HISTORY.save(deps.storage, (&pubkey, from), &Some(device.clone()))?;
    OWNER_DEVICES.save(deps.storage, (&info.sender, &pubkey), &Empty {})?;
    let counts = adjust_counts(deps.storage, &info.sender, reg.model, true, from)?;

    let mut res = Response::new()
        .add_attribute("action", "register_device")
        .add_attribute("pubkey", HexBinary::from(pubkey).to_hex())
        .add_attribute("owner", info.sender.as_str())
        .add_attribute("model", reg.model.as_str())
        .add_attribute("serial", &device.serial)
        .add_attribute("timezone", &device.timezone)
        .add_attribute("dual_product", counts.dual_product().to_string())
        .add_attribute("effective_from_round", from.to_string())
        .add_attribute("nonce", next_nonce.to_string())
        .add_attribute("challenge", HexBinary::from(next_challenge).to_hex());
    if let Some(prev) = previous {
        res = res.add_attribute("previous_owner", prev.owner.as_str());
    }
    Ok(res)
}

/// Removes one of the sender's devices from the round after the current one.
pub fn deregister(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    pubkey: Binary,
) -> Result<Response, ContractError> {
    let device = DEVICES
        .may_load(deps.storage, pubkey.as_slice())?
        .ok_or_else(|| ContractError::DeviceNotFound {
            pubkey: HexBinary::from(pubkey.as_slice()),
        })?;
    if device.owner != info.sender {
        return Err(ContractError::NotDeviceOwner {
            pubkey: HexBinary::from(pubkey.as_slice()),
        });
    }
    let from = CONFIG
        .load(deps.storage)?
        .effective_round(env.block.time.seconds())?;
    DEVICES.remove(deps.storage, pubkey.as_slice());
    DEVICE_HISTORY.save(deps.storage, (pubkey.as_slice(), from), &None)?;
    unlink(deps.storage, pubkey.as_slice(), &device, from)?;
    Ok(Response::new()
        .add_attribute("action", "deregister_device")
        .add_attribute("pubkey", HexBinary::from(pubkey.as_slice()).to_hex())
        .add_attribute("owner", info.sender.as_str())
        .add_attribute("model", device.model.as_str())
        .add_attribute("effective_from_round", from.to_string()))
}

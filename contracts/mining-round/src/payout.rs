//! Payout profiles: how an owner's claims are paid.
//!
//! An owner may split every later claim between up to [`MAX_PAYOUT_SPLITS`] addresses by basis
//! points. Each split receives floor(claim · bps / 10_000); the rounding remainder (at most one
//! base unit per split) goes to the owner, so a claim never pays more than its amount. The
//! profile is read when a claim pays, so a change applies to later claims only.
//!
//! Bonding a share into the governance stake is deliberately not offered: cw4-stake 2.0 bonds a
//! CW20 `Send` for the `sender` the token reports, and cw20-base reports the account that
//! executed the `Send` (also the spender of a `SendFrom`) — this contract. A bond share would
//! become the contract's own voting weight, which no holder could vote with or unbond. Holders
//! compound by bonding what they receive (`tests/payout.rs` shows the cw4-stake behaviour).

use cosmwasm_std::{
    to_json_binary, Addr, Deps, DepsMut, MessageInfo, Response, Storage, Uint128, Uint256, WasmMsg,
};
use cube_types::mining_round::{
    PayoutProfileResponse, PayoutSplit, MAX_PAYOUT_SPLITS, PAYOUT_BPS_TOTAL,
};
use cw20::Cw20ExecuteMsg;
use cw_storage_plus::Map;
use serde::{Deserialize, Serialize};

use crate::ContractError;

/// One validated recipient and its share in basis points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub recipient: Addr,
    pub bps: u32,
}

/// Payout profile per owner.
pub const PAYOUT_PROFILES: Map<&Addr, Vec<Share>> = Map::new("payout_profiles");

/// Checks a profile: 1..=MAX splits, distinct valid addresses, each bps > 0, sum exactly
/// 10_000.
pub fn validate(deps: Deps, splits: &[PayoutSplit]) -> Result<Vec<Share>, ContractError> {
    if splits.is_empty() {
        return Err(ContractError::EmptyPayoutProfile {});
    }
    let max = usize::try_from(MAX_PAYOUT_SPLITS).unwrap_or(usize::MAX);
    if splits.len() > max {
        return Err(ContractError::TooManyPayoutSplits {
            count: splits.len(),
            max: MAX_PAYOUT_SPLITS,
        });
    }
    let mut shares: Vec<Share> = Vec::with_capacity(splits.len());
    let mut sum: u64 = 0;
    for split in splits {
        let recipient = deps.api.addr_validate(&split.address).map_err(|_| {
            ContractError::InvalidPayoutAddress {
                address: split.address.clone(),
            }
        })?;
        if split.bps == 0 {
            return Err(ContractError::ZeroPayoutShare {
                address: recipient.into_string(),
            });
        }
        if shares.iter().any(|s| s.recipient == recipient) {
            return Err(ContractError::DuplicatePayoutRecipient {
                address: recipient.into_string(),
            });
        }
        sum = sum.saturating_add(u64::from(split.bps));
        shares.push(Share {
            recipient,
            bps: split.bps,
        });
    }
    if sum != u64::from(PAYOUT_BPS_TOTAL) {
        return Err(ContractError::PayoutSharesSum {
            sum,
            expected: PAYOUT_BPS_TOTAL,
        });
    }
    Ok(shares)
}

pub fn set_profile(
    deps: DepsMut,
    info: MessageInfo,
    splits: Vec<PayoutSplit>,
) -> Result<Response, ContractError> {
    let shares = validate(deps.as_ref(), &splits)?;
    PAYOUT_PROFILES.save(deps.storage, &info.sender, &shares)?;
    Ok(Response::new()
        .add_attribute("action", "set_payout_profile")
        .add_attribute("owner", info.sender.as_str())
        .add_attribute("splits", describe(&shares)))
}

pub fn clear_profile(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    if !PAYOUT_PROFILES.has(deps.storage, &info.sender) {
        return Err(ContractError::NoPayoutProfile {});
    }
    PAYOUT_PROFILES.remove(deps.storage, &info.sender);
    Ok(Response::new()
        .add_attribute("action", "clear_payout_profile")
        .add_attribute("owner", info.sender.as_str()))
}

pub fn query_profile(deps: Deps, owner: String) -> Result<PayoutProfileResponse, ContractError> {
    let addr = deps.api.addr_validate(&owner)?;
    let splits = PAYOUT_PROFILES
        .may_load(deps.storage, &addr)?
        .unwrap_or_default()
        .into_iter()
        .map(|s| PayoutSplit {
            address: s.recipient.into_string(),
            bps: s.bps,
        })
        .collect();
    Ok(PayoutProfileResponse {
        owner: addr.into_string(),
        splits,
    })
}

fn describe(shares: &[Share]) -> String {
    shares
        .iter()
        .map(|s| format!("{}:{}", s.recipient, s.bps))
        .collect::<Vec<_>>()
        .join(",")
}

/// Amounts paid for a claim of `total` by `owner` with `shares` (empty: all to the owner).
/// Each split gets floor(total · bps / 10_000); the remainder is added to the owner's own
/// amount (the owner may also be a split). Recipients keep the profile's order, the owner
/// first when not a split; zero amounts are left out. The amounts sum to exactly `total`.
pub fn split(
    owner: &Addr,
    total: Uint128,
    shares: &[Share],
) -> Result<Vec<(Addr, Uint128)>, ContractError> {
    let mut paid = Uint128::zero();
    let mut own = Uint128::zero();
    let mut others: Vec<(Addr, Uint128)> = Vec::with_capacity(shares.len());
    for share in shares {
        let amount = Uint128::try_from(
            Uint256::from(total)
                .checked_mul(Uint256::from(share.bps))?
                .checked_div(Uint256::from(PAYOUT_BPS_TOTAL))?,
        )?;
        paid = paid.checked_add(amount)?;
        if share.recipient == *owner {
            own = own.checked_add(amount)?;
        } else {
            others.push((share.recipient.clone(), amount));
        }
    }
    // The rounding remainder goes to the owner.
    own = own.checked_add(total.checked_sub(paid)?)?;
    let mut out = Vec::with_capacity(others.len().saturating_add(1));
    out.push((owner.clone(), own));
    out.extend(others);
    out.retain(|(_, amount)| !amount.is_zero());
    Ok(out)
}

/// The claim hook: adds to `res` the ECT transfers paying `total` to `owner` according to the
/// owner's profile at this moment, and a `payout` attribute (`addr:amount,...`).
pub fn pay(
    storage: &dyn Storage,
    token: &Addr,
    owner: &Addr,
    total: Uint128,
    res: Response,
) -> Result<Response, ContractError> {
    if total.is_zero() {
        return Ok(res);
    }
    let shares = PAYOUT_PROFILES
        .may_load(storage, owner)?
        .unwrap_or_default();
    let amounts = split(owner, total, &shares)?;
    let mut res = res.add_attribute(
        "payout",
        amounts
            .iter()
            .map(|(a, v)| format!("{a}:{v}"))
            .collect::<Vec<_>>()
            .join(","),
    );
    for (recipient, amount) in amounts {
        res = res.add_message(WasmMsg::Execute {
            contract_addr: token.to_string(),
            msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                recipient: recipient.into_string(),
                amount,
            })?,
            funds: vec![],
        });
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(name: &str, bps: u32) -> Share {
        Share {
            recipient: Addr::unchecked(name),
            bps,
        }
    }

    #[test]
    fn remainder_goes_to_the_owner_and_nothing_more_is_paid() -> Result<(), ContractError> {
        let owner = Addr::unchecked("owner");
        let shares = [share("a", 3_333), share("b", 6_667)];
        let out = split(&owner, Uint128::new(1_000_001), &shares)?;
        assert_eq!(
            out,
            vec![
                (owner.clone(), Uint128::new(1)),
                (Addr::unchecked("a"), Uint128::new(333_300)),
                (Addr::unchecked("b"), Uint128::new(666_700)),
            ]
        );
        // Owner as a split: its share and the remainder in one transfer.
        let shares = [share("a", 5_000), share("owner", 5_000)];
        let out = split(&owner, Uint128::new(7), &shares)?;
        assert_eq!(
            out,
            vec![
                (owner.clone(), Uint128::new(4)),
                (Addr::unchecked("a"), Uint128::new(3)),
            ]
        );
        // No profile: everything to the owner. Tiny claims: zero amounts are dropped.
        assert_eq!(
            split(&owner, Uint128::new(5), &[])?,
            vec![(owner.clone(), Uint128::new(5))]
        );
        let out = split(&owner, Uint128::new(1), &[share("a", 9_999), share("b", 1)])?;
        assert_eq!(out, vec![(owner.clone(), Uint128::new(1))]);
        // The largest claim does not overflow.
        let out = split(&owner, Uint128::MAX, &[share("a", 10_000)])?;
        assert_eq!(out, vec![(Addr::unchecked("a"), Uint128::MAX)]);
        Ok(())
    }

    #[test]
    fn amounts_always_sum_to_the_claim() -> Result<(), ContractError> {
        let owner = Addr::unchecked("owner");
        let shares = [
            share("a", 1),
            share("b", 2_999),
            share("c", 3_001),
            share("d", 2_999),
            share("e", 1_000),
        ];
        for total in [
            0u128,
            1,
            2,
            9_999,
            10_001,
            123_456_789,
            u128::from(u64::MAX),
        ] {
            let out = split(&owner, Uint128::new(total), &shares)?;
            let sum: u128 = out.iter().map(|(_, v)| v.u128()).sum();
            assert_eq!(sum, total, "total {total}");
            for (addr, amount) in &out {
                if let Some(s) = shares.iter().find(|s| s.recipient == *addr) {
                    assert_eq!(amount.u128(), total * u128::from(s.bps) / 10_000);
                }
            }
        }
        Ok(())
    }
}

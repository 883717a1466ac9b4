use contract_common::PageLimits;
use cosmwasm_std::{Addr, Api, Event, Storage, Timestamp};
use cube_types::reward_pool::{RateEvent, RateEventKind};

use crate::error::ContractError;
use crate::halving::LevelChange;
use crate::state::{RATE_EVENTS, RATE_SEQ};

/// Validates an address given as a string, with a typed error naming it.
pub fn validate_addr(api: &dyn Api, address: &str) -> Result<Addr, ContractError> {
    api.addr_validate(address)
        .map_err(|_| ContractError::InvalidAddress {
            address: address.to_string(),
        })
}

/// Page size of the list queries (`RateHistory`, `Reporters`): 10 by default, at most 30.
pub const PAGE: PageLimits = PageLimits::new(10, 30);

/// Stores level changes in the rate history and returns one event per change
/// (`wasm-halving` / `wasm-reversal` on chain).
pub fn record_level_changes(
    storage: &mut dyn Storage,
    changes: Vec<LevelChange>,
    now: Timestamp,
) -> Result<Vec<Event>, ContractError> {
    let mut events = Vec::with_capacity(changes.len());
    if changes.is_empty() {
        return Ok(events);
    }
    let mut seq = RATE_SEQ.may_load(storage)?.unwrap_or_default();
    for change in changes {
        seq = seq
            .checked_add(1)
            .ok_or(ContractError::LevelBoundExceeded)?;
        let action = match change.kind {
            RateEventKind::Halving => "halving",
            RateEventKind::Reversal => "reversal",
        };
        events.push(
            Event::new(action)
                .add_attribute("action", action)
                .add_attribute("seq", seq.to_string())
                .add_attribute("from_level", change.from_level.to_string())
                .add_attribute("to_level", change.to_level.to_string())
                .add_attribute("balance", change.balance)
                .add_attribute("reward", change.reward)
                .add_attribute("time", now.seconds().to_string()),
        );
        RATE_EVENTS.save(
            storage,
            seq,
            &RateEvent {
                seq,
                kind: change.kind,
                time: now,
                from_level: change.from_level,
                to_level: change.to_level,
                balance: change.balance,
                reward: change.reward,
            },
        )?;
    }
    RATE_SEQ.save(storage, &seq)?;
    Ok(events)
}

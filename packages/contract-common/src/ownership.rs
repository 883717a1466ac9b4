//! Two-step ownership: the owner proposes (`TransferOwnership`), the proposed address accepts
//! (`AcceptOwnership`); until then the owner may withdraw the proposal
//! (`CancelOwnershipTransfer`). Both contracts keep the owner under the `owner` item and the
//! proposal under `pending_owner`.
//!
//! Addresses arrive validated: each contract validates `new_owner` at its boundary with its own
//! address error.

use cosmwasm_std::{Addr, Response, StdError, Storage};
use cw_storage_plus::Item;
use thiserror::Error;

/// The owner: may change parameters and propose a new owner.
pub const OWNER: Item<Addr> = Item::new("owner");
/// The proposed owner, until it accepts or the owner cancels.
pub const PENDING_OWNER: Item<Addr> = Item::new("pending_owner");

/// Refused ownership calls, the same in both contracts.
#[derive(Error, Debug, PartialEq)]
pub enum OwnershipError {
    #[error(transparent)]
    Std(#[from] StdError),

    #[error("{sender} is not the owner")]
    NotOwner { sender: Addr },

    #[error("{sender} is not the pending owner")]
    NotPendingOwner { sender: Addr },

    #[error("no ownership transfer is pending")]
    NoPendingOwner,
}

/// Fails with `NotOwner { sender }` unless `sender` is the owner.
pub fn ensure_owner(storage: &dyn Storage, sender: &Addr) -> Result<(), OwnershipError> {
    if OWNER.load(storage)? != *sender {
        return Err(OwnershipError::NotOwner {
            sender: sender.clone(),
        });
    }
    Ok(())
}

/// Whether `sender` is the owner (for checks that accept the owner among other roles).
pub fn is_owner(storage: &dyn Storage, sender: &Addr) -> Result<bool, StdError> {
    Ok(OWNER.load(storage)? == *sender)
}

/// The owner and the pending owner, for config queries.
pub fn owners(storage: &dyn Storage) -> Result<(Addr, Option<Addr>), StdError> {
    Ok((OWNER.load(storage)?, PENDING_OWNER.may_load(storage)?))
}

/// Sets the first owner (instantiation).
pub fn initialize_owner(storage: &mut dyn Storage, owner: &Addr) -> Result<(), StdError> {
    OWNER.save(storage, owner)
}

/// Owner only: proposes the address `validate_new_owner` answers, replacing any earlier
/// proposal. The owner is checked first, so another sender learns nothing about the address.
pub fn transfer_ownership<E>(
    storage: &mut dyn Storage,
    sender: &Addr,
    validate_new_owner: impl FnOnce() -> Result<Addr, E>,
) -> Result<Response, E>
where
    E: From<OwnershipError>,
{
    ensure_owner(storage, sender)?;
    let new_owner = validate_new_owner()?;
    PENDING_OWNER
        .save(storage, &new_owner)
        .map_err(OwnershipError::from)?;
    Ok(Response::new()
        .add_attribute("action", "transfer_ownership")
        .add_attribute("owner", sender.as_str())
        .add_attribute("pending_owner", new_owner))
}

/// Pending owner only: becomes the owner.
pub fn accept_ownership(
    storage: &mut dyn Storage,
    sender: &Addr,
) -> Result<Response, OwnershipError> {
    let pending = PENDING_OWNER
        .may_load(storage)?
        .ok_or(OwnershipError::NoPendingOwner)?;
    if *sender != pending {
        return Err(OwnershipError::NotPendingOwner {
            sender: sender.clone(),
        });
    }
    let previous = OWNER.load(storage)?;
    OWNER.save(storage, &pending)?;
    PENDING_OWNER.remove(storage);
    Ok(Response::new()
        .add_attribute("action", "accept_ownership")
        .add_attribute("previous_owner", previous)
        .add_attribute("owner", pending))
}

/// Owner only: withdraws the pending proposal.
pub fn cancel_ownership_transfer(
    storage: &mut dyn Storage,
    sender: &Addr,
) -> Result<Response, OwnershipError> {
    ensure_owner(storage, sender)?;
    if !PENDING_OWNER.exists(storage) {
        return Err(OwnershipError::NoPendingOwner);
    }
    PENDING_OWNER.remove(storage);
    Ok(Response::new().add_attribute("action", "cancel_ownership_transfer"))
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::MockStorage;

    use super::*;

    fn addr(name: &str) -> Addr {
        Addr::unchecked(name)
    }

    fn attrs(res: &Response) -> Vec<(&str, &str)> {
        res.attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect()
    }

    fn setup() -> MockStorage {
        let mut storage = MockStorage::new();
        initialize_owner(&mut storage, &addr("alice")).unwrap();
        storage
    }

    #[test]
    fn owner_check_names_the_sender() {
        let storage = setup();
        assert_eq!(ensure_owner(&storage, &addr("alice")), Ok(()));
        assert_eq!(
            ensure_owner(&storage, &addr("bob")),
            Err(OwnershipError::NotOwner {
                sender: addr("bob")
            })
        );
        assert!(is_owner(&storage, &addr("alice")).unwrap());
        assert!(!is_owner(&storage, &addr("bob")).unwrap());
    }

    #[test]
    fn missing_owner_is_a_storage_error() {
        let storage = MockStorage::new();
        assert!(matches!(
            ensure_owner(&storage, &addr("alice")),
            Err(OwnershipError::Std(_))
        ));
    }

    #[test]
    fn two_step_transfer() {
        let mut storage = setup();
        assert_eq!(
            transfer_ownership(&mut storage, &addr("bob"), || Ok::<_, OwnershipError>(
                addr("bob")
            ))
            .unwrap_err(),
            OwnershipError::NotOwner {
                sender: addr("bob")
            }
        );
        assert_eq!(PENDING_OWNER.may_load(&storage).unwrap(), None);
        let res = transfer_ownership(&mut storage, &addr("alice"), || {
            Ok::<_, OwnershipError>(addr("bob"))
        })
        .unwrap();
        assert_eq!(
            attrs(&res),
            vec![
                ("action", "transfer_ownership"),
                ("owner", "alice"),
                ("pending_owner", "bob")
            ]
        );
        assert_eq!(
            owners(&storage).unwrap(),
            (addr("alice"), Some(addr("bob")))
        );
        assert_eq!(
            accept_ownership(&mut storage, &addr("carol")).unwrap_err(),
            OwnershipError::NotPendingOwner {
                sender: addr("carol")
            }
        );
        let res = accept_ownership(&mut storage, &addr("bob")).unwrap();
        assert_eq!(
            attrs(&res),
            vec![
                ("action", "accept_ownership"),
                ("previous_owner", "alice"),
                ("owner", "bob")
            ]
        );
        assert_eq!(owners(&storage).unwrap(), (addr("bob"), None));
        assert_eq!(
            accept_ownership(&mut storage, &addr("bob")).unwrap_err(),
            OwnershipError::NoPendingOwner
        );
    }

    #[test]
    fn the_owner_is_checked_before_the_new_address() {
        let mut storage = setup();
        let refuse = || Err(OwnershipError::NoPendingOwner);
        assert_eq!(
            transfer_ownership(&mut storage, &addr("bob"), refuse).unwrap_err(),
            OwnershipError::NotOwner {
                sender: addr("bob")
            }
        );
        // The owner gets the validator's error, and nothing is proposed.
        assert_eq!(
            transfer_ownership(&mut storage, &addr("alice"), refuse).unwrap_err(),
            OwnershipError::NoPendingOwner
        );
        assert_eq!(owners(&storage).unwrap(), (addr("alice"), None));
    }

    #[test]
    fn cancel_needs_owner_and_a_proposal() {
        let mut storage = setup();
        assert_eq!(
            cancel_ownership_transfer(&mut storage, &addr("alice")).unwrap_err(),
            OwnershipError::NoPendingOwner
        );
        transfer_ownership(&mut storage, &addr("alice"), || {
            Ok::<_, OwnershipError>(addr("bob"))
        })
        .unwrap();
        assert_eq!(
            cancel_ownership_transfer(&mut storage, &addr("bob")).unwrap_err(),
            OwnershipError::NotOwner {
                sender: addr("bob")
            }
        );
        let res = cancel_ownership_transfer(&mut storage, &addr("alice")).unwrap();
        assert_eq!(attrs(&res), vec![("action", "cancel_ownership_transfer")]);
        assert_eq!(owners(&storage).unwrap(), (addr("alice"), None));
        assert_eq!(
            accept_ownership(&mut storage, &addr("bob")).unwrap_err(),
            OwnershipError::NoPendingOwner
        );
    }
}

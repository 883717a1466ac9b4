//! Two-step ownership: the owner proposes (`TransferOwnership`), the proposed address accepts
//! (`AcceptOwnership`); until then the owner may withdraw the proposal
//! (`CancelOwnershipTransfer`). Both contracts keep the owner under the `owner` item and the
//! proposal under `pending_owner`.
//!
//! Both contracts route the three messages here the same way, so a refusal reads the same in
//! either: [`transfer_ownership`] takes `new_owner` as sent and validates it itself, refusing a
//! malformed or un-normalized address with [`OwnershipError::InvalidNewOwner`].

use cosmwasm_std::{Addr, Api, Response, StdError, Storage};
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

    /// `new_owner` of a `TransferOwnership` is not a valid, normalized address.
    #[error("invalid new owner address {address}")]
    InvalidNewOwner { address: String },
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

/// Owner only: proposes `new_owner`, replacing any earlier proposal. The owner is checked
/// first (`NotOwner`), so another sender learns nothing about the address; then `new_owner` must
/// be a valid, normalized address (`api.addr_validate`), else `InvalidNewOwner { address }`.
pub fn transfer_ownership(
    storage: &mut dyn Storage,
    api: &dyn Api,
    sender: &Addr,
    new_owner: &str,
) -> Result<Response, OwnershipError> {
    ensure_owner(storage, sender)?;
    let new_owner = api
        .addr_validate(new_owner)
        .map_err(|_| OwnershipError::InvalidNewOwner {
            address: new_owner.to_string(),
        })?;
    PENDING_OWNER.save(storage, &new_owner)?;
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
    use cosmwasm_std::testing::{MockApi, MockStorage};

    use super::*;

    /// A valid address of the mock API (bech32 `cosmwasm1...`).
    fn addr(name: &str) -> Addr {
        MockApi::default().addr_make(name)
    }

    fn attrs(res: &Response) -> Vec<(&str, &str)> {
        res.attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect()
    }

    fn setup() -> (MockStorage, MockApi) {
        let mut storage = MockStorage::new();
        initialize_owner(&mut storage, &addr("alice")).unwrap();
        (storage, MockApi::default())
    }

    #[test]
    fn owner_check_names_the_sender() {
        let (storage, _) = setup();
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
        let (mut storage, api) = setup();
        let (alice, bob, carol) = (addr("alice"), addr("bob"), addr("carol"));
        assert_eq!(
            transfer_ownership(&mut storage, &api, &bob, bob.as_str()).unwrap_err(),
            OwnershipError::NotOwner {
                sender: bob.clone()
            }
        );
        assert_eq!(PENDING_OWNER.may_load(&storage).unwrap(), None);
        let res = transfer_ownership(&mut storage, &api, &alice, bob.as_str()).unwrap();
        assert_eq!(
            attrs(&res),
            vec![
                ("action", "transfer_ownership"),
                ("owner", alice.as_str()),
                ("pending_owner", bob.as_str())
            ]
        );
        assert_eq!(
            owners(&storage).unwrap(),
            (alice.clone(), Some(bob.clone()))
        );
        assert_eq!(
            accept_ownership(&mut storage, &carol).unwrap_err(),
            OwnershipError::NotPendingOwner {
                sender: carol.clone()
            }
        );
        let res = accept_ownership(&mut storage, &bob).unwrap();
        assert_eq!(
            attrs(&res),
            vec![
                ("action", "accept_ownership"),
                ("previous_owner", alice.as_str()),
                ("owner", bob.as_str())
            ]
        );
        assert_eq!(owners(&storage).unwrap(), (bob.clone(), None));
        assert_eq!(
            accept_ownership(&mut storage, &bob).unwrap_err(),
            OwnershipError::NoPendingOwner
        );
    }

    #[test]
    fn a_new_proposal_replaces_the_pending_one() {
        let (mut storage, api) = setup();
        let alice = addr("alice");
        transfer_ownership(&mut storage, &api, &alice, addr("bob").as_str()).unwrap();
        transfer_ownership(&mut storage, &api, &alice, addr("carol").as_str()).unwrap();
        assert_eq!(owners(&storage).unwrap(), (alice, Some(addr("carol"))));
        assert_eq!(
            accept_ownership(&mut storage, &addr("bob")).unwrap_err(),
            OwnershipError::NotPendingOwner {
                sender: addr("bob")
            }
        );
    }

    #[test]
    fn the_new_owner_must_be_a_valid_normalized_address() {
        let (mut storage, api) = setup();
        let alice = addr("alice");
        let upper = addr("bob").as_str().to_uppercase();
        for bad in ["not an address", "", upper.as_str()] {
            assert_eq!(
                transfer_ownership(&mut storage, &api, &alice, bad).unwrap_err(),
                OwnershipError::InvalidNewOwner {
                    address: bad.to_string()
                },
                "{bad:?}"
            );
        }
        assert_eq!(
            OwnershipError::InvalidNewOwner {
                address: "not an address".to_string()
            }
            .to_string(),
            "invalid new owner address not an address"
        );
        // Nothing is proposed, and an earlier proposal survives a refused one.
        assert_eq!(owners(&storage).unwrap(), (alice.clone(), None));
        transfer_ownership(&mut storage, &api, &alice, addr("bob").as_str()).unwrap();
        transfer_ownership(&mut storage, &api, &alice, "not an address").unwrap_err();
        assert_eq!(owners(&storage).unwrap(), (alice, Some(addr("bob"))));
    }

    #[test]
    fn the_owner_is_checked_before_the_new_address() {
        let (mut storage, api) = setup();
        // Another sender gets `NotOwner` whatever the address, valid or not.
        let carol = addr("carol");
        for new_owner in ["not an address", carol.as_str()] {
            assert_eq!(
                transfer_ownership(&mut storage, &api, &addr("bob"), new_owner).unwrap_err(),
                OwnershipError::NotOwner {
                    sender: addr("bob")
                }
            );
        }
        assert_eq!(owners(&storage).unwrap(), (addr("alice"), None));
    }

    #[test]
    fn cancel_needs_owner_and_a_proposal() {
        let (mut storage, api) = setup();
        let (alice, bob) = (addr("alice"), addr("bob"));
        assert_eq!(
            cancel_ownership_transfer(&mut storage, &alice).unwrap_err(),
            OwnershipError::NoPendingOwner
        );
        transfer_ownership(&mut storage, &api, &alice, bob.as_str()).unwrap();
        assert_eq!(
            cancel_ownership_transfer(&mut storage, &bob).unwrap_err(),
            OwnershipError::NotOwner {
                sender: bob.clone()
            }
        );
        let res = cancel_ownership_transfer(&mut storage, &alice).unwrap();
        assert_eq!(attrs(&res), vec![("action", "cancel_ownership_transfer")]);
        assert_eq!(owners(&storage).unwrap(), (alice, None));
        assert_eq!(
            accept_ownership(&mut storage, &bob).unwrap_err(),
            OwnershipError::NoPendingOwner
        );
    }
}

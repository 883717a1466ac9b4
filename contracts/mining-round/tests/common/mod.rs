//! Test suite over cw-multi-test with a real cw20-base ECT and real ed25519 keys. A merkle-mode
//! suite checks the funds invariant (`Suite::assert_merkle_invariants`) after every execution it
//! makes, successful or not.
#![allow(dead_code)]

use cosmwasm_std::{from_json, to_json_binary, Addr, Binary, HexBinary, Uint128};
use cube_merkle::{depth_for, leaves_digest, Leaf, LeafContext, Proof, RootAttestation, Tree};
use cube_scoring::{batch_hash, certificate_message, possession_message};
use cube_types::mining_round::*;
use cw20::{BalanceResponse, Cw20Coin, Cw20ExecuteMsg, Cw20QueryMsg};
use cw_multi_test::{App, AppResponse, ContractWrapper, Executor};
use ed25519_dalek::{Signer, SigningKey};
use mining_round::{ContractError, OwnershipError};
use rand::rngs::OsRng;

pub type Res = anyhow::Result<AppResponse>;

pub const DAY: u64 = 86_400;
pub const ATTESTATION_WINDOW: u64 = 3_600;
pub const CLAIM_WINDOW: u64 = 7 * DAY;
pub const ROUND_REWARD: u128 = 1_000_000;
/// Genesis is this far after the instantiation block.
pub const GENESIS_DELAY: u64 = 3_600;

/// The exact contract error of a failed execution.
/// What a call by someone other than the owner fails with.
pub fn not_owner(sender: &Addr) -> ContractError {
    ContractError::Ownership(OwnershipError::NotOwner {
        sender: sender.clone(),
    })
}

pub fn err(res: Res) -> ContractError {
    res.expect_err("expected an error")
        .downcast::<ContractError>()
        .expect("a ContractError")
}

pub struct Device {
    pub key: SigningKey,
    pub model: DeviceModel,
    pub serial: String,
}

impl Device {
    pub fn new(model: DeviceModel, serial: &str) -> Self {
        Device {
            key: SigningKey::generate(&mut OsRng),
            model,
            serial: serial.to_string(),
        }
    }
    pub fn pubkey(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }
}

pub struct SuiteBuilder {
    pub oracles: u32,
    pub quorum: u32,
    pub round_reward: u128,
    pub max_entries_per_batch: Option<u32>,
    pub max_claim_rounds: Option<u32>,
    pub initial_funding: u128,
    /// `None`: the contract's default (direct).
    pub attestation_mode: Option<AttestationMode>,
    /// `None`: the contract's default (`DEFAULT_CHALLENGE_WINDOW`, six hours).
    pub challenge_window: Option<u64>,
    /// `None`: the contract's default (`DEFAULT_DISPUTE_BOND_BPS`, 1 %).
    pub dispute_bond_bps: Option<u32>,
}

impl Default for SuiteBuilder {
    fn default() -> Self {
        SuiteBuilder {
            oracles: 3,
            quorum: 2,
            round_reward: ROUND_REWARD,
            max_entries_per_batch: None,
            max_claim_rounds: None,
            initial_funding: 10 * ROUND_REWARD,
            attestation_mode: None,
            challenge_window: None,
            dispute_bond_bps: None,
        }
    }
}

pub struct Suite {
    pub app: App,
    pub owner: Addr,
    pub funder: Addr,
    pub oracles: Vec<Addr>,
    pub token: Addr,
    pub contract: Addr,
    pub code_id: u64,
    pub manufacturer: SigningKey,
    pub genesis: u64,
    /// Everyone a `claim_cumulative` may have paid (the owners and their payout splits): the
    /// ECT they hold is what merkle claims paid (`assert_merkle_invariants`).
    pub payees: Vec<Addr>,
    /// Everyone given ECT by the funder (disputers posting bonds): never a payee, so bonds paid
    /// and returned never count as claims.
    pub holders: Vec<Addr>,
    /// Merkle mode: every execution is followed by `assert_merkle_invariants`.
    pub merkle: bool,
}

impl SuiteBuilder {
    pub fn oracles(mut self, n: u32, quorum: u32) -> Self {
        self.oracles = n;
        self.quorum = quorum;
        self
    }
    pub fn round_reward(mut self, r: u128) -> Self {
        self.round_reward = r;
        self
    }
    pub fn funding(mut self, f: u128) -> Self {
        self.initial_funding = f;
        self
    }
    pub fn max_entries(mut self, n: u32) -> Self {
        self.max_entries_per_batch = Some(n);
        self
    }
    pub fn max_claim_rounds(mut self, n: u32) -> Self {
        self.max_claim_rounds = Some(n);
        self
    }
    /// Merkle attestation mode (roots of cumulative entitlements instead of usage batches).
    pub fn merkle(mut self) -> Self {
        self.attestation_mode = Some(AttestationMode::Merkle);
        self
    }
    /// The `attestation_mode` of the `InstantiateMsg` as given (`None`: the default).
    pub fn attestation_mode(mut self, mode: Option<AttestationMode>) -> Self {
        self.attestation_mode = mode;
        self
    }
    /// Seconds an accepted root stays pending (0: final at acceptance).
    pub fn challenge_window(mut self, secs: u64) -> Self {
        self.challenge_window = Some(secs);
        self
    }
    /// Bond of a dispute by a non-oracle, basis points of the round's reward.
    pub fn dispute_bond_bps(mut self, bps: u32) -> Self {
        self.dispute_bond_bps = Some(bps);
        self
    }

    pub fn build(self) -> Suite {
        let mut app = App::default();
        let owner = app.api().addr_make("owner");
        let funder = app.api().addr_make("funder");
        let oracles: Vec<Addr> = (0..self.oracles)
            .map(|i| app.api().addr_make(&format!("oracle{i}")))
            .collect();
        let cw20_code = app.store_code(Box::new(ContractWrapper::new(
            cw20_base::contract::execute,
            cw20_base::contract::instantiate,
            cw20_base::contract::query,
        )));
        let token = app
            .instantiate_contract(
                cw20_code,
                owner.clone(),
                &cw20_base::msg::InstantiateMsg {
                    name: "Energy Cube Token".into(),
                    symbol: "ECT".into(),
                    decimals: 6,
                    initial_balances: vec![Cw20Coin {
                        address: funder.to_string(),
                        amount: Uint128::new(1_000_000_000_000),
                    }],
                    mint: None,
                    marketing: None,
                },
                &[],
                "ect",
                None,
            )
            .unwrap();
        let code_id = app.store_code(Box::new(
            ContractWrapper::new(
                mining_round::contract::execute,
                mining_round::contract::instantiate,
                mining_round::contract::query,
            )
            .with_migrate(mining_round::contract::migrate),
        ));
        let manufacturer = SigningKey::generate(&mut OsRng);
        // Genesis one hour ahead: registrations made while setting up a test take effect from
        // round 0 (a registration made during round r takes effect from round r + 1).
        let genesis = app.block_info().time.seconds() + GENESIS_DELAY;
        let contract = app
            .instantiate_contract(
                code_id,
                owner.clone(),
                &InstantiateMsg {
                    owner: None,
                    reward_token: token.to_string(),
                    round_reward: Uint128::new(self.round_reward),
                    genesis_time: Some(genesis),
                    round_duration: Some(DAY),
                    attestation_window: Some(ATTESTATION_WINDOW),
                    claim_window: Some(CLAIM_WINDOW),
                    oracles: oracles.iter().map(|o| o.to_string()).collect(),
                    quorum: self.quorum,
                    manufacturer_keys: vec![Binary::from(
                        manufacturer.verifying_key().to_bytes().to_vec(),
                    )],
                    battery_whitelist: vec!["BAT-1".into()],
                    policy: None,
                    rated_power: None,
                    max_entries_per_batch: self.max_entries_per_batch,
                    max_claim_rounds: self.max_claim_rounds,
                    guardian: None,
                    attestation_mode: self.attestation_mode,
                    challenge_window: self.challenge_window,
                    dispute_bond_bps: self.dispute_bond_bps,
                },
                &[],
                "mining-round",
                Some(owner.to_string()),
            )
            .unwrap();
        let mut suite = Suite {
            app,
            owner,
            funder,
            oracles,
            token,
            contract,
            code_id,
            manufacturer,
            genesis,
            payees: vec![],
            holders: vec![],
            merkle: self.attestation_mode == Some(AttestationMode::Merkle),
        };
        if self.initial_funding > 0 {
            suite.fund(self.initial_funding).unwrap();
        }
        suite
    }
}

/// `RegisterDevice` of `device` certified by `manufacturer`, the device signing the bytes
/// `possession`.
fn signed_registration(
    device: &Device,
    manufacturer: &SigningKey,
    possession: &[u8],
) -> ExecuteMsg {
    let pk = device.pubkey();
    let cert = manufacturer.sign(&certificate_message(&pk, device.model, &device.serial));
    ExecuteMsg::RegisterDevice {
        pubkey: Binary::from(pk.to_vec()),
        model: device.model,
        serial: device.serial.clone(),
        timezone: "Europe/Berlin".into(),
        certificate: Binary::from(cert.to_bytes().to_vec()),
        possession_signature: Binary::from(device.key.sign(possession).to_bytes().to_vec()),
    }
}

impl Suite {
    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn chain_id(&self) -> String {
        self.app.block_info().chain_id
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    pub fn advance_time(&mut self, secs: u64) {
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(secs);
            b.height += 1;
        });
    }

    /// Moves the clock to `offset` seconds after the end of `round`.
    pub fn set_after_round_end(&mut self, round: u64, offset: u64) {
        let t = self.genesis + (round + 1) * DAY + offset;
        self.app.update_block(|b| {
            b.time = cosmwasm_std::Timestamp::from_seconds(t);
            b.height += 1;
        });
    }

    /// `res`, after checking the funds invariant in a merkle-mode suite (whether the execution
    /// succeeded or not: a failed one must have changed nothing).
    fn checked(&self, res: Res) -> Res {
        if self.merkle {
            self.assert_merkle_invariants();
        }
        res
    }

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> Res {
        let res = self
            .app
            .execute_contract(sender.clone(), self.contract.clone(), msg, &[]);
        self.checked(res)
    }

    /// A CW20 `Send` of `amount` ECT from `sender` to the contract carrying `msg`.
    pub fn send_ect(&mut self, sender: &Addr, amount: u128, msg: &ReceiveMsg) -> Res {
        let res = self.app.execute_contract(
            sender.clone(),
            self.token.clone(),
            &Cw20ExecuteMsg::Send {
                contract: self.contract.to_string(),
                amount: Uint128::new(amount),
                msg: to_json_binary(msg).unwrap(),
            },
            &[],
        );
        self.checked(res)
    }

    pub fn fund(&mut self, amount: u128) -> Res {
        let funder = self.funder.clone();
        self.send_ect(&funder, amount, &ReceiveMsg::Fund {})
    }

    /// The funder transfers `amount` ECT to `who` (a holder: never a merkle payee).
    pub fn give_ect(&mut self, who: &Addr, amount: u128) {
        assert!(
            !self.payees.contains(who),
            "{who} received merkle claims: its ECT must stay what claims paid"
        );
        if !self.holders.contains(who) {
            self.holders.push(who.clone());
        }
        let funder = self.funder.clone();
        let res = self.app.execute_contract(
            funder,
            self.token.clone(),
            &Cw20ExecuteMsg::Transfer {
                recipient: who.to_string(),
                amount: Uint128::new(amount),
            },
            &[],
        );
        self.checked(res).unwrap();
    }

    /// A correctly signed registration of `device` for `owner`.
    pub fn registration(&self, owner: &Addr, device: &Device) -> ExecuteMsg {
        self.registration_with(
            owner,
            device,
            &self.manufacturer,
            &self.chain_id(),
            self.contract.as_str(),
        )
    }

    pub fn registration_with(
        &self,
        owner: &Addr,
        device: &Device,
        manufacturer: &SigningKey,
        chain_id: &str,
        contract: &str,
    ) -> ExecuteMsg {
        let possession = possession_message(
            chain_id,
            contract,
            owner.as_str(),
            &device.pubkey(),
            &self.challenge(device),
        );
        signed_registration(device, manufacturer, &possession)
    }

    /// The device's registration nonce on chain (0 when never registered).
    pub fn nonce(&self, device: &Device) -> u64 {
        self.registration_state(device).nonce
    }

    /// The device's `RegistrationNonce` (nonce and registration challenge).
    pub fn registration_state(&self, device: &Device) -> RegistrationNonceResponse {
        self.query(&QueryMsg::RegistrationNonce {
            pubkey: Binary::from(device.pubkey().to_vec()),
        })
    }

    /// The registration challenge the device's next possession signature must sign (32 zero
    /// bytes when never registered).
    pub fn challenge(&self, device: &Device) -> [u8; 32] {
        self.registration_state(device)
            .challenge
            .as_slice()
            .try_into()
            .expect("a 32-byte challenge")
    }

    /// A registration of `device` (certified by the suite's manufacturer), its possession
    /// signature made by the device over the arbitrary bytes `possession` (the genuine message
    /// is `possession_message(chain, contract, owner, pubkey, challenge)`).
    pub fn registration_signing(&self, device: &Device, possession: &[u8]) -> ExecuteMsg {
        signed_registration(device, &self.manufacturer, possession)
    }

    pub fn register(&mut self, owner: &Addr, device: &Device) -> Res {
        let msg = self.registration(owner, device);
        self.exec(owner, &msg)
    }

    /// Registers fresh devices of the given models for `owner`.
    pub fn give_devices(&mut self, owner: &Addr, models: &[DeviceModel]) -> Vec<Device> {
        models
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let tail = &owner.as_str()[owner.as_str().len() - 8..];
                let d = Device::new(*m, &format!("SN-{tail}-{i}"));
                self.register(owner, &d).unwrap();
                d
            })
            .collect()
    }

    pub fn submit(
        &mut self,
        oracle: usize,
        round: u64,
        batch_index: u32,
        batch_count: u32,
        policy_version: u32,
        entries: &[UsageEntry],
    ) -> Res {
        let sender = self.oracles[oracle].clone();
        self.exec(
            &sender,
            &ExecuteMsg::SubmitUsage {
                round,
                batch_index,
                batch_count,
                policy_version,
                entries: entries.to_vec(),
            },
        )
    }

    pub fn vote(
        &mut self,
        oracle: usize,
        round: u64,
        batch_index: u32,
        batch_count: u32,
        policy_version: u32,
        hash: [u8; 32],
    ) -> Res {
        let sender = self.oracles[oracle].clone();
        self.exec(
            &sender,
            &ExecuteMsg::VoteBatch {
                round,
                batch_index,
                batch_count,
                policy_version,
                batch_hash: HexBinary::from(hash),
            },
        )
    }

    /// Submits with oracle 0 and votes the hash with the following oracles up to quorum.
    pub fn attest(
        &mut self,
        round: u64,
        batch_index: u32,
        batch_count: u32,
        entries: &[UsageEntry],
    ) {
        let version = self.round(round).summary.policy_version;
        let quorum = self.query_oracles().quorum;
        self.submit(0, round, batch_index, batch_count, version, entries)
            .unwrap();
        let hash = batch_hash(round, batch_index, batch_count, version, entries).unwrap();
        for i in 1..usize::try_from(quorum).unwrap() {
            self.vote(i, round, batch_index, batch_count, version, hash)
                .unwrap();
        }
    }

    /// The `Funds` answer expected for `unlocked`, `locked` and `reserved` with no dispute bond
    /// held (withdrawable derived as the contract documents it).
    pub fn funds_of(unlocked: u128, locked: u128, reserved: u128) -> FundsResponse {
        Self::funds_bonded(unlocked, locked, reserved, 0)
    }

    /// `funds_of` with `bonded` ECT of dispute bonds held.
    pub fn funds_bonded(
        unlocked: u128,
        locked: u128,
        reserved: u128,
        bonded: u128,
    ) -> FundsResponse {
        FundsResponse {
            unlocked: Uint128::new(unlocked),
            locked: Uint128::new(locked),
            reserved: Uint128::new(reserved),
            withdrawable: Uint128::new(unlocked.saturating_sub(reserved)),
            bonded: Uint128::new(bonded),
        }
    }

    pub fn claim(&mut self, owner: &Addr, rounds: Option<Vec<u64>>) -> Res {
        self.exec(owner, &ExecuteMsg::Claim { rounds })
    }

    pub fn sweep(&mut self, limit: Option<u32>) -> Res {
        let anyone = self.addr("anyone");
        self.exec(&anyone, &ExecuteMsg::SweepExpired { limit })
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(self.contract.clone(), msg)
            .unwrap()
    }

    pub fn round(&self, round: u64) -> RoundResponse {
        self.query(&QueryMsg::Round { round })
    }

    pub fn batch(&self, round: u64, batch_index: u32) -> BatchResponse {
        self.query(&QueryMsg::Batch { round, batch_index })
    }

    pub fn batch_evidence(
        &self,
        round: u64,
        batch_index: u32,
        start_after: Option<HexBinary>,
        limit: Option<u32>,
    ) -> BatchEvidenceResponse {
        self.query(&QueryMsg::BatchEvidence {
            round,
            batch_index,
            start_after,
            limit,
        })
    }

    pub fn score(&self, round: u64, owner: &Addr) -> ScoreResponse {
        self.query(&QueryMsg::Score {
            round,
            owner: owner.to_string(),
        })
    }

    pub fn funds(&self) -> FundsResponse {
        self.query(&QueryMsg::Funds {})
    }

    pub fn query_oracles(&self) -> OraclesResponse {
        self.query(&QueryMsg::Oracles {})
    }

    pub fn claimable(&self, owner: &Addr) -> ClaimableResponse {
        self.query(&QueryMsg::Claimable {
            owner: owner.to_string(),
            start_after: None,
            limit: None,
        })
    }

    pub fn owner_devices(&self, owner: &Addr) -> OwnerDevicesResponse {
        self.query(&QueryMsg::DevicesByOwner {
            owner: owner.to_string(),
            start_after: None,
            limit: None,
        })
    }

    /// ECT balance read from the token contract.
    pub fn balance(&self, addr: &Addr) -> u128 {
        let r: BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                self.token.clone(),
                &Cw20QueryMsg::Balance {
                    address: addr.to_string(),
                },
            )
            .unwrap();
        r.balance.u128()
    }

    pub fn assert_claimable(&self, owner: &Addr, total: u128) {
        assert_eq!(
            self.claimable(owner).total.u128(),
            total,
            "claimable of {owner}"
        );
    }
}

impl Suite {
    /// Where the leaves of `round` belong: this chain and this contract.
    pub fn leaf_context(&self, round: u64) -> LeafContext {
        LeafContext {
            chain_id: self.chain_id(),
            contract: self.contract.to_string(),
            round,
        }
    }

    /// The attestation hash the contract identifies `att` with.
    pub fn attestation_hash(&self, att: &RootAttestation) -> HexBinary {
        HexBinary::from(att.hash(&self.chain_id(), self.contract.as_str()).unwrap())
    }

    /// Oracle `oracle` (index into `oracles`) votes `att`.
    pub fn attest_root(&mut self, oracle: usize, att: &RootAttestation) -> Res {
        let sender = self.oracles[oracle].clone();
        self.exec(&sender, &ExecuteMsg::attest_root(att))
    }

    /// Oracles 0, 1, … up to the quorum vote `att`; the last vote accepts it. The root is then
    /// pending (`PendingRoot`) until its challenge window is over, and not yet claimable;
    /// with a challenge window of 0 it is final at once (`MerkleRoot`).
    pub fn publish_root(&mut self, att: &RootAttestation) {
        let quorum = usize::try_from(self.query_oracles().quorum).unwrap();
        for oracle in 0..quorum {
            self.attest_root(oracle, att).unwrap();
        }
        let hash = self.attestation_hash(att);
        let window = config(self).challenge_window;
        if window == 0 {
            assert_eq!(self.pending_root(), None);
            let accepted = self
                .merkle_root(Some(att.round))
                .expect("final at acceptance");
            assert_eq!(accepted.attestation_hash, hash);
        } else {
            let pending = self.pending_root().expect("the root is pending");
            assert_eq!(pending.root.attestation_hash, hash);
            assert_eq!(pending.root.accepted_at, self.now());
            assert_eq!(pending.finalizes_at, self.now() + window);
            assert!(!pending.finalizable);
            assert_eq!(self.merkle_root(Some(att.round)), None);
        }
    }

    /// Moves the clock to the end of the pending root's challenge window (unless already past)
    /// and anyone sends `FinalizeRoot`: the root is final, nothing is pending.
    pub fn finalize(&mut self) -> AppResponse {
        let pending = self.pending_root().expect("a pending root");
        if self.now() < pending.finalizes_at {
            self.set_time(pending.finalizes_at);
        }
        assert!(self.pending_root().expect("still pending").finalizable);
        let anyone = self.addr("anyone");
        let res = self.exec(&anyone, &ExecuteMsg::FinalizeRoot {}).unwrap();
        assert_eq!(self.pending_root(), None);
        let root = pending.root;
        assert_eq!(self.merkle_root(Some(root.round)), Some(root.clone()));
        assert_eq!(self.merkle_root(None), Some(root));
        res
    }

    /// `publish_root` and, unless final at acceptance, `finalize`: `att` is the latest final
    /// root, claimable. Returns its `MerkleRoot` view.
    pub fn publish_final_root(&mut self, att: &RootAttestation) -> RootView {
        self.publish_root(att);
        if self.pending_root().is_some() {
            self.finalize();
        }
        let root = self.merkle_root(Some(att.round)).expect("a final root");
        assert_eq!(root.attestation_hash, self.attestation_hash(att));
        assert_eq!(self.merkle_root(None), Some(root.clone()));
        root
    }

    /// Sets the block time to `t` (never backwards).
    pub fn set_time(&mut self, t: u64) {
        assert!(t >= self.now(), "time goes forward");
        self.app.update_block(|b| {
            b.time = cosmwasm_std::Timestamp::from_seconds(t);
            b.height += 1;
        });
    }

    /// The root accepted and waiting for the end of its challenge window, if any.
    pub fn pending_root(&self) -> Option<PendingRootView> {
        let r: PendingRootResponse = self.query(&QueryMsg::PendingRoot {});
        r.pending
    }

    /// Oracle `oracle` (index into `oracles`) disputes the pending root `attestation_hash` of
    /// `round` (its free dispute of the round), without a reason.
    pub fn dispute_root(&mut self, oracle: usize, round: u64, attestation_hash: &HexBinary) -> Res {
        let sender = self.oracles[oracle].clone();
        self.exec(
            &sender,
            &ExecuteMsg::DisputeRoot {
                round,
                attestation_hash: attestation_hash.clone(),
                reason: None,
            },
        )
    }

    /// `who` disputes the pending root `attestation_hash` of `round` with a bond of `amount`
    /// ECT (CW20 `Send` with `ReceiveMsg::Dispute`, no reason). The funder first tops `who`
    /// up to `amount` when it holds less.
    pub fn dispute_with_bond(
        &mut self,
        who: &Addr,
        round: u64,
        attestation_hash: &HexBinary,
        amount: u128,
    ) -> Res {
        self.dispute_with_bond_reason(who, round, attestation_hash, amount, None)
    }

    /// `dispute_with_bond` with a reason.
    pub fn dispute_with_bond_reason(
        &mut self,
        who: &Addr,
        round: u64,
        attestation_hash: &HexBinary,
        amount: u128,
        reason: Option<String>,
    ) -> Res {
        let held = self.balance(who);
        if held < amount {
            self.give_ect(who, amount - held);
        } else if !self.holders.contains(who) {
            assert!(!self.payees.contains(who), "{who} is a merkle payee");
            self.holders.push(who.clone());
        }
        self.send_ect(
            who,
            amount,
            &ReceiveMsg::Dispute {
                round,
                attestation_hash: attestation_hash.clone(),
                reason,
            },
        )
    }

    /// The owner re-affirms the disputed root `attestation_hash` of `round`.
    pub fn reaffirm(&mut self, round: u64, attestation_hash: &HexBinary) -> Res {
        let owner = self.owner.clone();
        self.exec(
            &owner,
            &ExecuteMsg::ReaffirmRoot {
                round,
                attestation_hash: attestation_hash.clone(),
            },
        )
    }

    /// `sender` claims for the owners of `claims` (`ClaimMany`); read the outcome with
    /// `claim_many_result`.
    pub fn claim_many(&mut self, sender: &Addr, claims: Vec<OwnerClaim>) -> Res {
        for c in &claims {
            if let Ok(owner) = cosmwasm_std::Api::addr_validate(self.app.api(), &c.owner) {
                self.note_payees(&owner);
            }
        }
        self.exec(sender, &ExecuteMsg::ClaimMany { claims })
    }

    /// The dispute of the attestation `attestation_hash` of `round`, if any.
    pub fn dispute(&self, round: u64, attestation_hash: &HexBinary) -> Option<DisputeView> {
        let r: DisputeResponse = self.query(&QueryMsg::Dispute {
            round,
            attestation_hash: attestation_hash.clone(),
        });
        r.dispute
    }

    /// One page of `Disputes`.
    pub fn disputes_page(
        &self,
        start_after: Option<DisputeKey>,
        limit: Option<u32>,
    ) -> DisputesResponse {
        self.query(&QueryMsg::Disputes { start_after, limit })
    }

    /// Every dispute, all pages, ascending by (round, attestation hash).
    pub fn disputes(&self) -> Vec<DisputeView> {
        let mut out = vec![];
        let mut start_after = None;
        loop {
            let page = self.disputes_page(start_after, Some(MAX_DISPUTES_LIMIT));
            out.extend(page.disputes);
            match page.next {
                Some(next) => start_after = Some(next),
                None => return out,
            }
        }
    }

    /// Anyone accepts the attestation `attestation_hash` of `round`.
    pub fn accept_root(&mut self, round: u64, attestation_hash: &HexBinary) -> Res {
        let anyone = self.addr("anyone");
        self.exec(
            &anyone,
            &ExecuteMsg::AcceptRoot {
                round,
                attestation_hash: attestation_hash.clone(),
            },
        )
    }

    /// `owner` claims `leaf` at `index` of `round`'s tree with `proof`.
    pub fn claim_cumulative(
        &mut self,
        owner: &Addr,
        round: u64,
        index: u64,
        leaf: &Leaf,
        proof: &Proof,
    ) -> Res {
        self.claim_cumulative_bytes(owner, round, index, leaf, &proof.to_bytes())
    }

    /// `claim_cumulative` with raw proof bytes (of any length).
    pub fn claim_cumulative_bytes(
        &mut self,
        owner: &Addr,
        round: u64,
        index: u64,
        leaf: &Leaf,
        proof: &[u8],
    ) -> Res {
        self.note_payees(owner);
        self.exec(
            owner,
            &ExecuteMsg::claim_cumulative(round, index, leaf, proof),
        )
    }

    /// Records `owner` and its payout splits as possible recipients of merkle claims.
    fn note_payees(&mut self, owner: &Addr) {
        let profile: PayoutProfileResponse = self.query(&QueryMsg::PayoutProfile {
            owner: owner.to_string(),
        });
        let mut who = vec![owner.clone()];
        who.extend(
            profile
                .splits
                .into_iter()
                .map(|s| Addr::unchecked(s.address)),
        );
        for a in who {
            assert!(
                !self.holders.contains(&a),
                "{a} holds ECT from the funder: it cannot stand for what claims paid"
            );
            if !self.payees.contains(&a) {
                self.payees.push(a);
            }
        }
    }

    pub fn entitlements(&self) -> EntitlementsResponse {
        self.query(&QueryMsg::Entitlements {})
    }

    /// The cumulative entitlement paid to `owner` so far.
    pub fn claimed(&self, owner: &Addr) -> u128 {
        let r: ClaimedCumulativeResponse = self.query(&QueryMsg::ClaimedCumulative {
            owner: owner.to_string(),
        });
        assert_eq!(r.owner, owner.to_string());
        r.claimed.u128()
    }

    /// The accepted root of `round` (`None`: the latest).
    pub fn merkle_root(&self, round: Option<u64>) -> Option<RootView> {
        let r: MerkleRootResponse = self.query(&QueryMsg::MerkleRoot { round });
        r.root
    }

    pub fn root_votes(&self, round: u64) -> RootVotesResponse {
        self.query(&QueryMsg::RootVotes { round })
    }

    pub fn oracle_endpoints(&self) -> Vec<OracleEndpoint> {
        let r: OracleEndpointsResponse = self.query(&QueryMsg::OracleEndpoints {});
        r.endpoints
    }

    /// ECT still locked for direct rounds: Σ (reward − paid − swept) over the stored rounds.
    pub fn direct_locked(&self) -> u128 {
        let mut total = 0u128;
        let mut start_after = None;
        loop {
            let page: RoundsResponse = self.query(&QueryMsg::Rounds {
                start_after,
                limit: Some(100),
            });
            for r in &page.rounds {
                total += (r.reward - r.paid - r.swept).u128();
            }
            match page.next {
                Some(n) => start_after = Some(n),
                None => return total,
            }
        }
    }

    /// The books of both modes agree with each other and with the token:
    /// locked = Σ direct locked (0 in merkle mode) + (total_entitlement − total_paid) of the
    /// final roots (a pending root locks nothing); bonded = Σ bonds of the open disputes; the
    /// contract's ECT = unlocked + locked + bonded; the ECT held by the merkle payees = total
    /// paid, and no payee ever got ECT another way (the holders, i.e. disputers).
    pub fn assert_merkle_invariants(&self) {
        let funds = self.funds();
        let e = self.entitlements();
        let mode = config(self).attestation_mode;
        assert_eq!(e.mode, mode);
        let direct = self.direct_locked();
        let mut open_bonds = 0u128;
        if mode == AttestationMode::Merkle {
            assert_eq!(direct, 0, "no direct round locks anything in merkle mode");
            for d in self.disputes() {
                if d.outcome == DisputeOutcome::Open {
                    open_bonds += d.bond.u128();
                } else {
                    assert!(d.resolved_at.is_some(), "{d:?}");
                }
            }
            if let Some(p) = self.pending_root() {
                // The increase it will lock: over the final total, inside the unlocked funds
                // and reserved from withdrawals.
                assert_eq!(
                    p.root.total_entitlement - p.root.locked,
                    e.total_entitlement,
                    "a pending root's increase is over the last final total"
                );
                assert!(p.root.locked <= funds.unlocked, "{p:?} {funds:?}");
                assert!(p.root.locked <= funds.reserved, "{p:?} {funds:?}");
                assert_eq!(p.finalizable, self.now() >= p.finalizes_at);
                if let Some(last) = e.last_round {
                    assert!(p.root.round > last, "pending after the last final root");
                }
            }
        } else {
            assert_eq!(e.total_entitlement, Uint128::zero());
            assert_eq!(e.total_paid, Uint128::zero());
        }
        assert!(e.total_paid <= e.total_entitlement, "{e:?}");
        assert_eq!(e.outstanding, e.total_entitlement - e.total_paid);
        assert_eq!(
            funds.locked.u128(),
            direct + e.outstanding.u128(),
            "locked = direct locked + outstanding entitlements"
        );
        assert_eq!(
            funds.bonded.u128(),
            open_bonds,
            "bonded = Σ bonds of the open disputes"
        );
        let paid: u128 = self.payees.iter().map(|a| self.balance(a)).sum();
        assert_eq!(
            paid,
            e.total_paid.u128(),
            "ECT received by claimers = total paid"
        );
        for h in &self.holders {
            assert!(!self.payees.contains(h), "holder {h} is a payee");
        }
        assert_eq!(
            self.balance(&self.contract),
            (funds.unlocked + funds.locked + funds.bonded).u128(),
            "the contract holds unlocked + locked + bonded"
        );
    }
}

/// The relayers' input digest the honest oracles attest (the contract stores it, never checks
/// it).
pub const INPUT_DIGEST: [u8; 32] = [7; 32];

/// The value of the first attribute `key` in the events of `res`.
pub fn attr(res: &AppResponse, key: &str) -> Option<String> {
    res.events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// Every value of attribute `key` in the `wasm` events of `contract`, in order.
pub fn attrs(res: &AppResponse, contract: &Addr, key: &str) -> Vec<String> {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .filter(|e| {
            e.attributes
                .iter()
                .any(|a| a.key == "_contract_address" && a.value == contract.as_str())
        })
        .flat_map(|e| e.attributes.iter())
        .filter(|a| a.key == key)
        .map(|a| a.value.clone())
        .collect()
}

/// The `ClaimManyResult` a `ClaimMany` returned as its response data.
pub fn claim_many_result(res: &AppResponse) -> ClaimManyResult {
    from_json(res.data.as_ref().expect("ClaimMany returns data")).unwrap()
}

/// The leaf of an owner without usage in the round: zero buckets, score 0.
pub fn idle(owner: &Addr, cumulative: u128) -> Leaf {
    Leaf {
        owner: owner.to_string(),
        buckets: UsageBuckets::default(),
        score: 0,
        cumulative,
    }
}

/// `(owner, buckets, score)` with the default policy's score (dual product or not).
pub fn usage(owner: &Addr, buckets: UsageBuckets, dual: bool) -> (String, UsageBuckets, u128) {
    (
        owner.to_string(),
        buckets,
        ScorePolicy::default().score(&buckets, dual).unwrap(),
    )
}

/// An attestation of a tree the contract never sees: `leaf_count` leaves (minimal depth),
/// total `total`.
pub fn bare(round: u64, total: u128, leaf_count: u64) -> RootAttestation {
    RootAttestation {
        round,
        root: [0x5A; 32],
        total_entitlement: total,
        total_score: 0,
        leaf_count,
        depth: depth_for(leaf_count).unwrap(),
        policy_version: 1,
        leaves_digest: [0x1D; 32],
        input_digest: INPUT_DIGEST,
    }
}

/// One round's honest tree and the attestation every oracle votes for it.
pub struct RoundTree {
    pub ctx: LeafContext,
    pub leaves: Vec<Leaf>,
    pub tree: Tree,
    pub att: RootAttestation,
}

impl RoundTree {
    /// The tree over `leaves` (sorted here by owner) in `round` of the suite's contract.
    pub fn new(s: &Suite, round: u64, mut leaves: Vec<Leaf>) -> RoundTree {
        leaves.sort_by(|a, b| a.owner.as_bytes().cmp(b.owner.as_bytes()));
        let ctx = s.leaf_context(round);
        let tree = Tree::build(&ctx, &leaves).unwrap();
        let root = tree.root();
        let att = RootAttestation {
            round,
            root: root.hash,
            total_entitlement: root.sum,
            total_score: leaves.iter().map(|l| l.score).sum(),
            leaf_count: tree.leaf_count(),
            depth: tree.depth(),
            policy_version: 1,
            leaves_digest: leaves_digest(&ctx, &leaves).unwrap(),
            input_digest: INPUT_DIGEST,
        };
        RoundTree {
            ctx,
            leaves,
            tree,
            att,
        }
    }

    pub fn index(&self, owner: &Addr) -> u64 {
        let i = self
            .leaves
            .iter()
            .position(|l| l.owner == owner.as_str())
            .expect("an owner of the tree");
        u64::try_from(i).unwrap()
    }

    pub fn leaf(&self, owner: &Addr) -> &Leaf {
        self.leaves
            .iter()
            .find(|l| l.owner == owner.as_str())
            .expect("an owner of the tree")
    }

    pub fn proof(&self, owner: &Addr) -> Proof {
        self.tree.proof(self.index(owner)).unwrap()
    }

    /// `owner` claims its own leaf with its honest proof.
    pub fn claim(&self, s: &mut Suite, owner: &Addr) -> Res {
        s.claim_cumulative(
            owner,
            self.att.round,
            self.index(owner),
            self.leaf(owner),
            &self.proof(owner),
        )
    }

    /// The `ClaimMany` entry of `owner`'s leaf with its honest proof.
    pub fn owner_claim(&self, owner: &Addr) -> OwnerClaim {
        OwnerClaim::new(
            self.att.round,
            self.index(owner),
            self.leaf(owner),
            &self.proof(owner).to_bytes(),
        )
    }
}

/// The `RootView` of `att` accepted at `accepted_at`.
pub fn view(
    s: &Suite,
    att: &RootAttestation,
    accepted_at: u64,
    locked: u128,
    rewards_since_last: u128,
) -> RootView {
    RootView {
        round: att.round,
        root: HexBinary::from(att.root),
        total_entitlement: Uint128::new(att.total_entitlement),
        total_score: Uint128::new(att.total_score),
        leaf_count: att.leaf_count,
        depth: att.depth,
        policy_version: att.policy_version,
        leaves_digest: HexBinary::from(att.leaves_digest),
        input_digest: HexBinary::from(att.input_digest),
        attestation_hash: s.attestation_hash(att),
        accepted_at,
        locked: Uint128::new(locked),
        rewards_since_last: Uint128::new(rewards_since_last),
    }
}

/// The `Entitlements` answer of a merkle-mode contract.
pub fn books(last_round: Option<u64>, total: u128, paid: u128) -> EntitlementsResponse {
    EntitlementsResponse {
        mode: AttestationMode::Merkle,
        last_round,
        total_entitlement: Uint128::new(total),
        total_paid: Uint128::new(paid),
        outstanding: Uint128::new(total - paid),
    }
}

/// Entries sorted by owner.
pub fn entries(mut items: Vec<(Addr, UsageBuckets)>) -> Vec<UsageEntry> {
    items.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    items
        .into_iter()
        .map(|(owner, buckets)| UsageEntry {
            owner: owner.to_string(),
            buckets,
        })
        .collect()
}

/// `wh` Wh of off-peak use on a standard battery.
pub fn offpeak(wh: u64) -> cube_scoring::UsageBuckets {
    cube_scoring::UsageBuckets::single(
        cube_scoring::BatteryClass::Standard,
        cube_scoring::TouClass::OffPeak,
        wh,
    )
}

/// Round 0 finalized with alice and bob at 1 : 3 (250,000 and 750,000 locked).
pub fn finalized_round() -> (Suite, Addr, Addr) {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    s.give_devices(&bob, &[DeviceModel::CubeV1]);
    s.set_after_round_end(0, 0);
    s.attest(
        0,
        0,
        1,
        &entries(vec![
            (alice.clone(), offpeak(100)),
            (bob.clone(), offpeak(300)),
        ]),
    );
    assert_eq!(s.round(0).summary.status, RoundStatus::Finalized);
    (s, alice, bob)
}

/// The contract's `Config` answer.
pub fn config(s: &Suite) -> ConfigResponse {
    s.query(&QueryMsg::Config {})
}

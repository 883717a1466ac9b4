//! The reward-pool contract: message builders and the typed client.

use cube_types::reward_pool::{
    ActionEntry, ClaimableResponse, ConfigResponse, ExecuteMsg, LastBatchResponse, QueryMsg,
    RateEvent, RateHistoryResponse, ReceiveMsg, ReporterCap, ReportersResponse, StateResponse,
};

use crate::cw20::send_msg;
use crate::{ChainError, TxResult};

/// `RecordActions { batch_id, actions }` (reporter).
pub fn record_actions_msg(batch_id: u64, actions: Vec<ActionEntry>) -> ExecuteMsg {
    ExecuteMsg::RecordActions { batch_id, actions }
}

/// `Claim { recipient }` (`None`: to the sender).
pub fn claim_msg(recipient: Option<String>) -> ExecuteMsg {
    ExecuteMsg::Claim { recipient }
}

/// `AddReporter { address }` (owner).
pub fn add_reporter_msg(address: &str) -> ExecuteMsg {
    ExecuteMsg::AddReporter {
        address: address.to_string(),
    }
}

/// `RemoveReporter { address }` (owner).
pub fn remove_reporter_msg(address: &str) -> ExecuteMsg {
    ExecuteMsg::RemoveReporter {
        address: address.to_string(),
    }
}

/// The optional fields of `UpdateConfig` (owner); `Default` changes nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConfigUpdate {
    /// Minimum seconds between halvings.
    pub halving_cooldown: Option<u64>,
    /// Reversal hysteresis in basis points.
    pub hysteresis_bps: Option<u16>,
    /// Maximum entries of one `RecordActions`.
    pub max_batch_size: Option<u32>,
    /// Most TOK one reporter may credit per period.
    pub reporter_cap: Option<ReporterCap>,
}

/// `UpdateConfig` with the fields of `update`.
pub fn update_config_msg(update: ConfigUpdate) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig {
        halving_cooldown: update.halving_cooldown,
        hysteresis_bps: update.hysteresis_bps,
        max_batch_size: update.max_batch_size,
        reporter_cap: update.reporter_cap,
    }
}

/// `Reconcile {}` (owner).
pub fn reconcile_msg() -> ExecuteMsg {
    ExecuteMsg::Reconcile {}
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

/// `CancelOwnershipTransfer {}` (owner).
pub fn cancel_ownership_transfer_msg() -> ExecuteMsg {
    ExecuteMsg::CancelOwnershipTransfer {}
}

/// The CW20 `Send` (to the pool's token) that delivers `amount` to `pool` with `hook`
/// (`Fund {}` or `AdFee { campaign }`).
pub fn send_to_pool_msg(
    pool: &str,
    amount: u128,
    hook: &ReceiveMsg,
) -> Result<::cw20::Cw20ExecuteMsg, ChainError> {
    send_msg(pool, amount, hook)
}

crate::contract::typed_client!(
    /// The reward-pool contract at one address, through one chain client.
    RewardPoolClient
);

impl RewardPoolClient<'_> {
    /// Sends `msg` to the contract.
    pub async fn execute(self, msg: &ExecuteMsg) -> Result<TxResult, ChainError> {
        self.0.execute(msg).await
    }

    // --- queries ---

    /// `Config {}`.
    pub async fn config(self) -> Result<ConfigResponse, ChainError> {
        self.query(&QueryMsg::Config {}).await
    }

    /// `State {}`.
    pub async fn state(self) -> Result<StateResponse, ChainError> {
        self.query(&QueryMsg::State {}).await
    }

    /// `Claimable { user }`.
    pub async fn claimable(self, user: &str) -> Result<ClaimableResponse, ChainError> {
        self.query(&QueryMsg::Claimable {
            user: user.to_string(),
        })
        .await
    }

    /// `RateHistory { start_after, limit }`: one page.
    pub async fn rate_history_page(
        self,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<RateHistoryResponse, ChainError> {
        self.query(&QueryMsg::RateHistory { start_after, limit })
            .await
    }

    /// Every halving and reversal, oldest first (pages of `page_size`, at most `max_pages`;
    /// the cursor is the last event's `seq`, a short page is the last).
    pub async fn rate_history(
        self,
        page_size: u32,
        max_pages: usize,
    ) -> Result<Vec<RateEvent>, ChainError> {
        crate::pages::all_pages("RateHistory", max_pages, |start_after| async move {
            let page = self.rate_history_page(start_after, Some(page_size)).await?;
            let full = u32::try_from(page.events.len()).is_ok_and(|n| n >= page_size);
            let next = if full {
                page.events.last().map(|e| e.seq)
            } else {
                None
            };
            Ok((page.events, next))
        })
        .await
    }

    /// `Reporters { start_after, limit }`: one page.
    pub async fn reporters(
        self,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> Result<ReportersResponse, ChainError> {
        self.query(&QueryMsg::Reporters { start_after, limit })
            .await
    }

    /// `LastBatch { reporter }`.
    pub async fn last_batch(self, reporter: &str) -> Result<LastBatchResponse, ChainError> {
        self.query(&QueryMsg::LastBatch {
            reporter: reporter.to_string(),
        })
        .await
    }

    // --- transactions (signed by the client's key) ---

    /// `RecordActions` (reporter).
    pub async fn record_actions(
        self,
        batch_id: u64,
        actions: Vec<ActionEntry>,
    ) -> Result<TxResult, ChainError> {
        self.execute(&record_actions_msg(batch_id, actions)).await
    }

    /// `Claim { recipient }`.
    pub async fn claim(self, recipient: Option<String>) -> Result<TxResult, ChainError> {
        self.execute(&claim_msg(recipient)).await
    }

    /// `UpdateConfig` (owner).
    pub async fn update_config(self, update: ConfigUpdate) -> Result<TxResult, ChainError> {
        self.execute(&update_config_msg(update)).await
    }

    /// `TransferOwnership { new_owner }` (owner).
    pub async fn transfer_ownership(self, new_owner: &str) -> Result<TxResult, ChainError> {
        self.execute(&transfer_ownership_msg(new_owner)).await
    }

    /// Sends `amount` of the pool's token (`token`) with `hook`, signed by the client.
    pub async fn send(
        self,
        token: &str,
        amount: u128,
        hook: &ReceiveMsg,
    ) -> Result<TxResult, ChainError> {
        self.chain()
            .execute(token, &send_to_pool_msg(self.address(), amount, hook)?)
            .await
    }
}

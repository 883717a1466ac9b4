//! Holders claiming: TOK from the reward pool, ECT from the mining round. Each claim is read
//! back from the token contract (balance after − before), so the summary shows what the
//! chain paid, not what was asked for.

use chain_client::ChainClient;
use cube_types::{mining_round as mr, reward_pool as rp};

use crate::chain::{Contracts, View};
use crate::DemoError;

/// Which token was claimed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// Reward-pool TOK.
    Tok,
    /// Mining-round ECT.
    Ect,
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Token::Tok => "TOK",
            Token::Ect => "ECT",
        })
    }
}

/// A claim made by the demo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Holder account name.
    pub holder: String,
    /// Token.
    pub token: Token,
    /// Amount the holder's CW20 balance grew by.
    pub amount: u128,
    /// Rounds paid (ECT only).
    pub rounds: Vec<u64>,
    /// Tx hash.
    pub tx: String,
    /// Block height.
    pub height: u64,
}

/// Claims `holder`'s TOK if the pool owes any; `None` when nothing is claimable.
pub async fn claim_tok(
    holder: &str,
    client: &ChainClient,
    contracts: &Contracts,
) -> Result<Option<Claim>, DemoError> {
    let view = View { client, contracts };
    let me = client.address();
    if view.pool_claimable(&me).await? == 0 {
        return Ok(None);
    }
    let before = view.cw20_balance(&contracts.tok, &me).await?;
    let tx = client
        .execute(&contracts.pool, &rp::ExecuteMsg::Claim { recipient: None })
        .await?;
    let after = view.cw20_balance(&contracts.tok, &me).await?;
    Ok(Some(Claim {
        holder: holder.to_string(),
        token: Token::Tok,
        amount: after.saturating_sub(before),
        rounds: Vec::new(),
        tx: tx.hash,
        height: tx.height,
    }))
}

/// Claims `holder`'s ECT for its finalized rounds; `None` when nothing is claimable.
pub async fn claim_ect(
    holder: &str,
    client: &ChainClient,
    contracts: &Contracts,
) -> Result<Option<Claim>, DemoError> {
    let view = View { client, contracts };
    let me = client.address();
    let claimable = view.round_claimable(&me).await?;
    if claimable.total.is_zero() {
        return Ok(None);
    }
    let before = view.cw20_balance(&contracts.ect, &me).await?;
    let tx = client
        .execute(&contracts.round, &mr::ExecuteMsg::Claim { rounds: None })
        .await?;
    let after = view.cw20_balance(&contracts.ect, &me).await?;
    Ok(Some(Claim {
        holder: holder.to_string(),
        token: Token::Ect,
        amount: after.saturating_sub(before),
        rounds: claimable.rounds.iter().map(|r| r.round).collect(),
        tx: tx.hash,
        height: tx.height,
    }))
}

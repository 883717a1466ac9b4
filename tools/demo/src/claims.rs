//! Holders claiming: TOK from the reward pool, ECT from the mining round. Each claim is read
//! back from the token contract (balance after − before), so the summary shows what the
//! chain paid, not what was asked for.

use std::future::Future;

use chain_client::cw20::Cw20Client;
use chain_client::{ChainClient, ChainError, TxResult};

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
    if view
        .pool()
        .claimable(&client.address())
        .await?
        .amount
        .is_zero()
    {
        return Ok(None);
    }
    let pool = view.pool();
    let claim = measured(holder, Token::Tok, Vec::new(), view.tok(), pool.claim(None));
    Ok(Some(claim.await?))
}

/// Claims `holder`'s ECT for its finalized rounds; `None` when nothing is claimable.
pub async fn claim_ect(
    holder: &str,
    client: &ChainClient,
    contracts: &Contracts,
) -> Result<Option<Claim>, DemoError> {
    let view = View { client, contracts };
    let claimable = view.mining().claimable(&client.address()).await?;
    if claimable.total.is_zero() {
        return Ok(None);
    }
    let rounds = claimable.rounds.iter().map(|r| r.round).collect();
    let mining = view.mining();
    let claim = measured(holder, Token::Ect, rounds, view.ect(), mining.claim(None));
    Ok(Some(claim.await?))
}

/// Sends the claim `tx` and measures it as the growth of the claimer's balance in `paid_in`.
async fn measured(
    holder: &str,
    token: Token,
    rounds: Vec<u64>,
    paid_in: Cw20Client<'_>,
    tx: impl Future<Output = Result<TxResult, ChainError>>,
) -> Result<Claim, DemoError> {
    let me = paid_in.chain().address();
    let before = paid_in.balance(&me).await?;
    let tx = tx.await?;
    let after = paid_in.balance(&me).await?;
    Ok(Claim {
        holder: holder.to_string(),
        token,
        amount: after.saturating_sub(before),
        rounds,
        tx: tx.hash,
        height: tx.height,
    })
}

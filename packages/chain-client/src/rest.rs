//! HTTP/JSON transport against the node's REST (gRPC-gateway) API.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ChainError;

/// A REST endpoint.
#[derive(Clone, Debug)]
pub struct Rest {
    http: reqwest::Client,
    base: String,
}

/// Outcome of a request that may legitimately answer "not found".
pub enum Found<T> {
    /// 2xx with a body.
    Yes(T),
    /// The node says the object does not exist (yet).
    NotFound(String),
}

impl Rest {
    /// A client for `base` (no trailing slash needed).
    pub fn new(base: &str, timeout: std::time::Duration) -> Result<Self, ChainError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| ChainError::Config(format!("http client: {e}")))?;
        Ok(Rest {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// GET `path`, decoding JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ChainError> {
        let url = format!("{}{}", self.base, path);
        let request = self.http.get(&url);
        Self::send(url, request).await
    }

    /// GET `path`; a 404 or a gateway "not found" answer becomes [`Found::NotFound`].
    pub async fn get_found<T: DeserializeOwned>(&self, path: &str) -> Result<Found<T>, ChainError> {
        match self.get(path).await {
            Ok(v) => Ok(Found::Yes(v)),
            Err(ChainError::HttpStatus {
                status, message, ..
            }) if status == 404 || message.contains("not found") => Ok(Found::NotFound(message)),
            Err(e) => Err(e),
        }
    }

    /// POST JSON `body` to `path`, decoding JSON.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ChainError> {
        let url = format!("{}{}", self.base, path);
        let request = self.http.post(&url).json(body);
        Self::send(url, request).await
    }

    /// Sends `request` (to `url`) and decodes the answer.
    async fn send<T: DeserializeOwned>(
        url: String,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ChainError> {
        let resp = request.send().await.map_err(|source| ChainError::Http {
            url: url.clone(),
            source,
        })?;
        Self::decode(url, resp).await
    }

    async fn decode<T: DeserializeOwned>(
        url: String,
        resp: reqwest::Response,
    ) -> Result<T, ChainError> {
        let status = resp.status();
        let text = resp.text().await.map_err(|source| ChainError::Http {
            url: url.clone(),
            source,
        })?;
        if !status.is_success() {
            // gRPC-gateway errors look like {"code": 2, "message": "...", "details": []}.
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or(text);
            return Err(ChainError::HttpStatus {
                url,
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_str(&text).map_err(|e| ChainError::Decode {
            url,
            reason: format!("{e}: {}", truncate(&text)),
        })
    }
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(300) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Decodes numbers the gateway encodes as JSON strings (`"12345"`).
pub(crate) mod string_u64 {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum N {
            S(String),
            N(u64),
        }
        match N::deserialize(d)? {
            N::S(s) => s.parse().map_err(serde::de::Error::custom),
            N::N(n) => Ok(n),
        }
    }
}

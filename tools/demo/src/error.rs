//! Typed errors of the demo library (the binary wraps them with `anyhow`).

use chain_client::ChainError;

/// Everything that can go wrong while setting up or running the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A chain request or transaction failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file or a child's output has an unexpected shape.
    #[error("{what}: {reason}")]
    Format {
        /// What was parsed.
        what: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A child process could not be started or failed.
    #[error("{name}: {reason}")]
    Process {
        /// Child name.
        name: String,
        /// What happened.
        reason: String,
    },
}

impl DemoError {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        DemoError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// A format error.
    pub fn format(what: impl Into<String>, reason: impl ToString) -> Self {
        DemoError::Format {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

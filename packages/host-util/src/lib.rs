//! Host-side helpers shared by the relayer daemon and the tools (cube-sim, the demo, the
//! benchmark): one wall clock, one way to write a secret file, one shutdown signal.

use std::io::Write;
use std::path::Path;

/// Current unix time in seconds; 0 if the system clock is before 1970.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes `content` to a new file at `path` readable by its owner only (mode 0600 on unix,
/// set at creation, so the secret is never readable by others even briefly) and fsyncs it.
/// Fails if `path` exists: a key is never silently replaced (see [`replace_secret_file`]).
pub fn write_secret_file(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(content)?;
    f.sync_all()
}

/// [`write_secret_file`] after removing whatever is at `path` (for secrets a tool regenerates
/// on every run, e.g. the demo's oracle mnemonics).
pub fn replace_secret_file(path: &Path, content: &[u8]) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    write_secret_file(path, content)
}

/// The signal that asked the process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownSignal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl std::fmt::Display for ShutdownSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShutdownSignal::Interrupt => "SIGINT",
            ShutdownSignal::Terminate => "SIGTERM",
        })
    }
}

/// Resolves on the first SIGINT or SIGTERM (SIGINT only where SIGTERM does not exist or cannot
/// be listened for; that case is logged). Needs a tokio runtime with IO and signals enabled.
pub async fn shutdown_signal() -> ShutdownSignal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => return ShutdownSignal::Terminate,
                    _ = tokio::signal::ctrl_c() => return ShutdownSignal::Interrupt,
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for SIGTERM; SIGINT only"),
        }
    }
    // An error here means no signal can be awaited at all: stopping at once is the safe side.
    let _ = tokio::signal::ctrl_c().await;
    ShutdownSignal::Interrupt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_after_2023() {
        assert!(now_unix() > 1_700_000_000);
    }

    #[test]
    fn secret_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key");
        write_secret_file(&p, b"one").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let e = write_secret_file(&p, b"two").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        replace_secret_file(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        replace_secret_file(&dir.path().join("fresh"), b"x").unwrap();
    }

    #[tokio::test]
    async fn sigterm_resolves_the_future() {
        #[cfg(unix)]
        {
            let waiter = shutdown_signal();
            tokio::pin!(waiter);
            // The first poll installs the SIGTERM listener (before that, SIGTERM would end the
            // test process); nothing has arrived yet.
            tokio::select! {
                biased;
                s = &mut waiter => panic!("resolved before any signal: {s}"),
                () = tokio::time::sleep(std::time::Duration::from_millis(10)) => {}
            }
            let pid = std::process::id().to_string();
            let ok = std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap();
            assert!(ok.success());
            assert_eq!(waiter.await, ShutdownSignal::Terminate);
        }
    }
}

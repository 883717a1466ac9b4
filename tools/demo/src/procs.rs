//! Child processes (relayers, `cube-sim`) in one process group of their own, so a terminal's
//! Ctrl-C reaches only the demo, which then stops the whole group: SIGTERM, a grace period,
//! SIGKILL for whatever is left.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::DemoError;

/// A started child.
#[derive(Debug)]
struct Member {
    name: String,
    child: Child,
    log: PathBuf,
    exited: Option<ExitStatus>,
}

/// The demo's children.
#[derive(Debug, Default)]
pub struct ProcessGroup {
    pgid: Option<u32>,
    members: Vec<Member>,
}

/// A child that exited while the demo was running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exited {
    /// Child name.
    pub name: String,
    /// Its exit status, as printed.
    pub status: String,
    /// Its log file.
    pub log: PathBuf,
}

impl ProcessGroup {
    /// An empty group.
    pub fn new() -> Self {
        Self::default()
    }

    /// The process group id (the first child's pid) once a child runs.
    pub fn pgid(&self) -> Option<u32> {
        self.pgid
    }

    /// Starts `cmd` as `name` in the group, stdout and stderr appended to `log`.
    pub fn spawn(&mut self, name: &str, mut cmd: Command, log: &Path) -> Result<u32, DemoError> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| DemoError::io(log, e))?;
        let err = file.try_clone().map_err(|e| DemoError::io(log, e))?;
        // 0: the first child founds the group; the others join it.
        let group = self.pgid.and_then(|p| i32::try_from(p).ok()).unwrap_or(0);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err))
            .process_group(group);
        let child = match cmd.spawn() {
            Ok(child) => child,
            // The group vanished (every earlier child exited): found a new one.
            Err(_) if group != 0 && self.running().is_empty() => {
                self.pgid = None;
                cmd.process_group(0);
                cmd.spawn().map_err(|e| DemoError::Process {
                    name: name.to_string(),
                    reason: format!("cannot start: {e}"),
                })?
            }
            Err(e) => {
                return Err(DemoError::Process {
                    name: name.to_string(),
                    reason: format!("cannot start: {e}"),
                })
            }
        };
        let pid = child.id();
        self.pgid.get_or_insert(pid);
        self.members.push(Member {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
            exited: None,
        });
        Ok(pid)
    }

    /// Children that exited since the last call (each reported once).
    pub fn reap(&mut self) -> Vec<Exited> {
        let mut out = Vec::new();
        for m in &mut self.members {
            if m.exited.is_some() {
                continue;
            }
            if let Ok(Some(status)) = m.child.try_wait() {
                m.exited = Some(status);
                out.push(Exited {
                    name: m.name.clone(),
                    status: status.to_string(),
                    log: m.log.clone(),
                });
            }
        }
        out
    }

    /// Names of the children still running.
    pub fn running(&mut self) -> Vec<String> {
        let _ = self.reap();
        self.members
            .iter()
            .filter(|m| m.exited.is_none())
            .map(|m| m.name.clone())
            .collect()
    }

    fn signal(&self, sig: &str) {
        if let Some(pgid) = self.pgid {
            // `kill -SIG -- -PGID` signals every process of the group.
            let _ = Command::new("kill")
                .args([sig, "--", &format!("-{pgid}")])
                .stderr(Stdio::null())
                .status();
        }
    }

    /// SIGTERM to the group, wait up to `grace`, then SIGKILL; returns each child's name and
    /// exit status.
    pub fn shutdown(&mut self, grace: Duration) -> Vec<(String, String)> {
        if self.members.iter().any(|m| m.exited.is_none()) {
            self.signal("-TERM");
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline && !self.running().is_empty() {
                std::thread::sleep(Duration::from_millis(100));
            }
            if !self.running().is_empty() {
                self.signal("-KILL");
                for m in &mut self.members {
                    if m.exited.is_none() {
                        m.exited = m.child.wait().ok();
                    }
                }
            }
        }
        // Anything else left in the group (grandchildren) goes too.
        self.signal("-KILL");
        self.members
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    m.exited
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "unknown".into()),
                )
            })
            .collect()
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if self.members.iter().any(|m| m.exited.is_none()) {
            let _ = self.shutdown(Duration::from_secs(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_is_stopped_together_and_exits_are_reported() {
        let dir = std::env::temp_dir().join(format!("demo-procs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut g = ProcessGroup::new();
        let mut quick = Command::new("sh");
        quick.args(["-c", "echo hello; exit 3"]);
        let first = g.spawn("quick", quick, &dir.join("quick.log")).unwrap();
        let mut slow = Command::new("sleep");
        slow.arg("600");
        g.spawn("slow", slow, &dir.join("slow.log")).unwrap();
        assert_eq!(g.pgid(), Some(first));
        // The quick child exits with 3 and is reported exactly once.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut exited = Vec::new();
        while exited.is_empty() && Instant::now() < deadline {
            exited = g.reap();
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(exited.len(), 1);
        assert_eq!(exited[0].name, "quick");
        assert!(exited[0].status.contains('3'), "{}", exited[0].status);
        assert!(g.reap().is_empty());
        assert_eq!(
            std::fs::read_to_string(dir.join("quick.log")).unwrap(),
            "hello\n"
        );
        assert_eq!(g.running(), vec!["slow".to_string()]);
        // SIGTERM stops the sleeper.
        let statuses = g.shutdown(Duration::from_secs(5));
        assert_eq!(statuses.len(), 2);
        assert_eq!(statuses[1].0, "slow");
        assert!(
            statuses[1].1.contains("15") || statuses[1].1.contains("SIGTERM"),
            "{}",
            statuses[1].1
        );
        assert!(g.running().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Persisted round plans: the batches, their hashes and the digest of the inputs
//! a round was aggregated from, written **before** the first vote. After a restart the worker
//! votes with the persisted plan, so a relayer never votes on batches of two different
//! aggregations unless it deliberately recomputes (a new `generation`, see
//! [`crate::round_worker`]).
//!
//! The table `round_plans` is created by store migration 4; this module uses its own
//! connection to the same database file (WAL: readers and the ingest writer do not block
//! it beyond SQLite's busy timeout). All calls are blocking: use `spawn_blocking`.

use std::path::Path;
use std::sync::Mutex;

use cube_scoring::{batch_hash, encode_batch, UsageEntry};
use rusqlite::{params, Connection, OptionalExtension};

use crate::aggregate::{PlannedBatch, RoundPlan};
use crate::round_worker::WorkerError;

/// A persisted plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlan {
    /// Round index.
    pub round: u64,
    /// 0 for the first aggregation, +1 for every adopted recomputation.
    pub generation: u32,
    /// SHA-256 over the pinned inputs and every counted reading.
    pub inputs_digest: [u8; 32],
    /// The batches.
    pub plan: RoundPlan,
}

/// Plan table access.
pub struct PlanStore {
    conn: Mutex<Connection>,
}

fn err(e: impl std::fmt::Display) -> WorkerError {
    WorkerError::Plan(e.to_string())
}

fn to_i64(v: u64) -> Result<i64, WorkerError> {
    i64::try_from(v).map_err(|_| WorkerError::Plan(format!("value {v} out of range")))
}

impl PlanStore {
    /// Opens the plan table of the (already migrated) database at `path`.
    pub fn open(path: &Path) -> Result<Self, WorkerError> {
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        // Fails loudly when the database was not migrated by `SqliteStore::open`.
        conn.query_row("SELECT COUNT(*) FROM round_plans", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(err)?;
        Ok(PlanStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, WorkerError> {
        self.conn
            .lock()
            .map_err(|_| WorkerError::Plan("plan connection poisoned".into()))
    }

    /// Writes (replaces) the plan of `p.round`.
    pub fn save(&self, p: &StoredPlan) -> Result<(), WorkerError> {
        let batches: Vec<&Vec<UsageEntry>> = p.plan.batches.iter().map(|b| &b.entries).collect();
        let json = serde_json::to_string(&batches).map_err(err)?;
        let hashes: Vec<u8> = p.plan.batches.iter().flat_map(|b| b.hash).collect();
        let conn = self.conn()?;
        conn.execute(
            "INSERT OR REPLACE INTO round_plans (round, generation, inputs_digest, \
             policy_version, batch_count, batches, hashes, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, strftime('%s','now'))",
            params![
                to_i64(p.round)?,
                p.generation,
                &p.inputs_digest[..],
                p.plan.policy_version,
                u32::try_from(p.plan.batches.len()).map_err(err)?,
                json,
                hashes,
            ],
        )
        .map_err(err)?;
        Ok(())
    }

    /// The persisted plan of `round`; re-encodes every batch and checks it against the stored
    /// hash (a mismatch is reported as corrupt, never voted).
    pub fn load(&self, round: u64) -> Result<Option<StoredPlan>, WorkerError> {
        let conn = self.conn()?;
        let row = conn
            .query_row(
                "SELECT generation, inputs_digest, policy_version, batch_count, batches, hashes \
                 FROM round_plans WHERE round = ?1",
                params![to_i64(round)?],
                |r| {
                    Ok((
                        r.get::<_, u32>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Vec<u8>>(5)?,
                    ))
                },
            )
            .optional()
            .map_err(err)?;
        let Some((generation, digest, policy_version, count, json, hashes)) = row else {
            return Ok(None);
        };
        let inputs_digest: [u8; 32] = digest
            .try_into()
            .map_err(|_| WorkerError::Plan(format!("round {round}: bad inputs digest")))?;
        let entries: Vec<Vec<UsageEntry>> = serde_json::from_str(&json).map_err(err)?;
        if u32::try_from(entries.len()).ok() != Some(count)
            || hashes.len() != entries.len().saturating_mul(32)
        {
            return Err(WorkerError::Plan(format!(
                "round {round}: batch count mismatch"
            )));
        }
        let mut batches = Vec::with_capacity(entries.len());
        for ((index, e), stored) in (0u32..).zip(entries).zip(hashes.chunks_exact(32)) {
            let encoded = encode_batch(round, index, count, policy_version, &e).map_err(err)?;
            let hash = batch_hash(round, index, count, policy_version, &e).map_err(err)?;
            if hash[..] != stored[..] {
                return Err(WorkerError::Plan(format!(
                    "round {round} batch {index}: stored hash does not match its entries"
                )));
            }
            batches.push(PlannedBatch {
                index,
                entries: e,
                encoded,
                hash,
            });
        }
        Ok(Some(StoredPlan {
            round,
            generation,
            inputs_digest,
            plan: RoundPlan {
                round,
                policy_version,
                batches,
            },
        }))
    }

    /// Rounds with a persisted plan, ascending (resume after restart).
    pub fn rounds(&self) -> Result<Vec<u64>, WorkerError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare("SELECT round FROM round_plans ORDER BY round")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, i64>(0))
            .map_err(err)?
            .collect::<Result<Vec<i64>, _>>()
            .map_err(err)?;
        rows.into_iter()
            .map(|r| u64::try_from(r).map_err(err))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::plan_batches;
    use crate::store::{SqliteConfig, SqliteStore};
    use cube_scoring::{BatteryClass, TouClass, UsageBuckets};

    fn plan(round: u64, wh: u64) -> RoundPlan {
        let entries: Vec<UsageEntry> = (0..5u64)
            .map(|i| UsageEntry {
                owner: format!("wasm1owner{i}"),
                buckets: UsageBuckets::single(BatteryClass::Standard, TouClass::Peak, wh + i),
            })
            .collect();
        plan_batches(round, 1, entries, 2).unwrap()
    }

    #[test]
    fn cutoff_race_plan_is_persisted_and_survives_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite");
        let store = SqliteStore::open(SqliteConfig::new(&path)).unwrap();
        let plans = PlanStore::open(&path).unwrap();
        assert_eq!(plans.load(7).unwrap(), None);
        let first = StoredPlan {
            round: 7,
            generation: 0,
            inputs_digest: [3; 32],
            plan: plan(7, 100),
        };
        plans.save(&first).unwrap();
        drop(plans);
        store.close();
        drop(store);
        // "Restart": a new process opens the same file and gets the very same batches back,
        // whatever arrived in the store meanwhile.
        let _store = SqliteStore::open(SqliteConfig::new(&path)).unwrap();
        let plans = PlanStore::open(&path).unwrap();
        assert_eq!(plans.load(7).unwrap(), Some(first.clone()));
        // A deliberate recomputation replaces it (next generation).
        let second = StoredPlan {
            generation: 1,
            inputs_digest: [4; 32],
            plan: plan(7, 200),
            ..first
        };
        plans.save(&second).unwrap();
        assert_eq!(plans.load(7).unwrap(), Some(second));
        assert_eq!(plans.rounds().unwrap(), vec![7]);
    }

    #[test]
    fn tampered_plan_is_reported_not_voted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite");
        let _store = SqliteStore::open(SqliteConfig::new(&path)).unwrap();
        let plans = PlanStore::open(&path).unwrap();
        plans
            .save(&StoredPlan {
                round: 2,
                generation: 0,
                inputs_digest: [0; 32],
                plan: plan(2, 5),
            })
            .unwrap();
        let c = Connection::open(&path).unwrap();
        c.execute(
            "UPDATE round_plans SET hashes = zeroblob(length(hashes))",
            [],
        )
        .unwrap();
        match plans.load(2) {
            Err(WorkerError::Plan(m)) => assert!(m.contains("does not match"), "{m}"),
            other => panic!("expected a corrupt-plan error, got {other:?}"),
        }
    }

    #[test]
    fn plan_table_requires_migrated_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.sqlite");
        assert!(matches!(PlanStore::open(&path), Err(WorkerError::Plan(_))));
    }
}

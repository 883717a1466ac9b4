//! Numbered schema migrations. The applied version is `PRAGMA user_version`; each migration
//! runs in its own transaction together with the version bump. Never edit a released
//! migration: append a new one.

use rusqlite::Connection;

use super::StoreError;

/// `(version, sql)`, strictly increasing from 1.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE readings (
            device        BLOB    NOT NULL,
            sequence      INTEGER NOT NULL,
            window_start  INTEGER NOT NULL,
            window_end    INTEGER NOT NULL,
            discharged_wh INTEGER NOT NULL,
            charged_wh    INTEGER NOT NULL,
            battery_id    TEXT    NOT NULL,
            firmware      TEXT    NOT NULL,
            signature     BLOB    NOT NULL,
            received_at   INTEGER NOT NULL,
            PRIMARY KEY (device, sequence)
        ) WITHOUT ROWID;
        CREATE INDEX readings_by_window_start ON readings (window_start);",
    ),
    (
        2,
        "CREATE TABLE round_progress (
            round          INTEGER PRIMARY KEY,
            policy_version INTEGER NOT NULL,
            batch_count    INTEGER NOT NULL,
            status         TEXT    NOT NULL,
            updated_at     INTEGER NOT NULL
        );
        CREATE TABLE submissions (
            round       INTEGER NOT NULL,
            batch_index INTEGER NOT NULL,
            batch_hash  BLOB    NOT NULL,
            kind        TEXT    NOT NULL,
            state       TEXT    NOT NULL,
            tx_hash     TEXT,
            updated_at  INTEGER NOT NULL,
            PRIMARY KEY (round, batch_index)
        );",
    ),
    (
        3,
        // Every validly signed reading is kept, conflicting ones as evidence. A
        // (device, sequence) may now hold several readings (`variant` 0, 1, … in arrival
        // order, local only); `status` is what the device was answered when it arrived
        // (0 accepted, 1 sequence_conflict, 2 overlap, 3 sequence_order).
        "CREATE TABLE readings_v3 (
            device        BLOB    NOT NULL,
            sequence      INTEGER NOT NULL,
            variant       INTEGER NOT NULL,
            window_start  INTEGER NOT NULL,
            window_end    INTEGER NOT NULL,
            discharged_wh INTEGER NOT NULL,
            charged_wh    INTEGER NOT NULL,
            battery_id    TEXT    NOT NULL,
            firmware      TEXT    NOT NULL,
            signature     BLOB    NOT NULL,
            received_at   INTEGER NOT NULL,
            status        INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (device, sequence, variant)
        ) WITHOUT ROWID;
        INSERT INTO readings_v3 (device, sequence, variant, window_start, window_end,
            discharged_wh, charged_wh, battery_id, firmware, signature, received_at, status)
            SELECT device, sequence, 0, window_start, window_end, discharged_wh, charged_wh,
                   battery_id, firmware, signature, received_at, 0 FROM readings;
        DROP TABLE readings;
        ALTER TABLE readings_v3 RENAME TO readings;
        CREATE INDEX readings_by_window_start ON readings (window_start);",
    ),
    // Round side (relayer::plans): the persisted plan of each round.
    (
        4,
        "CREATE TABLE round_plans (
            round          INTEGER PRIMARY KEY,
            generation     INTEGER NOT NULL,
            inputs_digest  BLOB    NOT NULL,
            policy_version INTEGER NOT NULL,
            batch_count    INTEGER NOT NULL,
            batches        TEXT    NOT NULL,
            hashes         BLOB    NOT NULL,
            created_at     INTEGER NOT NULL
        );",
    ),
    // Peer pages by hour bucket (see `super::sqlite`): the bucket of a reading is
    // `window_start / 3600` (3600 = `MAX_WINDOW_SECS`, whole hours since the epoch, clock
    // independent). The divisor must never change: the page queries spell the very same
    // expression, which is what lets SQLite use this index; a different divisor needs a new
    // index under a new name in a new migration.
    (
        5,
        "CREATE INDEX readings_by_hour ON readings \
         (window_start / 3600, device, sequence, variant, window_start, window_end);",
    ),
];

/// Latest schema version known to this binary.
pub fn latest() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

/// Applies every migration above the file's `user_version`.
pub fn migrate(conn: &mut Connection) -> Result<i64, StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > latest() {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported: latest(),
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "applied migration");
    }
    Ok(latest())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_strictly_increase_from_one() {
        for (i, (v, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*v, i64::try_from(i).unwrap_or(-1) + 1);
        }
    }

    #[test]
    fn version_3_keeps_version_2_readings() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut c = Connection::open(dir.path().join("m.sqlite")).unwrap_or_else(|e| panic!("{e}"));
        for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= 2) {
            c.execute_batch(sql).unwrap_or_else(|e| panic!("{e}"));
            c.pragma_update(None, "user_version", v)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        c.execute(
            "INSERT INTO readings VALUES (x'01', 7, 100, 160, 5, 0, 'b', 'f', x'02', 1)",
            [],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(migrate(&mut c).ok(), Some(latest()));
        let row: (i64, i64, i64, i64) = c
            .query_row(
                "SELECT sequence, variant, status, window_end FROM readings",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(row, (7, 0, 0, 160));
    }

    #[test]
    fn version_5_indexes_existing_readings_by_hour() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut c = Connection::open(dir.path().join("m.sqlite")).unwrap_or_else(|e| panic!("{e}"));
        for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= 4) {
            c.execute_batch(sql).unwrap_or_else(|e| panic!("{e}"));
            c.pragma_update(None, "user_version", v)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        c.execute(
            "INSERT INTO readings VALUES (x'01', 7, 0, 7300, 7360, 5, 0, 'b', 'f', x'02', 1, 0)",
            [],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(migrate(&mut c).ok(), Some(latest()));
        let hits: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM readings INDEXED BY readings_by_hour \
                 WHERE window_start / 3600 = 2",
                [],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hits, 1);
    }

    #[test]
    fn migrate_is_idempotent_and_refuses_newer() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("m.sqlite");
        let mut c = Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(migrate(&mut c).ok(), Some(latest()));
        assert_eq!(migrate(&mut c).ok(), Some(latest()));
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap_or(-1);
        assert_eq!(v, latest());
        c.pragma_update(None, "user_version", 99).unwrap_or(());
        match migrate(&mut c) {
            Err(StoreError::SchemaTooNew { found, supported }) => {
                assert_eq!((found, supported), (99, latest()));
            }
            other => panic!("expected SchemaTooNew, got {other:?}"),
        }
    }
}

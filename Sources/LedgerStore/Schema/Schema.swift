import LedgerCore
import SQLiteSupport

/// The ledger's SQLite schema, its versions and the migrations between them.
///
/// Migrated by `SQLiteMigrator`: `PRAGMA user_version` holds the version, and each step runs in
/// one transaction, so a crash mid-migration leaves the previous version intact.
enum Schema {
    /// Version 1: entries, checkpoints and device facts; entries and checkpoints unconditionally
    /// append-only. Kept verbatim so tests can build a v1 database and migrate it.
    static let version1 = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE entries (
            sequence INTEGER PRIMARY KEY CHECK (sequence > 0),
            bytes BLOB NOT NULL,
            hash BLOB NOT NULL CHECK (length(hash) = 32)
        );
        CREATE TABLE checkpoints (
            sequence INTEGER PRIMARY KEY,
            chain_hash BLOB NOT NULL CHECK (length(chain_hash) = 32),
            signature BLOB NOT NULL CHECK (length(signature) = 64)
        );
        CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
            BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
        CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
            BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
        CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
            BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
        CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
            BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
        CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta
            BEGIN SELECT RAISE(ABORT, 'ledger device facts are fixed'); END;
        CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta
            BEGIN SELECT RAISE(ABORT, 'ledger device facts are fixed'); END;
        PRAGMA user_version = 1;
        """

    /// Version 1 → 2: device time and kind beside each entry (for retention and queries),
    /// receipts from the accounting service, prune anchors, and a delete trigger that lets
    /// through only entries a stored receipt covers and that are older than the retention.
    ///
    /// Why the trigger checks the clock itself: pruning is the one hole in "append-only", so
    /// the database refuses it on its own terms even if a bug in the caller passed a wrong time.
    static let version2Additions = """
        CREATE TABLE receipts (
            sequence INTEGER PRIMARY KEY,
            chain_hash BLOB NOT NULL CHECK (length(chain_hash) = 32),
            signature BLOB NOT NULL CHECK (length(signature) = 64),
            service_public_key BLOB NOT NULL CHECK (length(service_public_key) = 32)
        );
        CREATE TABLE prune_anchors (
            sequence INTEGER PRIMARY KEY,
            chain_hash BLOB NOT NULL CHECK (length(chain_hash) = 32)
        );
        CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
            BEGIN SELECT RAISE(ABORT, 'ledger receipts are append-only'); END;
        CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
            BEGIN SELECT RAISE(ABORT, 'ledger receipts are append-only'); END;
        CREATE TRIGGER prune_anchors_no_update BEFORE UPDATE ON prune_anchors
            BEGIN SELECT RAISE(ABORT, 'ledger prune anchors are append-only'); END;
        CREATE TRIGGER prune_anchors_no_delete BEFORE DELETE ON prune_anchors
            BEGIN SELECT RAISE(ABORT, 'ledger prune anchors are append-only'); END;
        CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
            WHEN NOT EXISTS (SELECT 1 FROM receipts WHERE receipts.sequence >= OLD.sequence)
              OR OLD.device_time >= unixepoch() - (SELECT value FROM meta WHERE key = 'retention_seconds')
            BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: only receipted entries past retention may be pruned'); END;
        """

    /// Each ledger table and its key column: what the version 3 triggers guard.
    static let tableKeys: [(table: String, key: String)] = [
        ("meta", "key"), ("entries", "sequence"), ("checkpoints", "sequence"), ("receipts", "sequence"),
        ("prune_anchors", "sequence"),
    ]

    /// Version 2 → 3: no statement form may replace a stored row of any ledger table.
    ///
    /// Why: SQLite's REPLACE conflict resolution (`REPLACE INTO`, `INSERT OR REPLACE`) deletes
    /// the row in the way without firing DELETE triggers, so the version 1–2 triggers let anyone
    /// with the file and the `sqlite3` shell swap the device key, a checkpoint or an entry. A
    /// BEFORE INSERT trigger that refuses a key already stored runs before any conflict
    /// resolution, whatever the statement's conflict clause or upsert, and whatever the
    /// connection's pragmas (`recursive_triggers` only governs triggers fired by the REPLACE
    /// deletes themselves). `UPDATE OR REPLACE` and `ON CONFLICT DO UPDATE` already meet the
    /// update triggers. `INSERT OR IGNORE` of an existing key is refused too: the store looks for
    /// the stored row first where "already there" should be quiet.
    static var version3Additions: String {
        tableKeys.map { table, key in
            """
            CREATE TRIGGER \(table)_no_replace BEFORE INSERT ON \(table)
                WHEN EXISTS (SELECT 1 FROM \(table) WHERE \(key) = NEW.\(key))
                BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: a stored \(table) row is never replaced'); END;
            """
        }.joined(separator: "\n")
    }

    /// The ledger's migrator: version 1 (with the device's facts) for a new file, then each
    /// upgrade. A new ledger and a migrated one pass through the same steps, so they have the
    /// same schema by construction.
    static func migrator(deviceID: UInt32, devicePublicKey: [UInt8], retentionSeconds: Int64) -> SQLiteMigrator {
        SQLiteMigrator(steps: [
            SQLiteMigrator.Step(version: 1) { connection in
                try connection.execute(version1)
                try insertFacts(on: connection, deviceID: deviceID, devicePublicKey: devicePublicKey)
            },
            SQLiteMigrator.Step(version: 2) { connection in
                try migrate1to2(on: connection, retentionSeconds: retentionSeconds)
            },
            SQLiteMigrator.Step(version: 3) { connection in
                try connection.execute(version3Additions)
            },
        ])
    }

    /// The version this code writes.
    static var currentVersion: Int64 { migrator(deviceID: 0, devicePublicKey: [], retentionSeconds: 0).latestVersion }

    /// Creates schema version 1 with the device's facts (tests use it to build an old ledger).
    static func createVersion1(on connection: SQLiteConnection, deviceID: UInt32, devicePublicKey: [UInt8]) throws {
        try connection.write { connection in
            try connection.execute(version1)
            try insertFacts(on: connection, deviceID: deviceID, devicePublicKey: devicePublicKey)
        }
    }

    static func insertFacts(on connection: SQLiteConnection, deviceID: UInt32, devicePublicKey: [UInt8]) throws {
        let insert = try connection.prepare("INSERT INTO meta (key, value) VALUES (?, ?)")
        try insert.bind(1, "device_id")
        try insert.bind(2, Int64(deviceID))
        try insert.run()
        try insert.bind(1, "device_public_key")
        try insert.bind(2, devicePublicKey)
        try insert.run()
        try insert.bind(1, "format")
        try insert.bind(2, 1)
        try insert.run()
    }

    static func insertRetention(on connection: SQLiteConnection, _ retentionSeconds: Int64) throws {
        let insert = try connection.prepare("INSERT INTO meta (key, value) VALUES ('retention_seconds', ?)")
        try insert.bind(1, retentionSeconds)
        try insert.run()
    }

    /// Fills the new columns from each entry's own canonical bytes. The update trigger is lifted
    /// for the length of this step's transaction only, and only the new columns are written.
    private static func migrate1to2(on connection: SQLiteConnection, retentionSeconds: Int64) throws {
        try connection.execute("""
            ALTER TABLE entries ADD COLUMN device_time INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE entries ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
            DROP TRIGGER entries_no_update;
            DROP TRIGGER entries_no_delete;
            """)
        let read = try connection.prepare("SELECT sequence, bytes FROM entries ORDER BY sequence")
        let write = try connection.prepare("UPDATE entries SET device_time = ?, kind = ? WHERE sequence = ?")
        while try read.step() {
            let sequence = read.integer(0)
            let entry: LedgerEntry
            do {
                entry = try LedgerEntry(canonicalBytes: read.blob(1))
            } catch {
                throw LedgerStoreError(.inconsistent, "entry \(sequence) does not decode during migration: \(error)")
            }
            try write.bind(1, entry.record.deviceTime.rawValue)
            try write.bind(2, Int64(entry.record.kind.rawValue))
            try write.bind(3, sequence)
            try write.run()
        }
        try connection.execute("""
            CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
                BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
            """)
        try connection.execute(version2Additions)
        try insertRetention(on: connection, retentionSeconds)
    }
}


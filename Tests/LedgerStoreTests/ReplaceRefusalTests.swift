import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import SQLiteSupport
import Testing

@testable import LedgerStore

/// Someone with the file and the `sqlite3` shell, triggers left in place, tries the statement
/// forms that replace a row: SQLite's REPLACE deletes the row in the way without firing DELETE
/// triggers, so each form is tried on each table through a connection of its own (default
/// pragmas, nothing of the store's), and the stored rows must come out unchanged.
@Suite struct ReplaceRefusalTests {
    /// The statement forms that would change or remove a stored row, for one table's row.
    static func attacks(table: String, columns: [String], values: [String]) -> [String] {
        let list = columns.joined(separator: ", ")
        let row = values.joined(separator: ", ")
        let updates = columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return [
            "REPLACE INTO \(table) (\(list)) VALUES (\(row))",
            "INSERT OR REPLACE INTO \(table) (\(list)) VALUES (\(row))",
            "INSERT INTO \(table) (\(list)) VALUES (\(row)) ON CONFLICT (\(columns[0])) DO UPDATE SET \(updates)",
            "INSERT INTO \(table) (\(list)) VALUES (\(row)) ON CONFLICT DO UPDATE SET \(updates)",
            "UPDATE OR REPLACE \(table) SET \(columns[1]) = \(values[1]) WHERE \(columns[0]) = \(values[0])",
        ]
    }

    /// A ledger holding a row in every table: entries 1–15, checkpoints, a receipt at 12, and a
    /// prune anchor at 10 (entries 1–10 were old).
    static func populatedLedger(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("ledger.db").path
        let now = UnixTime(Date())
        let store = try Support.open(path, .init(checkpointInterval: 4, retentionSeconds: 7 * 86_400))
        defer { store.close() }
        for index in 0..<15 {
            let time = index < 10 ? now.adding(seconds: -30 * 86_400) : now.adding(seconds: -60)
            try store.append(Support.ride(index, at: time))
        }
        let at12 = ChainHead(after: try #require(try store.entry(at: 12)))
        try store.storeReceipt(try Receipt(signing: at12, with: Support.serviceKey), servicePublicKey: Support.serviceKey.publicKey)
        #expect(try store.prune(now: now) == 10)
        try store.checkpoint()
        return path
    }

    /// Every row of every ledger table, as text, to compare before and after.
    static func dump(_ connection: SQLiteConnection) throws -> [String] {
        var rows: [String] = []
        // The whole content, column by column, through SQLite's own quoting.
        for (table, key) in Schema.tableKeys {
            let columns = try connection.prepare("SELECT name FROM pragma_table_info('\(table)')")
            var names: [String] = []
            while try columns.step() { names.append(columns.text(0)) }
            let quoted = names.map { "quote(\($0))" }.joined(separator: " || '|' || ")
            let statement = try connection.prepare("SELECT \(quoted) FROM \(table) ORDER BY \(key)")
            while try statement.step() { rows.append("\(table): \(statement.text(0))") }
        }
        return rows
    }

    static func rawConnection(_ path: String) throws -> SQLiteConnection {
        try SQLiteConnection(path: path, flags: [.readWrite, .extendedResultCodes])
    }

    @Test(arguments: ["meta", "entries", "checkpoints", "receipts", "prune_anchors"])
    func everyFormThatReplacesARowIsRefused(table: String) throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.populatedLedger(in: directory)
        let connection = try Self.rawConnection(path)
        defer { connection.close() }
        let before = try Self.dump(connection)
        let forgedKey = "x'\(Hex.encode(Support.serviceKey.publicKey.rawRepresentation))'"
        let hash = "x'\(String(repeating: "ab", count: 32))'"
        let signature = "x'\(String(repeating: "cd", count: 64))'"
        let attacks: [String] =
            switch table {
            case "meta":
                Self.attacks(table: "meta", columns: ["key", "value"], values: ["'device_public_key'", forgedKey])
                    + Self.attacks(table: "meta", columns: ["key", "value"], values: ["'device_id'", "502"])
                    + Self.attacks(table: "meta", columns: ["key", "value"], values: ["'retention_seconds'", "0"])
            case "entries":
                Self.attacks(
                    table: "entries", columns: ["sequence", "bytes", "hash", "device_time", "kind"],
                    values: ["12", "x'00'", hash, "1", "3"])
            case "checkpoints":
                Self.attacks(table: "checkpoints", columns: ["sequence", "chain_hash", "signature"], values: ["12", hash, signature])
            case "receipts":
                Self.attacks(
                    table: "receipts", columns: ["sequence", "chain_hash", "signature", "service_public_key"],
                    values: ["12", hash, signature, forgedKey])
            default:
                Self.attacks(table: "prune_anchors", columns: ["sequence", "chain_hash"], values: ["10", hash])
            }
        for attack in attacks {
            #expect(throws: (any Error).self, "\(attack) must be refused") { try connection.execute(attack) }
            #expect(try Self.dump(connection) == before, "\(attack) changed a stored row")
        }
        // Adding a new row the ordinary way still works where the store does it (a new entry).
        let store = try Support.open(path)
        defer { store.close() }
        #expect(try store.append(Support.ride(20)).sequence == 16)
    }

    /// A version 2 file (no replace triggers) is opened by this code: the migration adds them,
    /// so the same statement is refused afterwards; before, it went through.
    @Test func aVersion2LedgerGetsTheTriggers() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.populatedLedger(in: directory)
        let forgedKey = Hex.encode(Support.serviceKey.publicKey.rawRepresentation)
        let replaceKey = "INSERT OR REPLACE INTO meta (key, value) VALUES ('device_public_key', x'\(forgedKey)')"
        do {
            // Back to exactly what version 2 wrote.
            let connection = try Self.rawConnection(path)
            defer { connection.close() }
            for (table, _) in Schema.tableKeys { try connection.execute("DROP TRIGGER \(table)_no_replace") }
            try connection.execute("PRAGMA user_version = 2")
            // On version 2 the replace walks past the triggers (the hole this migration closes).
            try connection.execute(replaceKey)
            try connection.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('device_public_key', x'\(Hex.encode(Support.deviceKey.publicKey.rawRepresentation))')")
        }
        let store = try Support.open(path)
        #expect(try store.connection.integer("PRAGMA user_version") == Schema.currentVersion)
        store.close()
        let connection = try Self.rawConnection(path)
        defer { connection.close() }
        #expect(throws: (any Error).self) { try connection.execute(replaceKey) }
        #expect(
            try connection.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%_no_replace'")
                == Int64(Schema.tableKeys.count))
    }

    /// On a version 2 file, an attacker replaced the device key and re-signed every checkpoint over
    /// a rewritten chain. Checked against the device's trusted key, or against the accounting
    /// service's receipt, it does not pass.
    @Test func aLedgerWithReplacedKeyAndCheckpointsDoesNotVerify() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.populatedLedger(in: directory)
        let attacker = Curve25519.Signing.PrivateKey()
        do {
            let connection = try Self.rawConnection(path)
            defer { connection.close() }
            for (table, _) in Schema.tableKeys { try connection.execute("DROP TRIGGER \(table)_no_replace") }
            // Entry 11 rewritten (fare 0) and every later link recomputed, all with REPLACE.
            let reader = try LedgerStore(readingAt: path)
            var head = try reader.chainStart()
            var checkpointed: [ChainHead] = []
            for sequence in 11...15 {
                let original = try #require(try reader.entry(at: UInt64(sequence)))
                var record = original.record
                if sequence == 11 { record.fareKopecks = 0 }
                let forged = try head.seal(record)
                try connection.execute(
                    "REPLACE INTO entries (sequence, bytes, hash, device_time, kind) VALUES (\(sequence), x'\(Hex.encode(forged.canonicalBytes))', x'\(forged.hash.hex)', \(record.deviceTime.rawValue), \(record.kind.rawValue))")
                head = ChainHead(after: forged)
                checkpointed.append(head)
            }
            reader.close()
            try connection.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('device_public_key', x'\(Hex.encode(attacker.publicKey.rawRepresentation))')")
            let checkpoints = try connection.prepare("SELECT sequence FROM checkpoints")
            var sequences: [Int64] = []
            while try checkpoints.step() { sequences.append(checkpoints.integer(0)) }
            for sequence in sequences {
                // Checkpoints below the anchor cannot be rechecked against entries; re-sign them all.
                let point = checkpointed.first { $0.sequence == UInt64(sequence) }
                    ?? ChainHead(deviceID: Support.device, sequence: UInt64(sequence), hash: .of([UInt8(sequence)]))
                let signed = try Checkpoint(signing: point, with: attacker)
                try connection.execute(
                    "REPLACE INTO checkpoints (sequence, chain_hash, signature) VALUES (\(sequence), x'\(signed.chainHash.hex)', x'\(Hex.encode(signed.signature))')")
            }
            try connection.execute("PRAGMA user_version = 2")
        }
        let reader = try LedgerStore(readingAt: path)
        defer { reader.close() }
        // Against the device's certified key: the first re-signed checkpoint fails.
        guard case .broken(let fault) = try reader.verify(devicePublicKey: Support.deviceKey.publicKey) else {
            Issue.record("a ledger re-signed with a replaced key passed against the trusted key")
            return
        }
        #expect(fault.code == "checkpoint-signature-invalid")
        // Against the file's own (replaced) key, the service's receipt at 12 still catches it.
        guard case .broken(let receiptFault) = try reader.verify(servicePublicKey: Support.serviceKey.publicKey) else {
            Issue.record("a rewritten chain passed although the service's receipt covers it")
            return
        }
        #expect(receiptFault == LedgerFault(sequence: 12, reason: .receiptHashMismatch))
    }
}

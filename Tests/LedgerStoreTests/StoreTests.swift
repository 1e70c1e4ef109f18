import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import Testing

@testable import LedgerStore

@Suite struct StoreTests {
    @Test func appendsSurviveReopeningAndVerify() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        var appended: [LedgerEntry] = []
        do {
            let store = try Support.open(path)
            #expect(store.head == .genesis(for: Support.device))
            for index in 0..<25 { appended.append(try store.append(Support.ride(index))) }
            #expect(store.lastCheckpointSequence == 20)
            let checkpoint = try store.checkpoint()
            #expect(checkpoint.sequence == 25 && checkpoint.isValid(signedBy: Support.deviceKey.publicKey))
            #expect(try store.checkpoint() == checkpoint)
            #expect(try store.connection.text("PRAGMA journal_mode") == "wal")
            #expect(try store.connection.integer("PRAGMA synchronous") == 2)
        }
        let store = try Support.open(path)
        #expect(store.head == ChainHead(after: appended.last!))
        #expect(try store.lastEntries(25) == appended)
        #expect(try store.entry(at: 7) == appended[6])
        #expect(try store.checkpoints().map(\.sequence) == [10, 20, 25])
        guard case .intact(let summary) = try store.verify(devicePublicKey: Support.deviceKey.publicKey) else {
            Issue.record("expected an intact ledger")
            return
        }
        #expect(summary.entryCount == 25 && summary.uncheckpointedEntries == 0)
        let next = try store.append(Support.ride(25))
        #expect(next.sequence == 26 && next.previousHash == appended.last!.hash)
        let shutdown = try store.shutDown(at: UnixTime(1_781_600_000))
        #expect(shutdown.sequence == 27)
        #expect(throws: LedgerStoreError(.notWritable, "")) { try store.append(Support.ride(0)) }
    }

    @Test func triggersRefuseUpdatesAndDeletes() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Support.open(directory.appendingPathComponent("ledger.db").path)
        for index in 0..<10 { try store.append(Support.ride(index)) }
        for sql in [
            "UPDATE entries SET bytes = x'00' WHERE sequence = 3",
            "UPDATE entries SET device_time = 0",
            "DELETE FROM entries WHERE sequence = 10",
            "DELETE FROM entries",
            "UPDATE checkpoints SET signature = zeroblob(64)",
            "DELETE FROM checkpoints",
            "UPDATE meta SET value = 7 WHERE key = 'device_id'",
            "DELETE FROM meta",
        ] {
            #expect(throws: LedgerStoreError(.appendOnly, "")) { try store.connection.execute(sql) }
        }
        #expect(try store.entryCount() == 10)
        #expect(try store.verify().isIntact)
    }

    @Test func tamperingWithTheFileIsFoundByVerify() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        let store = try Support.open(path)
        for index in 0..<30 { try store.append(Support.ride(index)) }
        // Someone with the file drops the trigger and rewrites entry 12 with a fare of 0, hash and all.
        let forged = try ChainHead(after: try #require(try store.entry(at: 11))).seal(
            .rideAccepted(at: UnixTime(1_781_503_212), card: 1, layout: 1, fareKopecks: 0, route: 7, vehicle: 11))
        try store.connection.execute("DROP TRIGGER entries_no_update")
        try store.connection.execute(
            "UPDATE entries SET bytes = x'\(Hex.encode(forged.canonicalBytes))', hash = x'\(forged.hash.hex)' WHERE sequence = 12")
        let reader = try LedgerStore(readingAt: path)
        // The forged bytes say 06:00:12; the device_time column beside them still says 06:00:11.
        #expect(
            try reader.verify()
                == .broken(LedgerFault(sequence: 12, reason: .storedColumnMismatch(column: "device_time", stored: "1781503211", bytesSay: "1781503212"))))
        try store.connection.execute("UPDATE entries SET device_time = 1781503212 WHERE sequence = 12")
        #expect(try reader.verify() == .broken(LedgerFault(sequence: 13, reason: .brokenLink)))
        try store.connection.execute("UPDATE entries SET hash = x'\(String(repeating: "00", count: 32))' WHERE sequence = 5")
        #expect(try reader.verify() == .broken(LedgerFault(sequence: 5, reason: .storedHashMismatch)))
    }

    @Test func aNewDatabaseIsCreatedAtTheCurrentSchema() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Support.open(directory.appendingPathComponent("ledger.db").path)
        #expect(try store.connection.integer("PRAGMA user_version") == Schema.currentVersion)
        let tables = try store.connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        var names: [String] = []
        while try tables.step() { names.append(tables.text(0)) }
        #expect(names == ["checkpoints", "entries", "meta", "prune_anchors", "receipts"])
        #expect(try store.retentionSeconds() == 90 * 86_400)
    }

    @Test func aPopulatedVersion1LedgerIsMigrated() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        // Build a version 1 file the way the first release wrote it.
        var head = ChainHead.genesis(for: Support.device)
        var entries: [LedgerEntry] = []
        do {
            let connection = try LedgerStore.openConnection(path: path, readOnly: false)
            try connection.execute("PRAGMA journal_mode = WAL")
            try Schema.createVersion1(
                on: connection, deviceID: Support.device.rawValue,
                devicePublicKey: Array(Support.deviceKey.publicKey.rawRepresentation))
            let insert = try connection.prepare("INSERT INTO entries (sequence, bytes, hash) VALUES (?, ?, ?)")
            for index in 0..<15 {
                let entry = try head.seal(index == 3 ? .clockAdjusted(from: UnixTime(5), to: UnixTime(65), source: "gnss") : Support.ride(index))
                try insert.bind(1, Int64(entry.sequence))
                try insert.bind(2, entry.canonicalBytes)
                try insert.bind(3, entry.hash.bytes)
                try insert.run()
                entries.append(entry)
                head = ChainHead(after: entry)
            }
            let checkpoint = try Checkpoint(signing: head, with: Support.deviceKey)
            try connection.execute(
                "INSERT INTO checkpoints VALUES (15, x'\(checkpoint.chainHash.hex)', x'\(Hex.encode(checkpoint.signature))')")
            #expect(try connection.integer("PRAGMA user_version") == 1)
        }
        let store = try Support.open(path)
        #expect(try store.connection.integer("PRAGMA user_version") == Schema.currentVersion)
        #expect(store.head == head)
        let columns = try store.connection.prepare("SELECT sequence, device_time, kind FROM entries ORDER BY sequence")
        var index = 0
        while try columns.step() {
            #expect(columns.integer(1) == entries[index].record.deviceTime.rawValue)
            #expect(columns.integer(2) == Int64(entries[index].record.kind.rawValue))
            index += 1
        }
        #expect(index == 15)
        #expect(try store.verify(devicePublicKey: Support.deviceKey.publicKey).isIntact)
        #expect(try store.append(Support.ride(99)).sequence == 16)
        #expect(throws: LedgerStoreError(.appendOnly, "")) { try store.connection.execute("UPDATE entries SET kind = 0") }
        #expect(throws: LedgerStoreError(.appendOnly, "")) { try store.connection.execute("DELETE FROM entries") }
    }

    @Test func aNewerSchemaIsRefused() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        do { _ = try Support.open(path) }
        do {
            let connection = try LedgerStore.openConnection(path: path, readOnly: false)
            try connection.execute("PRAGMA user_version = 9")
        }
        #expect(throws: LedgerStoreError(.unsupportedSchema, "")) { try Support.open(path) }
    }

    @Test func anotherDevicesLedgerIsRefused() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        do { _ = try Support.open(path) }
        #expect(throws: LedgerStoreError(.wrongDevice, "")) {
            try LedgerStore(path: path, deviceID: 502, deviceKey: Support.deviceKey)
        }
        #expect(throws: LedgerStoreError(.wrongDevice, "")) {
            try LedgerStore(path: path, deviceID: Support.device, deviceKey: Support.serviceKey)
        }
    }
}

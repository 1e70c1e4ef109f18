import CSQLite
import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import LedgerStore
import Tariff

/// Durable ledger appends per second beside raw one-row-per-commit SQLite inserts of a row of
/// the same size with the same pragmas (WAL, synchronous=FULL), measured in the same run; and
/// chain verification in entries per second over a large ledger.
enum LedgerBenchmark {
    static func run(appends: Int = 2_000, verifyEntries: Int = 1_000_000, directory: String? = nil) throws {
        let base = directory ?? FileManager.default.temporaryDirectory.path
        let scratch = URL(fileURLWithPath: base).appendingPathComponent("hromada-ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let deviceKey = Curve25519.Signing.PrivateKey()
        let device: DeviceID = 501
        let time = UnixTime(1_781_503_200)
        func record(_ index: Int) -> LedgerRecord {
            .benefitUse(
                at: time.adding(seconds: Int64(index)), card: CardSerial(0x00AA_0000_0000_0000 | UInt64(index)), layout: 1,
                entitlement: 7, category: 1, fareKopecks: 0, fullFareKopecks: 1500, route: 1, vehicle: 11)
        }
        let rowSize = try ChainHead.genesis(for: device).seal(record(0)).canonicalBytes.count

        // The disk is shared and its speed drifts, so raw inserts and ledger appends run in
        // alternating blocks and each block pair gives one ratio; the median ratio is reported.
        let raw = try RawInserts(path: scratch.appendingPathComponent("raw.db").path, rowSize: rowSize)
        let store = try LedgerStore(
            path: scratch.appendingPathComponent("ledger.db").path, deviceID: device, deviceKey: deviceKey,
            configuration: .init(checkpointInterval: 100, checkIntegrityOnOpen: false))
        let blocks = 10
        let perBlock = max(1, appends / blocks)
        var index = 0
        var ratios: [Double] = []
        var rawBlocks: [Samples] = []
        var ledgerBlocks: [Samples] = []
        for block in 0..<blocks {
            let warmup = block == 0 ? 50 : 0
            let rawBlock = try Samples.measure("raw SQLite insert, 1 row/commit", iterations: perBlock, warmup: warmup) {
                try raw.insert()
            }
            let ledgerBlock = try Samples.measure("ledger append (durable, checkpoint/100)", iterations: perBlock, warmup: warmup) {
                index += 1
                try store.append(record(index))
            }
            ratios.append(ledgerBlock.perSecond / rawBlock.perSecond)
            rawBlocks.append(rawBlock)
            ledgerBlocks.append(ledgerBlock)
        }
        store.close()
        // Show the block pair whose ratio is the median one, and the spread over all pairs.
        let order = ratios.indices.sorted { ratios[$0] < ratios[$1] }
        let middle = order[order.count / 2]
        report(rawBlocks[middle], extra: "row \(rowSize) B, WAL, synchronous=FULL")
        report(ledgerBlocks[middle], extra: "ratio to raw \(format(ratios[middle] * 100, 1))%")
        print("ledger/raw over \(blocks) alternating blocks of \(perBlock): median \(format(ratios[middle] * 100, 1))%, "
            + "min \(format(ratios[order.first!] * 100, 1))%, max \(format(ratios[order.last!] * 100, 1))%")

        // A large ledger, written in bulk (a million fsyncs would take far too long), then verified.
        let path = scratch.appendingPathComponent("large.db").path
        let build = ContinuousClock().measure {
            try! writeLargeLedger(path: path, device: device, key: deviceKey, count: verifyEntries, record: record)
        }
        print("built a \(verifyEntries)-entry ledger in \(build) (\(fileSize(path) / 1_000_000) MB)")
        let reader = try LedgerStore(readingAt: path)
        var verdict: LedgerVerification?
        let verify = try Samples.measure("verify \(verifyEntries) entries from SQLite", iterations: 1, warmup: 0) {
            verdict = try reader.verify(devicePublicKey: deviceKey.publicKey)
        }
        guard case .intact(let summary) = verdict, summary.entryCount == verifyEntries else {
            preconditionFailure("the benchmark ledger must verify: \(String(describing: verdict))")
        }
        report(verify, extra: "\(format(Double(verifyEntries) * verify.perSecond, 0)) entries/s, \(summary.checkpointCount) checkpoints")

        // The pure part alone: decoding, hashing and linking bytes already in memory.
        var rows: [[UInt8]] = []
        rows.reserveCapacity(verifyEntries)
        try reader.forEachEntry { rows.append($0.canonicalBytes) }
        let checkpoints = try reader.checkpoints()
        let pure = Samples.measure("verify \(verifyEntries) entries in memory", iterations: 1, warmup: 0) {
            var verifier = ChainVerifier(start: .genesis(for: device), checkpoints: checkpoints, devicePublicKey: deviceKey.publicKey)
            for (offset, bytes) in rows.enumerated() { verifier.check(sequence: UInt64(offset + 1), bytes: bytes) }
            precondition(verifier.finish().isIntact)
        }
        report(pure, extra: "\(format(Double(verifyEntries) * pure.perSecond, 0)) entries/s")
    }

    /// Creates a ledger with `LedgerStore` (schema, device facts) and fills it in one transaction.
    static func writeLargeLedger(
        path: String, device: DeviceID, key: Curve25519.Signing.PrivateKey, count: Int, record: (Int) -> LedgerRecord
    ) throws {
        do { _ = try LedgerStore(path: path, deviceID: device, deviceKey: key) }
        let db = try RawInserts.open(path)
        defer { sqlite3_close_v2(db) }
        sqlite3_exec(db, "PRAGMA synchronous = OFF; BEGIN", nil, nil, nil)
        let entries = try RawInserts.prepare(db, "INSERT INTO entries (sequence, bytes, hash, device_time, kind) VALUES (?, ?, ?, ?, ?)")
        let checkpoints = try RawInserts.prepare(db, "INSERT INTO checkpoints (sequence, chain_hash, signature) VALUES (?, ?, ?)")
        defer {
            sqlite3_finalize(entries)
            sqlite3_finalize(checkpoints)
        }
        var head = ChainHead.genesis(for: device)
        for index in 1...count {
            let entry = try head.seal(record(index))
            head = ChainHead(after: entry)
            sqlite3_bind_int64(entries, 1, Int64(entry.sequence))
            bindBlob(entries, 2, entry.canonicalBytes)
            bindBlob(entries, 3, entry.hash.bytes)
            sqlite3_bind_int64(entries, 4, entry.record.deviceTime.rawValue)
            sqlite3_bind_int64(entries, 5, Int64(entry.record.kind.rawValue))
            guard sqlite3_step(entries) == SQLITE_DONE else { throw RawInserts.Failure(message: "bulk insert") }
            sqlite3_reset(entries)
            if index % 100 == 0 || index == count {
                let checkpoint = try Checkpoint(signing: head, with: key)
                sqlite3_bind_int64(checkpoints, 1, Int64(checkpoint.sequence))
                bindBlob(checkpoints, 2, checkpoint.chainHash.bytes)
                bindBlob(checkpoints, 3, checkpoint.signature)
                guard sqlite3_step(checkpoints) == SQLITE_DONE else { throw RawInserts.Failure(message: "bulk checkpoint") }
                sqlite3_reset(checkpoints)
            }
        }
        sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", nil, nil, nil)
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
    }
}

/// The baseline: plain SQLite, one INSERT per commit (autocommit), a reused prepared statement,
/// the ledger's pragmas and a row of the ledger's width.
final class RawInserts {
    struct Failure: Error { let message: String }

    private let db: OpaquePointer
    private let statement: OpaquePointer
    private let payload: [UInt8]
    private let hash = [UInt8](repeating: 0xAB, count: 32)
    private var sequence: Int64 = 0

    init(path: String, rowSize: Int) throws {
        db = try Self.open(path)
        sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", nil, nil, nil)
        sqlite3_exec(
            db, "CREATE TABLE rows (sequence INTEGER PRIMARY KEY, bytes BLOB NOT NULL, hash BLOB NOT NULL, device_time INTEGER NOT NULL, kind INTEGER NOT NULL)",
            nil, nil, nil)
        statement = try Self.prepare(db, "INSERT INTO rows (sequence, bytes, hash, device_time, kind) VALUES (?, ?, ?, ?, ?)")
        payload = [UInt8](repeating: 0x5A, count: rowSize)
    }

    deinit {
        sqlite3_finalize(statement)
        sqlite3_close_v2(db)
    }

    func insert() throws {
        sequence += 1
        sqlite3_bind_int64(statement, 1, sequence)
        bindBlob(statement, 2, payload)
        bindBlob(statement, 3, hash)
        sqlite3_bind_int64(statement, 4, 1_781_503_200 + sequence)
        sqlite3_bind_int64(statement, 5, 4)
        guard sqlite3_step(statement) == SQLITE_DONE else { throw Failure(message: "raw insert") }
        sqlite3_reset(statement)
    }

    static func open(_ path: String) throws -> OpaquePointer {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK, let db else {
            throw Failure(message: "open \(path)")
        }
        return db
    }

    static func prepare(_ db: OpaquePointer, _ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw Failure(message: String(cString: sqlite3_errmsg(db)))
        }
        return statement
    }
}

private func bindBlob(_ statement: OpaquePointer, _ index: Int32, _ bytes: [UInt8]) {
    _ = bytes.withUnsafeBytes { csqlite_bind_blob_copy(statement, index, $0.baseAddress, Int32($0.count)) }
}

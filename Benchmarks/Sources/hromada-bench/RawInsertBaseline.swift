import Identifiers
import LedgerCore
import Logging
import NIOCore
import PostgresNIO
import SQLiteSupport

/// The same rows the service stores, written with no verification at all and by the fastest
/// bulk method of each engine: the floor that ingest's cost is measured against
/// (AccountingBenchmark). Benchmark code only: it lives here, not in the product.
///
/// SQLite: one transaction per batch, one prepared multi-row INSERT (WAL and `synchronous=FULL`
/// as the service uses). PostgreSQL: one COPY per batch, a transaction each.
enum RawInsertBaseline {
    /// Rows a multi-row INSERT carries (7 parameters a row).
    static let sqliteRowsPerStatement = 100

    /// Inserts `batches` into a fresh table in the SQLite file at `path`.
    static func sqlite(path: String, batches: [[LedgerEntry]], receivedAt: Int64) throws {
        let database = try SQLiteConnection(path: path, flags: [.readWrite, .create, .fullMutex])
        defer { database.close() }
        let mode = try database.prepare("PRAGMA journal_mode = WAL")
        _ = try mode.step()
        mode.reset()
        try database.execute("PRAGMA synchronous = FULL")
        try database.execute(
            "CREATE TABLE IF NOT EXISTS raw_entries (device_id INTEGER NOT NULL, sequence INTEGER NOT NULL, kind INTEGER NOT NULL, device_time INTEGER NOT NULL, bytes BLOB NOT NULL, hash BLOB NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (device_id, sequence))")
        func statement(rows: Int) throws -> SQLiteStatement {
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
            return try database.prepare("INSERT INTO raw_entries VALUES \(values)", persistent: true)
        }
        let full = try statement(rows: sqliteRowsPerStatement)
        for batch in batches {
            try database.write { _ in
                var start = 0
                while start < batch.count {
                    let end = min(start + sqliteRowsPerStatement, batch.count)
                    let insert = end - start == sqliteRowsPerStatement ? full : try statement(rows: end - start)
                    var index: Int32 = 1
                    for entry in batch[start..<end] {
                        try insert.bind(index, Int64(entry.deviceID.rawValue))
                        try insert.bind(index + 1, Int64(entry.sequence))
                        try insert.bind(index + 2, Int64(entry.record.kind.rawValue))
                        try insert.bind(index + 3, entry.record.deviceTime.rawValue)
                        try insert.bind(index + 4, entry.canonicalBytes)
                        try insert.bind(index + 5, entry.hash.bytes)
                        try insert.bind(index + 6, receivedAt)
                        index += 7
                    }
                    try insert.run()
                    insert.reset()
                    start = end
                }
            }
        }
    }

    /// COPYs `batches` into a fresh table of the PostgreSQL database (one COPY per batch).
    static func postgres(configuration: PostgresClient.Configuration, batches: [[LedgerEntry]], receivedAt: Int64, logger: Logger) async throws {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(
                "CREATE TABLE IF NOT EXISTS raw_entries (device_id BIGINT NOT NULL, sequence BIGINT NOT NULL, kind BIGINT NOT NULL, device_time BIGINT NOT NULL, bytes BYTEA NOT NULL, hash BYTEA NOT NULL, received_at BIGINT NOT NULL, PRIMARY KEY (device_id, sequence))",
                logger: logger)
            for batch in batches {
                try await client.withConnection { connection in
                    try await connection.copyFrom(
                        table: "raw_entries", columns: ["device_id", "sequence", "kind", "device_time", "bytes", "hash", "received_at"],
                        logger: logger
                    ) { writer in
                        var buffer = ByteBuffer()
                        buffer.reserveCapacity(batch.count * 320)
                        for entry in batch {
                            buffer.writeCopyText(Int64(entry.deviceID.rawValue))
                            buffer.writeInteger(UInt8(ascii: "\t"))
                            buffer.writeCopyText(Int64(entry.sequence))
                            buffer.writeInteger(UInt8(ascii: "\t"))
                            buffer.writeCopyText(Int64(entry.record.kind.rawValue))
                            buffer.writeInteger(UInt8(ascii: "\t"))
                            buffer.writeCopyText(entry.record.deviceTime.rawValue)
                            buffer.writeInteger(UInt8(ascii: "\t"))
                            buffer.writeCopyText(entry.canonicalBytes)
                            buffer.writeInteger(UInt8(ascii: "\t"))
                            buffer.writeCopyText(entry.hash.bytes)
                            buffer.writeInteger(UInt8(ascii: "\t"))
                            buffer.writeCopyText(receivedAt)
                            buffer.writeInteger(UInt8(ascii: "\n"))
                        }
                        try await writer.write(buffer)
                    }
                }
            }
            group.cancelAll()
        }
    }
}

extension ByteBuffer {
    /// An integer in COPY's text format.
    fileprivate mutating func writeCopyText(_ value: Int64) {
        writeString(String(value))
    }

    /// Bytes as a `bytea` in COPY's text format: `\\x` and hex (the backslash escaped for COPY).
    fileprivate mutating func writeCopyText(_ bytes: [UInt8]) {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        writeInteger(UInt8(ascii: "\\"))
        writeInteger(UInt8(ascii: "\\"))
        writeInteger(UInt8(ascii: "x"))
        writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[index * 2] = digits[Int(byte >> 4)]
                out[index * 2 + 1] = digits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }
}

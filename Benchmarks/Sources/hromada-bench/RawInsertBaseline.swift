import AccountingStore
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
///
/// The table is the service's `entries` as schema 5 has it: the same columns (the entry's
/// fields beside its bytes, `EntryColumns`, computed from each entry as the service does) and
/// the same indexes, so the comparison is of the same rows into the same table.
enum RawInsertBaseline {
    /// The columns in insert order.
    static let columns = ["device_id", "sequence"] + EntryColumns.names + ["bytes", "hash", "received_at"]
    /// Rows a multi-row INSERT carries (18 parameters a row, under 999).
    static let sqliteRowsPerStatement = 55

    /// The table and its indexes, as the service's schema 5 makes `entries`.
    static func schema(bigint: String, blob: String) -> [String] {
        let derived = EntryColumns.names.dropFirst(2).map { "\($0) \(bigint)" }.joined(separator: ", ")
        return [
            "CREATE TABLE IF NOT EXISTS raw_entries (device_id \(bigint) NOT NULL, sequence \(bigint) NOT NULL, kind \(bigint) NOT NULL, device_time \(bigint) NOT NULL, \(derived), bytes \(blob) NOT NULL, hash \(blob) NOT NULL, received_at \(bigint) NOT NULL, PRIMARY KEY (device_id, sequence))",
            "CREATE INDEX IF NOT EXISTS raw_entries_by_device_time ON raw_entries (device_time, device_id, sequence)",
            "CREATE INDEX IF NOT EXISTS raw_entries_by_card ON raw_entries (card_serial, device_time, device_id, sequence) WHERE card_serial IS NOT NULL",
        ]
    }

    /// Inserts `batches` into a fresh table in the SQLite file at `path`.
    static func sqlite(path: String, batches: [[LedgerEntry]], receivedAt: Int64) throws {
        let database = try SQLiteConnection(path: path, flags: [.readWrite, .create, .fullMutex])
        defer { database.close() }
        let mode = try database.prepare("PRAGMA journal_mode = WAL")
        _ = try mode.step()
        mode.reset()
        try database.execute("PRAGMA synchronous = FULL")
        for statement in schema(bigint: "INTEGER", blob: "BLOB") { try database.execute(statement) }
        func statement(rows: Int) throws -> SQLiteStatement {
            let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            let values = Array(repeating: row, count: rows).joined(separator: ", ")
            return try database.prepare("INSERT INTO raw_entries (\(columns.joined(separator: ", "))) VALUES \(values)", persistent: true)
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
                        index += 2
                        for value in EntryColumns(entry.record).values {
                            if let value { try insert.bind(index, value) } else { try insert.bindNull(index) }
                            index += 1
                        }
                        try insert.bind(index, entry.canonicalBytes)
                        try insert.bind(index + 1, entry.hash.bytes)
                        try insert.bind(index + 2, receivedAt)
                        index += 3
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
            for statement in schema(bigint: "BIGINT", blob: "BYTEA") {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            for batch in batches {
                try await client.withConnection { connection in
                    try await connection.copyFrom(
                        table: "raw_entries", columns: columns,
                        logger: logger
                    ) { writer in
                        var buffer = ByteBuffer()
                        buffer.reserveCapacity(batch.count * 400)
                        for entry in batch {
                            buffer.writeCopyText(Int64(entry.deviceID.rawValue))
                            buffer.writeInteger(UInt8(ascii: "\t"))
                            buffer.writeCopyText(Int64(entry.sequence))
                            buffer.writeInteger(UInt8(ascii: "\t"))
                            for value in EntryColumns(entry.record).values {
                                if let value { buffer.writeCopyText(value) } else { buffer.writeString("\\N") }
                                buffer.writeInteger(UInt8(ascii: "\t"))
                            }
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

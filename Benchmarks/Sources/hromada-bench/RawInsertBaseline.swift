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
    /// The shape of the table: schema 5's (the baseline), and for measuring what the columns and
    /// each index cost (`hromada-bench index-cost`), schema 4's and schema 5's with a route index.
    enum Shape: String, CaseIterable {
        /// Seven columns and the device-time index, as before schema 5.
        case schema4 = "schema 4 (7 columns, device_time index)"
        /// Schema 5: the entry's fields in columns, the device-time and card indexes.
        case schema5 = "schema 5 (18 columns, device-time and card indexes)"
        /// Schema 5 and an index on (route, device_time, device_id, sequence).
        case schema5WithRoute = "schema 5 + a route index"

        /// The derived columns the shape has (the schema-4 table has only kind and device time).
        var derived: ArraySlice<String> { self == .schema4 ? EntryColumns.names.prefix(2) : EntryColumns.names[...] }
        /// The columns in insert order.
        var columns: [String] { ["device_id", "sequence"] + derived + ["bytes", "hash", "received_at"] }
        /// Rows a multi-row INSERT carries: under 999 parameters.
        var rowsPerStatement: Int { 990 / columns.count }

        /// The derived values of `entry` the shape stores.
        func values(_ entry: LedgerEntry) -> ArraySlice<Int64?> { EntryColumns(entry.record).values.prefix(derived.count) }

        /// The table and its indexes.
        func schema(bigint: String, blob: String) -> [String] {
            let extra = derived.dropFirst(2).map { ", \($0) \(bigint)" }.joined()
            var statements = [
                "CREATE TABLE IF NOT EXISTS raw_entries (device_id \(bigint) NOT NULL, sequence \(bigint) NOT NULL, kind \(bigint) NOT NULL, device_time \(bigint) NOT NULL\(extra), bytes \(blob) NOT NULL, hash \(blob) NOT NULL, received_at \(bigint) NOT NULL, PRIMARY KEY (device_id, sequence))",
            ]
            if self == .schema4 {
                statements.append("CREATE INDEX IF NOT EXISTS raw_entries_by_device_time ON raw_entries (device_time)")
                return statements
            }
            statements += [
                "CREATE INDEX IF NOT EXISTS raw_entries_by_device_time ON raw_entries (device_time, device_id, sequence)",
                "CREATE INDEX IF NOT EXISTS raw_entries_by_card ON raw_entries (card_serial, device_time, device_id, sequence) WHERE card_serial IS NOT NULL",
            ]
            if self == .schema5WithRoute {
                statements.append("CREATE INDEX IF NOT EXISTS raw_entries_by_route ON raw_entries (route, device_time, device_id, sequence) WHERE route IS NOT NULL")
            }
            return statements
        }
    }

    /// Inserts `batches` into a fresh table in the SQLite file at `path`.
    /// `servicePragmas`: with the page cache, checkpoint interval and temporary store the service sets (false:
    /// SQLite's defaults, as the baseline was before the service set them).
    static func sqlite(path: String, batches: [[LedgerEntry]], receivedAt: Int64, shape: Shape = .schema5, servicePragmas: Bool = true) throws {
        let columns = shape.columns
        let sqliteRowsPerStatement = shape.rowsPerStatement
        let database = try SQLiteConnection(path: path, flags: [.readWrite, .create, .fullMutex])
        defer { database.close() }
        let mode = try database.prepare("PRAGMA journal_mode = WAL")
        _ = try mode.step()
        mode.reset()
        try database.execute("PRAGMA synchronous = FULL")
        // The page cache, checkpoint interval and temporary store the service's SQLiteStorage sets for ingest.
        if servicePragmas {
            try database.execute("PRAGMA cache_size = -32768")
            try database.execute("PRAGMA wal_autocheckpoint = 8000")
            try database.execute("PRAGMA temp_store = MEMORY")
        }
        for statement in shape.schema(bigint: "INTEGER", blob: "BLOB") { try database.execute(statement) }
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
                        for value in shape.values(entry) {
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

    /// Each batch's rows in COPY's text format, one buffer a batch. Encoded before the clock
    /// starts (`postgres(configuration:rows:logger:shape:)` takes them ready), so the baseline
    /// times the server's COPY and commit alone: the service's own encoding, which runs while its
    /// transaction begins, is part of what the ingest is measured doing.
    static func copyRows(_ batches: [[LedgerEntry]], receivedAt: Int64, shape: Shape = .schema5) -> [ByteBuffer] {
        batches.map { batch in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(batch.count * 480)
            for entry in batch {
                buffer.writeCopyText(Int64(entry.deviceID.rawValue))
                buffer.writeInteger(UInt8(ascii: "\t"))
                buffer.writeCopyText(Int64(entry.sequence))
                buffer.writeInteger(UInt8(ascii: "\t"))
                for value in shape.values(entry) {
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
            return buffer
        }
    }

    /// COPYs `rows` (`copyRows`) into a fresh table of the PostgreSQL database, one COPY and
    /// one transaction a batch.
    static func postgres(
        configuration: PostgresClient.Configuration, rows: [ByteBuffer], logger: Logger, shape: Shape = .schema5
    ) async throws {
        let columns = shape.columns
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            for statement in shape.schema(bigint: "BIGINT", blob: "BYTEA") {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            for batch in rows {
                try await client.withConnection { connection in
                    try await connection.copyFrom(table: "raw_entries", columns: columns, logger: logger) { writer in
                        try await writer.write(batch)
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

import Identifiers
import LedgerCore
import Logging
import NIOCore
import PostgresNIO
import SQLiteSupport

/// The same rows the service stores, written with no verification at all: the floor that
/// ingest's cost is measured against (AccountingBenchmark). Benchmark code only: it lives here,
/// not in the product.
///
/// SQLite: one transaction per batch, one prepared INSERT per row, WAL and `synchronous=FULL`
/// as the service uses. PostgreSQL: one COPY per batch (binary rows as text hex).
enum RawInsertBaseline {
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
        let insert = try database.prepare("INSERT INTO raw_entries VALUES (?, ?, ?, ?, ?, ?, ?)")
        for batch in batches {
            try database.write { _ in
                for entry in batch {
                    try insert.run([
                        .integer(Int64(entry.deviceID.rawValue)), .integer(Int64(entry.sequence)), .integer(Int64(entry.record.kind.rawValue)),
                        .integer(entry.record.deviceTime.rawValue), .blob(entry.canonicalBytes), .blob(entry.hash.bytes), .integer(receivedAt),
                    ])
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
                        for entry in batch {
                            buffer.writeString(
                                "\(entry.deviceID.rawValue)\t\(entry.sequence)\t\(entry.record.kind.rawValue)\t\(entry.record.deviceTime.rawValue)\t\\\\x\(Hex.encode(entry.canonicalBytes))\t\\\\x\(entry.hash.hex)\t\(receivedAt)\n")
                        }
                        try await writer.write(buffer)
                    }
                }
            }
            group.cancelAll()
        }
    }
}

import AccountingStore
import Foundation
import LedgerCore
import Logging
import PostgresNIO

/// What schema 5's columns and each index cost a bulk insert: the raw insert of the same rows
/// into a table of schema 4's shape, of schema 5's, and of schema 5's with a route index, the
/// three shapes interleaved in each round so that they meet the same disk and load.
enum IndexCostBenchmark {
    static func run(entries: Int, rounds: Int, directory: String, postgresURL: String?) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let fleet = try Fleet(devices: 1, entries: entries, pki: try BenchPKI())
        let batches = fleet.devices.flatMap(\.batches)
        let total = batches.count * AccountingBenchmark.batchSize
        let scratch = "\(directory)/hromada-bench-index-cost-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        print("index-cost: \(total) entries in batches of 1000, a transaction each, \(rounds) rounds; sqlite in \(directory) (\(AccountingBenchmark.fileSystemNote(directory)))")
        var server: PostgresServer?
        if let postgresURL, case .postgres(let host, let port, let user, let password, _) = StorageLocation(postgresURL) {
            server = PostgresServer(host: host, port: port, user: user, password: password)
        }
        var rates: [String: [Double]] = [:]
        for round in 0..<rounds {
            for shape in RawInsertBaseline.Shape.allCases {
                let sqlite = try AccountingBenchmark.timed {
                    try RawInsertBaseline.sqlite(path: "\(scratch)/raw-\(round)-\(shape.columns.count)-\(shape.hashValue).sqlite", batches: batches, receivedAt: 1_800_000_000, shape: shape)
                }
                rates["sqlite, \(shape.rawValue)", default: []].append(Double(total) / sqlite)
                if let server {
                    let location = try await server.createDatabase("bench_index_cost_\(Int.random(in: 0..<1_000_000))", logger: logger)
                    guard case .postgres(let host, let port, let user, let password, let database) = location else { continue }
                    let rows = RawInsertBaseline.copyRows(batches, receivedAt: 1_800_000_000, shape: shape)
                    let postgres = try await AccountingBenchmark.timedAsync {
                        try await RawInsertBaseline.postgres(
                            configuration: .init(host: host, port: port, username: user, password: password, database: database, tls: .disable),
                            rows: rows, logger: logger, shape: shape)
                    }
                    try await server.dropDatabase(database, logger: logger)
                    rates["postgres, \(shape.rawValue)", default: []].append(Double(total) / postgres)
                }
            }
        }
        for engine in ["sqlite", "postgres"] {
            for shape in RawInsertBaseline.Shape.allCases {
                guard let values = rates["\(engine), \(shape.rawValue)"]?.sorted() else { continue }
                print("\(engine), \(shape.rawValue): median \(format(values[values.count / 2], 0)) entries/s (\(values.map { format($0, 0) }.joined(separator: ", ")))")
            }
        }
    }
}

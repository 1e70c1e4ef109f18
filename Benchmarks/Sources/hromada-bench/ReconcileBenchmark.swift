import AccountingStore
import Foundation
import Entitlements
import Identifiers
import Logging
import PostgresNIO
import ReconcileTool
import Reconciliation
import ReconciliationSimulator
import SQLiteSupport

/// A month of simulated traffic (`MonthSimulator`, fast path into the store) reconciled end to
/// end from SQLite and from PostgreSQL, beside a raw `GROUP BY` over the same rows in the same
/// run; time and peak memory of each (docs/reconcile-tool.md, "Benchmark").
enum ReconcileBenchmark {
    static func run(entryCounts: [Int], devices: Int, directory: String, postgresURL: String?) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let scratch = "\(directory)/hromada-bench-reconcile-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        print("reconcile: \(devices) devices, months of \(entryCounts.map(String.init).joined(separator: ", ")) entries (simulated, faults planted); sqlite files in \(directory)")
        let server: PostgresServer?
        if let postgresURL, case .postgres(let host, let port, let user, let password, _) = StorageLocation(postgresURL) {
            server = PostgresServer(host: host, port: port, user: user, password: password)
        } else {
            server = nil
            print("postgres: HROMADA_POSTGRES_URL not set; SQLite only")
        }
        for entries in entryCounts {
            let parameters = SimulationParameters.benchmark(entries: entries, devices: devices)
            var locations: [(String, StorageLocation)] = [("sqlite", .sqlite(path: "\(scratch)/month-\(entries).sqlite"))]
            if let server {
                locations.append(("postgres", try await server.createDatabase("bench_reconcile_\(entries)_\(Int.random(in: 0..<1_000_000))", logger: logger)))
            }
            for (name, location) in locations {
                // Load (not part of the goal): the month generated day by day straight into the store.
                let clock = ContinuousClock()
                let loadStart = clock.now
                let stored = try await location.withStorage(logger: logger) { storage in
                    var simulator = try MonthSimulator(parameters)
                    var loader = StoreLoader(community: simulator.community)
                    try await loader.registerDevices(in: storage)
                    while let day = try simulator.nextDay() { try await loader.write(day, into: storage) }
                    let month = SimulatedMonth(parameters: parameters, community: simulator.community, reference: simulator.reference, uploads: [], truth: simulator.truth)
                    try await month.storeReference(in: storage)
                    return loader.storedEntries
                }
                let loadSeconds = seconds(clock.now - loadStart)
                print("\(name) \(entries): loaded \(stored) entries in \(format(loadSeconds, 1)) s (fast path, \(format(Double(stored) / loadSeconds, 0)) entries/s)")

                let period = try ReportingPeriod(month: String(format: "%04d-%02d", parameters.year, parameters.month))
                PeakMemory.reset()
                let before = PeakMemory.residentKilobytes()
                let rawStart = clock.now
                let groups = try await rawGroupBy(location, period: period, logger: logger)
                let rawSeconds = seconds(clock.now - rawStart)
                print("\(name) \(entries): raw GROUP BY (route, category, day) over benefit-use rows: \(groups) groups in \(format(rawSeconds, 2)) s")

                PeakMemory.reset()
                let runStart = clock.now
                let out = "\(scratch)/report-\(name)-\(entries)"
                var readSeconds = 0.0
                var reconcileSeconds = 0.0
                let (loaded, report) = try await location.withStorage(logger: logger) { storage in
                    let readStart = clock.now
                    let loaded = try await StoreInput.load(from: storage, period: period)
                    readSeconds = seconds(clock.now - readStart)
                    let reconcileStart = clock.now
                    let report = reconcile(loaded.input)
                    reconcileSeconds = seconds(clock.now - reconcileStart)
                    return (loaded, report)
                }
                let writeStart = clock.now
                let files = try ReportRun.render(report, loaded: loaded, community: "bench", financeKey: nil, generatedAt: UnixTime(0)).files
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                for file in files { try Data(file.bytes).write(to: URL(fileURLWithPath: "\(out)/\(file.name)")) }
                let writeSeconds = seconds(clock.now - writeStart)
                let runSeconds = seconds(clock.now - runStart)
                let peak = PeakMemory.kilobytes()
                print(
                    "\(name) \(entries): hromada-reconcile report end to end \(format(runSeconds, 2)) s (read \(format(readSeconds, 2)) s, reconcile \(format(reconcileSeconds, 2)) s, render and write \(format(writeSeconds, 2)) s), \(loaded.entriesRead) entries read, \(report.lines.count) lines, \(report.exceptions.count) exceptions; peak memory (VmHWM) \(format(Double(peak) / 1024, 1)) MiB (\(format(Double(before) / 1024, 1)) MiB before); \(format(runSeconds / max(rawSeconds, 0.001), 1))× the raw GROUP BY"
                )
            }
        }
    }

    static func seconds(_ duration: Duration) -> Double { Double(duration.nanoseconds) / 1e9 }

    /// The floor: one aggregate query over the entry columns, no verification, no rules.
    static func rawGroupBy(_ location: StorageLocation, period: ReportingPeriod, logger: Logger) async throws -> Int {
        let sql = """
            SELECT route, category, (device_time + 7200) / 86400 AS day, count(*), sum(full_fare), sum(fare) FROM entries
            WHERE kind = 4 AND device_time >= \(period.start.rawValue) AND device_time < \(period.end.rawValue)
            GROUP BY route, category, day
            """
        switch location {
        case .sqlite(let path):
            let database = try SQLiteConnection(path: path, flags: [.readOnly, .fullMutex])
            defer { database.close() }
            let statement = try database.prepare(sql)
            var groups = 0
            while try statement.step() { groups += 1 }
            return groups
        case .postgres(let host, let port, let user, let password, let name):
            let client = PostgresClient(configuration: .init(host: host, port: port, username: user, password: password, database: name, tls: .disable))
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                var groups = 0
                for try await _ in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger) { groups += 1 }
                return groups
            }
        case .postgresSocket:
            throw BenchmarkFailure("the benchmark connects to PostgreSQL over TCP")
        }
    }
}

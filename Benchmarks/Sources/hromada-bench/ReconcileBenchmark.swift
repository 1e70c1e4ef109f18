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
/// run; time and peak memory of each (docs/reconciliation.md, "Benchmark").
///
/// The report is streamed from the store device by device (`StoreInput.reconcile`, what
/// `hromada-reconcile report` runs); months up to `inMemoryUpTo` entries are also reconciled the
/// old way (every entry loaded, then `reconcile(_:)`) as a baseline, and the two reports are
/// checked byte-identical.
enum ReconcileBenchmark {
    static func run(entryCounts: [Int], devices: Int, directory: String, postgresURL: String?, inMemoryUpTo: Int, engines: Set<String>,
        keep: Bool, loadOnly: Bool, pageSize: Int
    ) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        // Kept months live under fixed names and are loaded once (a 10M month takes a quarter of
        // an hour to generate); otherwise every run starts from fresh files it removes after.
        let scratch = keep ? "\(directory)/kept" : "\(directory)/hromada-bench-reconcile-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(atPath: scratch) } }
        print("reconcile: \(devices) devices, months of \(entryCounts.map(String.init).joined(separator: ", ")) entries (simulated, faults planted); sqlite files in \(directory)")
        var server: PostgresServer?
        // A socket URL (`postgres://USER@/postgres?socket=PATH`) reaches a server started in another
        // process's network namespace; it measures kept months only (no database is created).
        var socket: (path: String, user: String, password: String?)?
        switch postgresURL.flatMap(StorageLocation.init) {
        case .postgres(let host, let port, let user, let password, _) where engines.contains("postgres"):
            server = PostgresServer(host: host, port: port, user: user, password: password)
        case .postgresSocket(let path, let user, let password, _) where engines.contains("postgres"):
            guard keep else { throw BenchmarkFailure("a socket URL measures kept months only (--keep)") }
            socket = (path, user, password)
        default:
            print("postgres: HROMADA_POSTGRES_URL not set (or not chosen); no PostgreSQL")
        }
        for entries in entryCounts {
            let parameters = SimulationParameters.benchmark(entries: entries, devices: devices)
            let month = "month-\(entries)-\(devices)"
            var locations: [(String, StorageLocation)] = []
            if engines.contains("sqlite") {
                let path = "\(scratch)/\(month).sqlite"
                if !(keep && FileManager.default.fileExists(atPath: "\(path).loaded")) {
                    for suffix in ["", "-wal", "-shm", ".loaded"] { try? FileManager.default.removeItem(atPath: path + suffix) }
                }
                locations.append(("sqlite", .sqlite(path: path)))
            }
            if let server {
                let name = keep ? "bench_reconcile_\(entries)_\(devices)" : "bench_reconcile_\(entries)_\(Int.random(in: 0..<1_000_000))"
                if !(keep && FileManager.default.fileExists(atPath: "\(scratch)/\(name).loaded")) {
                    try? FileManager.default.removeItem(atPath: "\(scratch)/\(name).loaded")
                    try await server.dropDatabase(name, logger: logger)
                    _ = try await server.createDatabase(name, logger: logger)
                }
                locations.append(("postgres", .postgres(host: server.host, port: server.port, user: server.user, password: server.password, database: name)))
            }
            if let socket {
                let name = "bench_reconcile_\(entries)_\(devices)"
                if FileManager.default.fileExists(atPath: "\(scratch)/\(name).loaded") {
                    locations.append(("postgres", .postgresSocket(path: socket.path, user: socket.user, password: socket.password, database: name)))
                } else {
                    print("postgres \(entries): not loaded yet; skipped")
                }
            }
            for (name, location) in locations {
                let marker: String
                switch location {
                case .sqlite(let path): marker = "\(path).loaded"
                case .postgres(_, _, _, _, let database), .postgresSocket(_, _, _, let database): marker = "\(scratch)/\(database).loaded"
                }
                let clock = ContinuousClock()
                if keep, FileManager.default.fileExists(atPath: marker) {
                    print("\(name) \(entries): kept month reused (\(marker))")
                } else {
                    try await load(parameters, into: location, name: name, entries: entries, logger: logger)
                    if keep { _ = FileManager.default.createFile(atPath: marker, contents: Data()) }
                }
                if loadOnly { continue }

                let period = try ReportingPeriod(month: String(format: "%04d-%02d", parameters.year, parameters.month))
                PeakMemory.reset()
                let before = PeakMemory.residentKilobytes()
                let rawStart = clock.now
                let groups = try await rawGroupBy(location, period: period, logger: logger)
                let rawSeconds = seconds(clock.now - rawStart)
                print("\(name) \(entries): raw GROUP BY (route, category, day) over benefit-use rows: \(groups) groups in \(format(rawSeconds, 2)) s")

                PeakMemory.reset()
                let cpuStart = processorSeconds()
                let runStart = clock.now
                let out = "\(scratch)/report-\(name)-\(entries)"
                var streamSeconds = 0.0
                let (report, loaded) = try await location.withStorage(logger: logger) { storage in
                    let start = clock.now
                    defer { streamSeconds = seconds(clock.now - start) }
                    return try await StoreInput.reconcile(from: storage, period: period, pageSize: pageSize)
                }
                let peakBeforeRender = PeakMemory.kilobytes()
                let writeStart = clock.now
                let files = try ReportRun.render(report, loaded: loaded, community: "bench", financeKey: nil, generatedAt: UnixTime(0)).files
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                for file in files { try Data(file.bytes).write(to: URL(fileURLWithPath: "\(out)/\(file.name)")) }
                let writeSeconds = seconds(clock.now - writeStart)
                let runSeconds = seconds(clock.now - runStart)
                let cpuSeconds = processorSeconds() - cpuStart
                let peak = PeakMemory.kilobytes()
                print(
                    "\(name) \(entries): hromada-reconcile report (pages of \(pageSize)) end to end \(format(runSeconds, 2)) s wall, \(format(cpuSeconds, 2)) s CPU (read and reconcile, streamed \(format(streamSeconds, 2)) s, render and write \(format(writeSeconds, 2)) s), \(loaded.entriesRead) entries read, \(report.lines.count) lines, \(report.exceptions.count) exceptions; peak memory (VmHWM) \(format(Double(peak) / 1024, 1)) MiB (\(format(Double(peakBeforeRender) / 1024, 1)) MiB before the render, \(format(Double(before) / 1024, 1)) MiB before the run); \(format(runSeconds / max(rawSeconds, 0.001), 1))× the raw GROUP BY; load average \(loadAverage())"
                )
                guard entries <= inMemoryUpTo else { continue }
                // Encoded only when compared: the model lists every counted ride, so its JSON is
                // large, and heap profiles of a streamed run should show the run, not this.
                let streamedJSON = try ReportRun.reportJSON(report)
                // The baseline: the whole month in memory, then the rules (the path before streaming).
                PeakMemory.reset()
                let baselineStart = clock.now
                var readSeconds = 0.0
                let baseline = try await location.withStorage(logger: logger) { storage in
                    let loaded = try await StoreInput.load(from: storage, period: period)
                    readSeconds = seconds(clock.now - baselineStart)
                    return reconcile(loaded.input)
                }
                let baselineSeconds = seconds(clock.now - baselineStart)
                let baselinePeak = PeakMemory.kilobytes()
                let identical = try ReportRun.reportJSON(baseline) == streamedJSON
                print(
                    "\(name) \(entries): baseline, whole month in memory: read \(format(readSeconds, 2)) s, reconcile \(format(baselineSeconds - readSeconds, 2)) s (without render), peak memory (VmHWM) \(format(Double(baselinePeak) / 1024, 1)) MiB; report.json \(identical ? "byte-identical to the streamed one" : "DIFFERS from the streamed one"); load average \(loadAverage())"
                )
                if !identical { throw BenchmarkFailure("\(name) \(entries): the streamed report differs from the in-memory one") }
            }
        }
    }

    /// User and system CPU time of the process so far (`getrusage`), in seconds: on a shared
    /// machine the wall time of a run depends on the other processes, its CPU time much less.
    static func processorSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    /// `/proc/loadavg`'s 1, 5 and 15 minute averages: the machine is shared, so each number says
    /// how busy it was.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// Load (not part of the goal): the month generated day by day straight into the store, the
    /// rows ingest would write (`StoreLoader`).
    static func load(_ parameters: SimulationParameters, into location: StorageLocation, name: String, entries: Int, logger: Logger) async throws {
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
        print("\(name) \(entries): loaded \(stored) entries in \(format(loadSeconds, 1)) s (fast path, \(format(Double(stored) / loadSeconds, 0)) entries/s); load average \(loadAverage())")
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
            return try await count(sql, client: client, logger: logger)
        case .postgresSocket(let path, let user, let password, let name):
            let client = PostgresClient(configuration: .init(unixSocketPath: path, username: user, password: password, database: name))
            return try await count(sql, client: client, logger: logger)
        }
    }

    /// Rows of `sql` on `client`.
    static func count(_ sql: String, client: PostgresClient, logger: Logger) async throws -> Int {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            var groups = 0
            for try await _ in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger) { groups += 1 }
            return groups
        }
    }
}

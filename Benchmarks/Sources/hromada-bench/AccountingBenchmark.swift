import AccountingCore
import AccountingService
import AccountingStore
import AsyncHTTPClient
import Crypto
import Entitlements
import Foundation
import Hummingbird
import Identifiers
import LedgerCore
import Logging
import NIOCore
import PostgresNIO
import Tariff

/// Ingest over HTTP (batches of 1000, every check) into SQLite and PostgreSQL from 1, 4 and 10
/// devices uploading at once, beside the raw bulk insert of the same rows in the same run;
/// replays of the same batches; peak memory of each phase.
enum AccountingBenchmark {
    /// The batch size validators upload (and the service's limit).
    static let batchSize = 1000

    /// Runs the benchmark: `entries` ledger entries per run, split evenly over each count of
    /// `deviceCounts`, each device keeping each count of `inFlight` batches in flight; SQLite
    /// files in `directory`; PostgreSQL when `postgresURL` is given.
    static func run(entries: Int, deviceCounts: [Int], inFlight: [Int], directory: String, postgresURL: String?) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let pki = try BenchPKI()
        // Only the bodies are kept of each fleet, so that the benchmark's own data weighs little in
        // the peak memory reported; the raw baseline decodes its rows from them before each run.
        var fleets: [Int: Fleet] = [:]
        for count in deviceCounts.sorted() {
            fleets[count] = try Fleet(devices: count, entries: entries, pki: pki).withoutEntries()
        }
        let total = (fleets[deviceCounts.min() ?? 1]?.devices.reduce(0) { $0 + $1.batchCount } ?? 0) * batchSize
        print("accounting: \(total) entries a run in batches of \(batchSize) (body ≈ \(fleets.values.first?.devices[0].bodies[0].count ?? 0) bytes); devices at once: \(deviceCounts.map(String.init).joined(separator: ", ")); batches in flight per device: \(inFlight.map(String.init).joined(separator: ", "))")

        let scratch = "\(directory)/hromada-bench-accounting-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        print("sqlite: files in \(directory) (WAL, synchronous=FULL; \(fileSystemNote(directory)))")

        var engines: [Engine] = []
        // HROMADA_SKIP_SQLITE=1 leaves SQLite out (a PostgreSQL-only run, for profiling it).
        if ProcessInfo.processInfo.environment["HROMADA_SKIP_SQLITE"] != "1" {
            engines.append(
                Engine(
                    name: "sqlite", rawMethod: "one prepared multi-row INSERT per 1000 rows, a transaction each",
                    location: { .sqlite(path: "\(scratch)/accounting-\($0).sqlite") },
                    raw: { run, rows in try timed { try RawInsertBaseline.sqlite(path: "\(scratch)/raw-\(run).sqlite", batches: rows, receivedAt: 1_800_000_000) } },
                    rawAtDefaults: { run, rows in
                        try timed {
                            try RawInsertBaseline.sqlite(path: "\(scratch)/raw-defaults-\(run).sqlite", batches: rows, receivedAt: 1_800_000_000, servicePragmas: false)
                        }
                    }))
        }
        if let postgresURL, case .postgres(let host, let port, let user, let password, _) = StorageLocation(postgresURL) {
            let server = PostgresServer(host: host, port: port, user: user, password: password)
            let settings = try await server.settings(["fsync", "synchronous_commit", "data_directory"], logger: logger)
            print("postgres: \(host):\(port), \(settings.map { "\($0.0)=\($0.1)" }.joined(separator: ", "))")
            engines.append(
                Engine(
                    name: "postgres", rawMethod: "one COPY per 1000 rows, a transaction each",
                    location: { run in try await server.createDatabase("bench_service_\(run)_\(Int.random(in: 0..<1_000_000))", logger: logger) },
                    discard: { location in
                        if case .postgres(_, _, _, _, let database) = location { try await server.dropDatabase(database, logger: logger) }
                    },
                    raw: { _, rows in
                        let location = try await server.createDatabase("bench_raw_\(Int.random(in: 0..<1_000_000))", logger: logger)
                        guard case .postgres(let host, let port, let user, let password, let database) = location else { return 0 }
                        let copyRows = RawInsertBaseline.copyRows(rows, receivedAt: 1_800_000_000)
                        let seconds = try await timedAsync {
                            try await RawInsertBaseline.postgres(
                                configuration: .init(host: host, port: port, username: user, password: password, database: database, tls: .disable),
                                rows: copyRows, logger: logger)
                        }
                        try await server.dropDatabase(database, logger: logger)
                        return seconds
                    }))
        } else {
            print("accounting: PostgreSQL skipped (no HROMADA_POSTGRES_URL / cluster)")
        }

        // Each run's files and databases are named after its number: a fresh table every run.
        var runNumber = 0
        for engine in engines {
            print("\(engine.name): raw bulk insert = the same rows by \(engine.rawMethod), into a fresh table right before each run (each run's own rows, its devices' batches in turn)")
            for count in deviceCounts {
                for window in inFlight {
                    guard let fleet = fleets[count] else { continue }
                    runNumber += 1
                    // The baseline right before the run it is compared with: on a shared machine the
                    // disk and the processors change speed from one minute to the next.
                    // The run's own rows, in the order its devices' batches arrive (one batch of each
                    // device in turn): ten devices' rows go into the table's indexes at ten places.
                    var rows = try fleet.rowsInArrivalOrder()
                    // This fleet's own count: entries that do not split evenly over its devices are left out.
                    let runTotal = rows.reduce(0) { $0 + $1.count }
                    if let defaults = engine.rawAtDefaults {
                        let rate = Double(runTotal) / (try await defaults(runNumber, rows))
                        print("\(engine.name): raw bulk insert at the engine's default cache and checkpoint settings: \(format(rate, 0)) entries/s")
                    }
                    let rawRate = Double(runTotal) / (try await engine.raw(runNumber, rows))
                    rows = []
                    PeakMemory.reset()
                    let before = PeakMemory.residentKilobytes()
                    let location = try await engine.location(runNumber)
                    let run = try await ingestOverHTTP(fleet, into: location, inFlight: window, pki: pki, logger: logger)
                    try await engine.discard(location)
                    let ingestRate = Double(runTotal) / run.ingestSeconds
                    let replayRate = Double(runTotal) / run.replaySeconds
                    let devices = (count == 1 ? "1 device" : "\(count) devices") + ", \(window) in flight"
                    print("\(engine.name), \(devices): ingest \(format(ingestRate, 0)) entries/s, \(format(ingestRate / rawRate * 100, 1)) % of raw (\(format(rawRate, 0)) entries/s); a batch \(run.ingest)")
                    let busy = run.ingestProcessor.total / run.ingestSeconds
                    print(
                        "\(engine.name), \(devices): processor time of the ingest (service and client, one process): \(format(run.ingestProcessor.total * 1000 / Double(run.batches), 2)) ms a batch (user \(format(run.ingestProcessor.user * 1000 / Double(run.batches), 2)), system \(format(run.ingestProcessor.system * 1000 / Double(run.batches), 2))), \(format(busy, 2)) of \(System.coreCount) cores busy"
                    )
                    print("\(engine.name), \(devices): the client's request signing, before the clock: \(format(run.signingSeconds * 1000 / Double(run.batches), 3)) ms a batch")
                    print("\(engine.name), \(devices): replay \(format(replayRate, 0)) entries/s (\(format(Double(run.batches) / run.replaySeconds, 0)) batches/s); a batch \(run.replay)")
                    let peak = PeakMemory.kilobytes()
                    print("\(engine.name), \(devices): peak memory (VmHWM) \(format(Double(peak) / 1024, 1)) MiB, \(format(Double(peak - before) / 1024, 1)) MiB above the \(format(Double(before) / 1024, 1)) MiB resident before the run")
                }
            }
        }
        print("accounting: peak memory of the whole run (maxrss) \(format(Double(PeakMemory.maximumResidentKilobytes()) / 1024, 1)) MiB")
    }

    /// One engine's storage per run, and its raw baseline.
    struct Engine {
        let name: String
        let rawMethod: String
        /// A fresh storage for run `number`.
        let location: (Int) async throws -> StorageLocation
        /// Removes a run's storage once measured (a server's databases would pile up run after
        /// run; SQLite's files go with the scratch directory).
        var discard: (StorageLocation) async throws -> Void = { _ in }
        /// Seconds for the raw bulk insert of the batches of rows given, into a fresh table named after `run`.
        let raw: (Int, [[LedgerEntry]]) async throws -> Double
        /// The same at the engine's default settings, where the service sets its own (SQLite).
        var rawAtDefaults: ((Int, [[LedgerEntry]]) async throws -> Double)? = nil
    }

    struct RunResult {
        var ingest: Latencies
        var replay: Latencies
        var ingestSeconds: Double
        var replaySeconds: Double
        /// The client's signing of the ingest requests, done before the clock starts.
        var signingSeconds: Double
        /// The processor time of the whole process (service and client) during the ingest.
        var ingestProcessor: ProcessorTime
        var batches: Int
    }

    /// Serves a fresh storage over HTTP on loopback, uploads every device's batches (the devices
    /// at once, each one batch after another, as validators do), then the same batches again.
    static func ingestOverHTTP(_ fleet: Fleet, into location: StorageLocation, inFlight: Int, pki: BenchPKI, logger: Logger) async throws -> RunResult {
        try await location.withStorage(logger: logger) { storage in
            for device in fleet.devices {
                try await storage.register(DeviceRegistration(deviceID: device.id, certificate: device.certificate, label: "bench-\(device.id)", registeredAt: UnixTime(Date())))
            }
            let engine = AccountingEngine(
                storage: storage,
                configuration: AccountingConfiguration(
                    community: "bench", rootKeyID: pki.rootID, rootPublicKey: pki.rootPublic, revocations: RevocationList(),
                    serviceKey: pki.serviceKey, now: { UnixTime(Date()) }),
                logger: logger)
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = AccountingRoutes.application(engine: engine, host: "127.0.0.1", port: 0, logger: logger) { continuation.yield($0) }
            let server = Task { try await app.run() }
            var port = 0
            for await bound in ports {
                port = bound
                break
            }
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, fleet.devices.count * inFlight))
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let url = "http://127.0.0.1:\(port)/v1/ledger/batches"
            let (ingest, ingestSeconds, signing, processor) = try await uploadAll(
                fleet, to: url, inFlight: inFlight, client: client, expecting: "accepted", name: "ingest")
            let (replay, replaySeconds, _, _) = try await uploadAll(fleet, to: url, inFlight: inFlight, client: client, expecting: "replayed", name: "replay")
            let held = try await storage.entryCount()
            let expected = fleet.devices.reduce(0) { $0 + $1.batchCount * batchSize }
            guard held == expected else { throw BenchmarkFailure("the storage holds \(held) entries, expected \(expected)") }
            try await client.shutdown()
            server.cancel()
            _ = try? await server.value
            return RunResult(
                ingest: ingest, replay: replay, ingestSeconds: ingestSeconds, replaySeconds: replaySeconds, signingSeconds: signing,
                ingestProcessor: processor,
                batches: fleet.devices.reduce(0) { $0 + $1.batchCount })
        }
    }

    /// Every device uploads its batches in order, all devices at once, each keeping `inFlight`
    /// batches in flight as the uploader does (the next is sent when the oldest is answered);
    /// the per-batch times of all.
    ///
    /// Each request's headers (a fresh nonce and timestamp, the body's hash, the device's
    /// signature) are made before the clock starts: a validator signs on its own processor, not
    /// the service's, and here the two would share the machine's cores inside the timing. The
    /// requests are still every one signed, sent over HTTP and checked in full.
    static func uploadAll(
        _ fleet: Fleet, to url: String, inFlight: Int, client: HTTPClient, expecting outcome: String, name: String
    ) async throws -> (Latencies, Double, signing: Double, processor: ProcessorTime) {
        let clock = ContinuousClock()
        let signingStart = clock.now
        let signed = try fleet.devices.map { device in try device.bodies.map { try signedHeaders(for: $0, from: device) } }
        let signing = seconds(clock.now - signingStart)
        let start = clock.now
        let cpuStart = ProcessorTime.now()
        let durations = try await withThrowingTaskGroup(of: [Double].self) { group in
            for (device, headers) in zip(fleet.devices, signed) {
                group.addTask {
                    var durations: [Double] = []
                    var requests = Array(zip(device.bodies, headers))[...]
                    var sent: [(answer: Task<(status: UInt, body: String), any Error>, started: ContinuousClock.Instant)] = []
                    while !requests.isEmpty || !sent.isEmpty {
                        while sent.count < inFlight, let (body, headers) = requests.popFirst() {
                            sent.append((Task { try await post(body, headers: headers, to: url, client: client) }, clock.now))
                        }
                        let oldest = sent.removeFirst()
                        let answer = try await oldest.answer.value
                        durations.append(Double((clock.now - oldest.started).nanoseconds))
                        guard answer.status == 200, answer.body.contains("\"\(outcome)\"") else {
                            throw BenchmarkFailure("\(name) of device \(device.id) answered \(answer.status): \(answer.body.prefix(300))")
                        }
                    }
                    return durations
                }
            }
            var all: [Double] = []
            for try await durations in group { all += durations }
            return all
        }
        let wall = seconds(clock.now - start)
        let cpu = ProcessorTime.now() - cpuStart
        return (Latencies(durations), wall, signing, cpu)
    }

    /// The headers of one batch signed by `device` (a fresh nonce and timestamp, as the uploader does).
    static func signedHeaders(for body: [UInt8], from device: BenchDevice) throws -> [(String, String)] {
        var rng = SystemRandomNumberGenerator()
        let signed = SignedRequest(
            method: "POST", path: "/v1/ledger/batches", deviceID: device.id, keyID: device.certificate.keyID, timestamp: UnixTime(Date()),
            nonce: SignedRequest.makeNonce(using: &rng), body: body)
        return try signed.headers(certificate: device.certificate, deviceKey: device.key) + [("Content-Type", "application/json")]
    }

    /// POSTs one batch with its signed headers.
    static func post(_ body: [UInt8], headers: [(String, String)], to url: String, client: HTTPClient) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (header, value) in headers {
            request.headers.add(name: header, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(120))
        let answer = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: answer))
    }

    static func timed(_ body: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return seconds(clock.now - start)
    }

    static func timedAsync(_ body: () async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try await body()
        return seconds(clock.now - start)
    }

    static func seconds(_ duration: Duration) -> Double { Double(duration.nanoseconds) / 1e9 }

    /// What kind of file system holds `directory` (a tmpfs makes fsync free), from /proc/mounts.
    static func fileSystemNote(_ directory: String) -> String {
        let path = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return "file system unknown" }
        var best: (mountPoint: String, type: String) = ("", "unknown")
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 2 else { continue }
            let mountPoint = String(fields[1])
            let inside = mountPoint == "/" || path == mountPoint || path.hasPrefix(mountPoint + "/")
            if inside, mountPoint.count >= best.mountPoint.count { best = (mountPoint, String(fields[2])) }
        }
        return best.type == "tmpfs" ? "tmpfs at \(best.mountPoint): fsync costs nothing here" : "\(best.type) at \(best.mountPoint): fsync reaches the disk"
    }
}

/// Per-batch round trips of every device together: median and p99.
struct Latencies: CustomStringConvertible {
    let sorted: [Double]

    init(_ nanoseconds: [Double]) { sorted = nanoseconds.sorted() }

    /// The value below which `fraction` of the round trips fall (nearest rank).
    func percentile(_ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[max(0, min(sorted.count - 1, rank))]
    }

    var description: String { "median \(humanTime(percentile(0.5))), p99 \(humanTime(percentile(0.99)))" }
}

/// The community root, the service key and the device keys of the benchmark (fixed bytes).
struct BenchPKI {
    let rootKey: Curve25519.Signing.PrivateKey
    let rootPublic: SigningPublicKey
    let rootID: KeyID
    let serviceKey: Curve25519.Signing.PrivateKey

    init() throws {
        rootKey = try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 32))
        rootPublic = SigningPublicKey(rootKey.publicKey)
        rootID = KeyID(derivedFrom: rootPublic)
        serviceKey = try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 4, count: 32))
    }

    /// A certified validator key for device number `index` (device id 100 + index, named in its
    /// certificate).
    func device(_ index: Int) throws -> (Curve25519.Signing.PrivateKey, Certificate) {
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: UInt8(16 + index), count: 32))
        let publicKey = SigningPublicKey(key.publicKey)
        let certificate = try CertificateTerms(
            keyID: KeyID(derivedFrom: publicKey), role: .validator, publicKey: publicKey, notBefore: UnixTime(1_700_000_000),
            notAfter: UnixTime(2_100_000_000), issuerKeyID: rootID,
            deviceID: DeviceID(UInt32(100 + index))
        ).signed(with: rootKey)
        return (key, certificate)
    }
}

/// One validator of the benchmark: its chain in batches and their JSON bodies, made outside the timing.
struct BenchDevice: Sendable {
    let id: DeviceID
    let key: Curve25519.Signing.PrivateKey
    let certificate: Certificate
    let batches: [[LedgerEntry]]
    let bodies: [[UInt8]]
    let batchCount: Int
}

/// `devices` validators sharing `entries` entries between them.
struct Fleet {
    let devices: [BenchDevice]

    private init(_ devices: [BenchDevice]) { self.devices = devices }

    /// Every device's batches decoded from the bodies, in the order the devices send them when
    /// all upload at once: the first batch of each device, then the second of each, and so on.
    func rowsInArrivalOrder() throws -> [[LedgerEntry]] {
        let decoded = try devices.map { device in try device.bodies.map { try UploadBatch(jsonBody: $0, limits: .standard).entries } }
        let longest = decoded.map(\.count).max() ?? 0
        return (0..<longest).flatMap { index in decoded.compactMap { index < $0.count ? $0[index] : nil } }
    }

    /// The same fleet holding only the request bodies.
    func withoutEntries() -> Fleet {
        Fleet(devices.map { BenchDevice(id: $0.id, key: $0.key, certificate: $0.certificate, batches: [], bodies: $0.bodies, batchCount: $0.batchCount) })
    }

    init(devices count: Int, entries: Int, pki: BenchPKI) throws {
        let batchSize = AccountingBenchmark.batchSize
        let batchesEach = max(1, entries / batchSize / count)
        var devices: [BenchDevice] = []
        for index in 0..<count {
            let (key, certificate) = try pki.device(index)
            let id = DeviceID(UInt32(100 + index))
            var head = ChainHead.genesis(for: id)
            var batches: [[LedgerEntry]] = []
            var bodies: [[UInt8]] = []
            for batchIndex in 0..<batchesEach {
                var batch: [LedgerEntry] = []
                batch.reserveCapacity(batchSize)
                for position in 0..<batchSize {
                    let serial = UInt64(batchIndex * batchSize + position)
                    let entry = try head.seal(
                        .benefitUse(
                            at: UnixTime(1_790_000_000 + Int64(serial)), card: CardSerial(0x00AA_0000_0000_0000 | UInt64(index) << 32 | serial),
                            layout: 1, entitlement: 3, category: 2, fareKopecks: 0, fullFareKopecks: 1500, route: 7, vehicle: 11))
                    batch.append(entry)
                    head = ChainHead(after: entry)
                }
                batches.append(batch)
                bodies.append(try UploadBatch(deviceID: id, entries: batch, checkpoint: try Checkpoint(signing: head, with: key)).jsonBody())
            }
            devices.append(BenchDevice(id: id, key: key, certificate: certificate, batches: batches, bodies: bodies, batchCount: batches.count))
        }
        self.devices = devices
    }
}

/// The PostgreSQL server the benchmark makes its databases on.
struct PostgresServer {
    let host: String
    let port: Int
    let user: String
    let password: String?

    private func withAdmin<T>(_ logger: Logger, _ body: (PostgresClient) async throws -> T) async throws -> T {
        let admin = PostgresClient(configuration: .init(host: host, port: port, username: user, password: password, database: "postgres", tls: .disable))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            defer { group.cancelAll() }
            return try await body(admin)
        }
    }

    /// A new empty database.
    func createDatabase(_ name: String, logger: Logger) async throws -> StorageLocation {
        try await withAdmin(logger) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        return .postgres(host: host, port: port, user: user, password: password, database: name)
    }

    /// Drops a database if it exists, closing any connection still on it (a run's database once
    /// measured, a kept benchmark month reloaded).
    func dropDatabase(_ name: String, logger: Logger) async throws {
        _ = try await withAdmin(logger) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }

    /// The server's values of `names` (to print what durability was measured).
    func settings(_ names: [String], logger: Logger) async throws -> [(String, String)] {
        try await withAdmin(logger) { admin in
            var out: [(String, String)] = []
            for name in names {
                for try await value in try await admin.query(PostgresQuery(unsafeSQL: "SELECT current_setting('\(name)')"), logger: logger).decode(String.self) {
                    out.append((name, value))
                }
            }
            return out
        }
    }
}

/// The processor time the process has used so far (`getrusage`), user and system, in seconds.
struct ProcessorTime {
    var user: Double
    var system: Double
    var total: Double { user + system }

    static func now() -> ProcessorTime {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return ProcessorTime(user: seconds(usage.ru_utime), system: seconds(usage.ru_stime))
    }

    static func - (later: ProcessorTime, earlier: ProcessorTime) -> ProcessorTime {
        ProcessorTime(user: later.user - earlier.user, system: later.system - earlier.system)
    }
}

/// The process's peak resident memory (Linux `VmHWM`), which the benchmark resets between phases.
enum PeakMemory {
    /// Starts a new peak at the present resident size (Linux: writing 5 to `/proc/self/clear_refs`).
    static func reset() {
        guard let file = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return }
        try? file.write(contentsOf: Data("5".utf8))
        try? file.close()
    }

    /// `VmHWM` in KiB: the peak since the last reset (or since the start).
    static func kilobytes() -> Int { status("VmHWM:") ?? maximumResidentKilobytes() }

    /// `VmRSS` in KiB: resident now.
    static func residentKilobytes() -> Int { status("VmRSS:") ?? 0 }

    private static func status(_ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// The peak of the whole process (`getrusage`), never reset.
    static func maximumResidentKilobytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

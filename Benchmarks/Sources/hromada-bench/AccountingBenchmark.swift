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

/// Ingest over HTTP (batches of 1000, every check) into SQLite and PostgreSQL, beside raw bulk
/// inserts of the same rows; replays per second; peak memory.
enum AccountingBenchmark {
    /// Runs the benchmark with `entries` ledger entries per engine; PostgreSQL when `postgresURL` is given.
    static func run(entries: Int = 100_000, postgresURL: String? = nil) async throws {
        let batchSize = 1000
        let batchCount = max(1, entries / batchSize)
        let deviceKey = try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 2, count: 32))
        let rootKey = try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 32))
        let serviceKey = try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 4, count: 32))
        let rootPublic = SigningPublicKey(rootKey.publicKey)
        let rootID = KeyID(derivedFrom: rootPublic)
        let devicePublic = SigningPublicKey(deviceKey.publicKey)
        let device = DeviceID(17)
        let certificate = try CertificateTerms(
            keyID: KeyID(derivedFrom: devicePublic), role: .validator, publicKey: devicePublic, notBefore: UnixTime(1_700_000_000),
            notAfter: UnixTime(2_100_000_000), issuerKeyID: rootID, deviceID: device
        ).signed(with: rootKey)

        // The device side, prepared outside the timing: the chain, batches, their JSON bodies.
        var head = ChainHead.genesis(for: device)
        var batches: [[LedgerEntry]] = []
        var bodies: [[UInt8]] = []
        for batchIndex in 0..<batchCount {
            var batch: [LedgerEntry] = []
            for index in 0..<batchSize {
                let serial = UInt64(batchIndex * batchSize + index)
                let entry = try head.seal(
                    .benefitUse(
                        at: UnixTime(1_790_000_000 + Int64(serial)), card: CardSerial(0x00AA_0000_0000_0000 | serial), layout: 1,
                        entitlement: 3, category: 2, fareKopecks: 0, fullFareKopecks: 1500, route: 7, vehicle: 11))
                batch.append(entry)
                head = ChainHead(after: entry)
            }
            batches.append(batch)
            let checkpoint = try Checkpoint(signing: head, with: deviceKey)
            bodies.append(try UploadBatch(deviceID: device, entries: batch, checkpoint: checkpoint).jsonBody())
        }
        let total = batchCount * batchSize
        print("accounting: \(total) entries in \(batchCount) batches of \(batchSize); body \(bodies[0].count) bytes a batch")

        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var engines: [(String, StorageLocation, () async throws -> Double)] = [
            ("sqlite", .sqlite(path: "\(directory)/accounting.sqlite"), {
                try timed { try RawInsertBaseline.sqlite(path: "\(directory)/raw.sqlite", batches: batches, receivedAt: 1_800_000_000) }
            }),
        ]
        if let postgresURL, case .postgres(let host, let port, let user, let password, _) = StorageLocation(postgresURL) {
            let service = try await createDatabase(host: host, port: port, user: user, password: password, name: "bench_service_\(Int.random(in: 0..<1_000_000))", logger: logger)
            let rawName = "bench_raw_\(Int.random(in: 0..<1_000_000))"
            _ = try await createDatabase(host: host, port: port, user: user, password: password, name: rawName, logger: logger)
            engines.append(("postgres", service, {
                try await timedAsync {
                    try await RawInsertBaseline.postgres(
                        configuration: .init(host: host, port: port, username: user, password: password, database: rawName, tls: .disable),
                        batches: batches, receivedAt: 1_800_000_000, logger: logger)
                }
            }))
        } else {
            print("accounting: PostgreSQL skipped (no HROMADA_POSTGRES_URL / cluster)")
        }

        for (name, location, baseline) in engines {
            let (ingest, replay, ingestSeconds, replaySeconds) = try await location.withStorage(logger: logger) { storage in
                try await storage.register(DeviceRegistration(deviceID: device, certificate: certificate, label: "bench", registeredAt: UnixTime(Date())))
                let engine = AccountingEngine(
                    storage: storage,
                    configuration: AccountingConfiguration(
                        community: "bench", rootKeyID: rootID, rootPublicKey: rootPublic, revocations: RevocationList(), serviceKey: serviceKey,
                        now: { UnixTime(Date()) }),
                    logger: logger)
                let (ports, continuation) = AsyncStream<Int>.makeStream()
                let app = AccountingRoutes.application(engine: engine, host: "127.0.0.1", port: 0, logger: logger) { continuation.yield($0) }
                let server = Task { try await app.run() }
                var port = 0
                for await bound in ports {
                    port = bound
                    break
                }
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                func post(_ body: [UInt8]) async throws -> UInt {
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/ledger/batches")
                    request.method = .POST
                    var rng = SystemRandomNumberGenerator()
                    let signed = SignedRequest(
                        method: "POST", path: "/v1/ledger/batches", deviceID: device, keyID: certificate.keyID, timestamp: UnixTime(Date()),
                        nonce: SignedRequest.makeNonce(using: &rng), body: body)
                    for (header, value) in try signed.headers(certificate: certificate, deviceKey: deviceKey) { request.headers.add(name: header, value: value) }
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: body))
                    let response = try await client.execute(request, timeout: .seconds(60))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    return response.status.code
                }

                let clock = ContinuousClock()
                var next = 0
                let ingestStart = clock.now
                let ingest = try await Samples.measure("\(name): ingest batch of \(batchSize) over HTTP", iterations: batchCount, warmup: 0) {
                    let status = try await post(bodies[next])
                    next += 1
                    guard status == 200 else { throw BenchmarkFailure("ingest answered \(status)") }
                }
                let ingestSeconds = seconds(clock.now - ingestStart)
                next = 0
                let replayStart = clock.now
                let replay = try await Samples.measure("\(name): replay of a stored batch", iterations: batchCount, warmup: 0) {
                    let status = try await post(bodies[next])
                    next += 1
                    guard status == 200 else { throw BenchmarkFailure("replay answered \(status)") }
                }
                let replaySeconds = seconds(clock.now - replayStart)
                let held = try await storage.entryCount()
                guard held == total else { throw BenchmarkFailure("\(name) holds \(held) entries, expected \(total)") }
                try await client.shutdown()
                server.cancel()
                _ = try? await server.value
                return (ingest, replay, ingestSeconds, replaySeconds)
            }

            let baselineSeconds = try await baseline()
            report(ingest, extra: "→ \(format(Double(total) / ingestSeconds, 0)) entries/s")
            report(replay, extra: "→ \(format(Double(batchCount) / replaySeconds, 0)) replays/s (\(format(Double(total) / replaySeconds, 0)) entries/s)")
            print("\(name): raw bulk insert of the same rows (\(name == "sqlite" ? "transaction per 1000, prepared INSERT" : "COPY per 1000")): \(format(Double(total) / baselineSeconds, 0)) entries/s; ingest is \(format(baselineSeconds / ingestSeconds * 100, 1)) % of it")
        }
        print("accounting: peak memory (maxrss) \(format(Double(peakResidentKilobytes()) / 1024, 1)) MiB")
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

    static func createDatabase(host: String, port: Int, user: String, password: String?, name: String, logger: Logger) async throws -> StorageLocation {
        let admin = PostgresClient(configuration: .init(host: host, port: port, username: user, password: password, database: "postgres", tls: .disable))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            group.cancelAll()
        }
        return .postgres(host: host, port: port, user: user, password: password, database: name)
    }

    static func peakResidentKilobytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

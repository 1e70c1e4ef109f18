import AccountingCore
import AccountingService
import AccountingStore
import CommunityKeys
import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import Testing
import Uploader

#if canImport(Glibc)
import Glibc
#endif

/// `hromada-accounting serve` as a real process, killed with SIGKILL in the middle of ingest.
@Suite("Service process killed mid-ingest", .serialized)
struct ServiceProcessTests {
    /// The `hromada-accounting` built next to the test bundle.
    static var executable: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("hromada-accounting").path
    }

    /// A running `hromada-accounting serve`.
    final class ServiceProcess {
        let process = Process()
        let port: Int

        init(database: String, keys: String, logPath: String) throws {
            guard FileManager.default.isExecutableFile(atPath: ServiceProcessTests.executable) else {
                throw ProxyError("\(ServiceProcessTests.executable) is missing: swift build --product hromada-accounting")
            }
            FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.executableURL = URL(fileURLWithPath: ServiceProcessTests.executable)
            process.arguments = ["serve", "--db", "sqlite:\(database)", "--listen", "127.0.0.1:0", "--keys", keys]
            process.standardOutput = log
            process.standardError = log
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            var found: Int?
            while found == nil, Date() < deadline, process.isRunning {
                let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }), let port = Int(line.split(separator: ":").last ?? "") {
                    found = port
                } else {
                    usleep(20_000)
                }
            }
            guard let found else {
                process.terminate()
                throw ProxyError("hromada-accounting did not start: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
            }
            port = found
        }

        /// SIGKILL: no shutdown code runs, an open transaction is cut wherever it is.
        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test func aSecondServiceOnTheSameSQLiteFileStopsAtStartNamingTheLock() async throws {
        let directory = try temporaryDirectory()
        var rng = SeededRandom(seed: 78).generator
        let keys = "\(directory)/keys"
        _ = try CommunityDirectory.create(
            at: keys, community: "test-town", now: UnixTime(Date()).adding(seconds: -3600), firstDevice: DeviceID(32), using: &rng)
        let database = "\(directory)/accounting.sqlite"
        let first = try ServiceProcess(database: database, keys: keys, logPath: "\(directory)/first.log")
        defer { first.kill() }
        do {
            let second = try ServiceProcess(database: database, keys: keys, logPath: "\(directory)/second.log")
            second.kill()
            Issue.record("a second service started on the same SQLite file")
        } catch is ProxyError {
            // It did not start: the log says why.
        }
        let log = try String(contentsOfFile: "\(directory)/second.log", encoding: .utf8)
        #expect(log.contains("accounting.sqlite-service.lock"), "\(log)")
        // The first goes on serving.
        #expect(first.process.isRunning)
    }

    @Test func killedAndRestartedServiceLosesNothingAndDuplicatesNothing() async throws {
        let directory = try temporaryDirectory()
        var rng = SeededRandom(seed: 77).generator
        let keys = "\(directory)/keys"
        let device = DeviceID(31)
        let community = try CommunityDirectory.create(
            at: keys, community: "test-town", now: UnixTime(Date()).adding(seconds: -3600), firstDevice: device, using: &rng)
        let certificates = try community.certificates()
        let validatorCertificate = try #require(certificates.first { $0.role == .validator })
        let accountingCertificate = try #require(certificates.first { $0.role == .accounting })
        let validatorKey = try community.signingKey(validatorCertificate.keyID).privateKey
        let database = "\(directory)/accounting.sqlite"

        let setup = try SQLiteStorage(path: database)
        _ = try await setup.migrate()
        try await setup.register(DeviceRegistration(deviceID: device, certificate: validatorCertificate, label: "bus-031", registeredAt: UnixTime(Date())))
        await setup.close()

        var service = try ServiceProcess(database: database, keys: keys, logPath: "\(directory)/service-0.log")
        let proxy = try FaultProxy(upstreamPort: service.port) { _ in .pass }
        defer { proxy.stop() }

        let ledger = try LedgerStoreUploadLedger(path: "\(directory)/ledger.sqlite", deviceID: device, deviceKey: validatorKey, configuration: .init(checkpointInterval: 50, checkIntegrityOnOpen: false))
        for index in 0..<4000 { try await ledger.append(TestValidator.ride(index)) }
        let configuration = UploaderConfiguration(
            serviceURL: "http://127.0.0.1:\(proxy.port)", certificate: validatorCertificate, deviceKey: validatorKey,
            servicePublicKey: try accountingCertificate.publicKey.cryptoKey(), batchSize: 200,
            backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(100)), idleInterval: .milliseconds(20), requestTimeout: .seconds(5))
        let uploader = Uploader(configuration: configuration, ledger: ledger, environment: testEnvironment(seed: 8))
        let task = Task { try await uploader.run() }
        var seen: UInt64 = 0
        for round in 1...3 {
            try await eventually("progress before kill \(round)") { (try await ledger.latestReceiptSequence() ?? 0) > seen }
            try await Task.sleep(for: .milliseconds(Int(SeededRandom(seed: UInt64(round)).next() % 40)))
            service.kill()
            service = try ServiceProcess(database: database, keys: keys, logPath: "\(directory)/service-\(round).log")
            proxy.setUpstream(port: service.port)
            seen = try await ledger.latestReceiptSequence() ?? 0
        }
        try await eventually(timeout: .seconds(120), "all 4000 receipted") { try await ledger.latestReceiptSequence() == 4000 }
        task.cancel()
        _ = try? await task.value
        service.kill()

        let check = try SQLiteStorage(path: database)
        let entries = try await check.entries(device: device, after: nil, limit: 10_000).map(\.entry)
        #expect(entries.count == 4000)
        #expect(entries.map(\.sequence) == (1...4000).map { UInt64($0) })
        #expect(ChainVerifier.verify(deviceID: device, entries: entries, checkpoints: try await check.checkpoints(of: device), devicePublicKey: validatorKey.publicKey).isIntact)
        await check.close()
    }
}

extension SeededRandom {
    /// A `RandomNumberGenerator` drawing from this source.
    var generator: Generator { Generator(source: self) }

    struct Generator: RandomNumberGenerator {
        let source: SeededRandom
        mutating func next() -> UInt64 { source.next() }
    }
}

import AccountingCore
import AccountingService
import AccountingStore
import Bundles
import Crypto
import Entitlements
import Hummingbird
import Identifiers
import LedgerCore
import LedgerStore
import Logging
import PostgresNIO
import PropertyTesting
import ServiceLifecycle
import StorageTesting
import Testing
import Uploader

import Foundation

/// Test community keys.
enum Keys {
    static func key(_ seed: UInt8) -> Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    }

    static let community = "test-town"
    static let root = key(1)
    static let rootPublic = SigningPublicKey(root.publicKey)
    static let rootID = KeyID(derivedFrom: rootPublic)
    static let service = key(4)

    static func certificate(for key: Curve25519.Signing.PrivateKey, role: KeyRole = .validator, device: DeviceID? = nil) -> Certificate {
        let publicKey = SigningPublicKey(key.publicKey)
        return try! CertificateTerms(
            keyID: KeyID(derivedFrom: publicKey), role: role, publicKey: publicKey, notBefore: UnixTime(1_700_000_000),
            notAfter: UnixTime(2_000_000_000), issuerKeyID: rootID, deviceID: device
        ).signed(with: root)
    }

    static var acceptance: BundleAcceptance { BundleAcceptance(community: community, rootKeyID: rootID, rootPublicKey: rootPublic) }

    static func configuration() -> AccountingConfiguration {
        AccountingConfiguration(
            community: community, rootKeyID: rootID, rootPublicKey: rootPublic, revocations: RevocationList(), serviceKey: service,
            now: { UnixTime(Date()) })
    }
}

/// The storage engines the live tests run against (`StorageTesting`).
typealias LiveBackend = StorageEngine

extension StorageEngine {
    /// A fresh database for one test.
    func location(directory: String) async throws -> StorageLocation {
        try await freshLocation(sqlitePath: "\(directory)/accounting.sqlite")
    }
}

/// The accounting service running for real on 127.0.0.1, restartable.
final class LiveService: @unchecked Sendable {
    let location: StorageLocation
    private(set) var port = 0
    private(set) var storage: (any AccountingStorage)?
    private var task: Task<Void, any Error>?

    init(databasePath: String) {
        self.location = .sqlite(path: databasePath)
    }

    init(location: StorageLocation) {
        self.location = location
    }

    /// Starts (or restarts) the service; returns its port once it listens (after migrations).
    ///
    /// The storage and the server run in one `ServiceGroup`, as `hromada-accounting serve` runs them.
    @discardableResult
    func start() async throws -> Int {
        var logger = Logger(label: "live")
        logger.logLevel = .warning
        let storage = try location.makeStorage(logger: logger)
        self.storage = storage
        let engine = AccountingEngine(storage: storage, configuration: Keys.configuration(), logger: logger)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = AccountingRoutes.application(engine: engine, host: "127.0.0.1", port: 0, logger: logger) { port in
            continuation.yield(port)
        }
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: storage), .init(service: AfterMigrations(of: storage, run: app))], logger: logger))
        let running = Task {
            // A group that ends before the server listens must not leave start() waiting.
            defer { continuation.finish() }
            try await group.run()
        }
        task = running
        let deadline = Task {
            try? await Task.sleep(for: .seconds(30))
            continuation.finish()
        }
        defer { deadline.cancel() }
        for await bound in stream {
            port = bound
            return port
        }
        running.cancel()
        throw ProxyError("the service did not listen within 30 s, or its group ended first")
    }

    /// Stops the service (as a crash would: the group is cancelled, in-flight requests are cut);
    /// the storage is closed when its `run()` ends.
    func stop() async throws {
        if let task {
            task.cancel()
            // Give the group a moment to let go of its port and storage, but never wait on a
            // connection that a fault left half open: a crashed service waits for nobody.
            let (ended, finished) = AsyncStream<Void>.makeStream()
            Task {
                _ = try? await task.value
                finished.finish()
            }
            let deadline = Task {
                try? await Task.sleep(for: .seconds(5))
                finished.finish()
            }
            for await _ in ended {}
            deadline.cancel()
        }
        task = nil
        try await storage?.close()
        storage = nil
    }

    /// Registers a device (done by an admin in real life).
    func register(_ device: DeviceID, certificate: Certificate) async throws {
        try await storage?.register(DeviceRegistration(deviceID: device, certificate: certificate, label: "bus-\(device)", registeredAt: UnixTime(Date())))
    }
}

/// A validator for the tests: its ledger file and keys.
struct TestValidator: Sendable {
    let id: DeviceID
    let key: Curve25519.Signing.PrivateKey
    let certificate: Certificate
    let ledgerPath: String

    init(id: UInt32, seed: UInt8, directory: String) {
        self.id = DeviceID(id)
        self.key = Keys.key(seed)
        self.certificate = Keys.certificate(for: key, device: DeviceID(id))
        self.ledgerPath = "\(directory)/ledger-\(id).sqlite"
    }

    func openLedger(retentionSeconds: Int64 = 90 * 86_400) throws -> LedgerStoreUploadLedger {
        try LedgerStoreUploadLedger(
            path: ledgerPath, deviceID: id, deviceKey: key,
            configuration: .init(checkpointInterval: 50, retentionSeconds: retentionSeconds, checkIntegrityOnOpen: false))
    }

    /// A ride, timestamped in the past so that retention can elapse.
    static func ride(_ index: Int) -> LedgerRecord {
        .benefitUse(
            at: UnixTime(Date()).adding(seconds: -10_000), card: CardSerial(0x00CC_0000_0000_0000 | UInt64(index)), layout: 1,
            entitlement: 9, category: 2, fareKopecks: 0, fullFareKopecks: 1200, route: 3, vehicle: 40)
    }

    func uploaderConfiguration(port: Int, batchSize: Int = 100) -> UploaderConfiguration {
        UploaderConfiguration(
            serviceURL: "http://127.0.0.1:\(port)", certificate: certificate, deviceKey: key, servicePublicKey: Keys.service.publicKey,
            batchSize: batchSize, backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(100)), idleInterval: .milliseconds(20),
            bundleInterval: .milliseconds(50), bundleAcceptance: Keys.acceptance, requestTimeout: .seconds(5))
    }
}

/// Events an uploader reported, for assertions.
actor EventLog {
    private(set) var events: [UploaderEvent] = []
    func record(_ event: UploaderEvent) { events.append(event) }
    var failures: Int { events.filter { if case .failed = $0 { true } else { false } }.count }
    var retryWaits: [Duration] { events.compactMap { if case .failed(_, let wait) = $0 { wait } else { nil } } }
}

/// A fast environment: real clock, seeded randomness, waits shortened to at most 20 ms.
func testEnvironment(seed: UInt64) -> UploaderEnvironment {
    let state = SeededRandom(seed: seed)
    return UploaderEnvironment(
        now: { UnixTime(Date()) }, random: { state.next() },
        sleep: { duration in try await Task.sleep(for: min(duration, .milliseconds(20))) })
}

/// The shared seeded generator behind a lock, for closures that several tasks call.
final class SeededRandom: @unchecked Sendable {
    private let lock = NSLock()
    private var seeded: SeededGenerator
    init(seed: UInt64) { seeded = SeededGenerator(seed: seed) }
    func next() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return seeded.next()
    }
}

/// Waits until `condition` holds, polling; fails the test after `timeout`.
func eventually(timeout: Duration = .seconds(60), _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for: \(what)")
    throw TimedOut()
}

struct TimedOut: Error {}

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-uploader-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every entry of the validator exactly once at the service, and the chain verifies there.
func expectServiceHoldsExactly(_ validator: TestValidator, count: Int, storage: any AccountingStorage) async throws {
    var entries: [LedgerEntry] = []
    var cursor: (device: UInt32, sequence: UInt64)?
    while true {
        let page = try await storage.entries(device: validator.id, after: cursor, limit: 1000)
        entries += page.map(\.entry)
        guard let last = page.last, page.count == 1000 else { break }
        cursor = (validator.id.rawValue, last.entry.sequence)
    }
    #expect(entries.count == count)
    #expect(entries.map(\.sequence) == (0..<count).map { UInt64($0 + 1) })
    let verification = ChainVerifier.verify(
        deviceID: validator.id, entries: entries, checkpoints: try await storage.checkpoints(of: validator.id),
        devicePublicKey: validator.key.publicKey)
    #expect(verification.isIntact, "\(verification)")
}

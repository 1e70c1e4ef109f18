@testable import AccountingStore
import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Logging
import SQLiteSupport
import ServiceLifecycle
import StorageTesting
import Tariff
import Testing

import Foundation

@Suite("Accounting storage: schema, ingest writes, lifecycle")
struct StorageTests {
    @Test(arguments: Engine.all)
    func migrationsAreVersionedAndIdempotent(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            #expect(try await storage.migrate() == 7)
            #expect(try await storage.migrate() == 7)
            #expect(Migrations.latest == 7)
        }
    }

    @Test(arguments: Engine.all)
    func aDatabaseNewerThanTheCodeIsRefused(engine: Engine) async throws {
        let location = try await engine.freshLocation()
        try await location.withStorage(logger: Logger(label: "test")) { _ in }
        switch location {
        case .sqlite(let path):
            try SQLiteConnection(path: path, flags: [.readWrite]).execute("PRAGMA user_version = 9")
        default:
            try await PostgresCluster.shared.execute(["INSERT INTO schema_migrations (version, applied_at) VALUES (9, 0)"], in: location)
        }
        await #expect(throws: StorageError(.schemaRefused, "")) {
            try await location.withStorage(logger: Logger(label: "test")) { _ in }
        }
    }

    /// A database migrated by the code before this one (versions 1 and 2 recorded only in
    /// `schema_migrations`) is taken at version 2 and upgraded, its rows kept.
    @Test(arguments: Engine.all)
    func aVersion2DatabaseOfTheOldSchemeIsUpgraded(engine: Engine) async throws {
        let location = try await engine.freshLocation()
        let certificate = Fixture.certificate
        let older = Migrations.all.filter { $0.version <= 2 }
        switch location {
        case .sqlite(let path):
            let database = try SQLiteConnection(path: path, flags: [.readWrite, .create])
            try database.execute(Migrations.render(Migrations.versionTable, blob: "BLOB", bigint: "INTEGER", serial: ""))
            for migration in older {
                for statement in migration.statements {
                    try database.execute(Migrations.render(statement, blob: "BLOB", bigint: "INTEGER", serial: "INTEGER PRIMARY KEY AUTOINCREMENT"))
                }
                try database.execute("INSERT INTO schema_migrations VALUES (\(migration.version), 0)")
            }
            try database.prepare("INSERT INTO devices VALUES (17, 1, x'00', ?, 'bus-017', 5)").run([.blob(try certificate.encoded())])
            #expect(try SQLiteMigrator.version(of: database) == 0)
            database.close()
        default:
            var statements = [Migrations.render(Migrations.versionTable, blob: "BYTEA", bigint: "BIGINT", serial: "")]
            for migration in older {
                statements += migration.statements.map { Migrations.render($0, blob: "BYTEA", bigint: "BIGINT", serial: "BIGSERIAL PRIMARY KEY") }
                statements.append("INSERT INTO schema_migrations VALUES (\(migration.version), 0)")
            }
            statements.append("INSERT INTO devices VALUES (17, 1, '\\x00', '\\x\(Hex.encode(try certificate.encoded()))', 'bus-017', 5)")
            try await PostgresCluster.shared.execute(statements, in: location)
        }
        try await location.withStorage(logger: Logger(label: "test")) { storage async throws in
            #expect(try await storage.migrate() == 7)
            let kept = try await storage.registration(of: DeviceID(17))
            #expect(kept?.label == "bus-017")
            #expect(kept?.certificate == certificate)
            // The new table is there and works.
            #expect(try await storage.admitNonce("nonce-0123456789abcdef", of: DeviceID(17), signedAt: Fixture.now, forgettingBefore: Fixture.now.adding(seconds: -300)))
        }
    }

    /// PostgreSQL writes a commit's entries before its compare-and-set: a commit that expects a
    /// stale head, with entries nobody holds yet, finds the head moved after writing them, and
    /// they are rolled back with the rest (no entry, checkpoint or receipt of it is kept).
    @Test(arguments: Engine.all)
    func aStaleCommitWithNewEntriesLeavesNothing(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let chain = Fixture.chain(count: 20)
            let genesis = ChainHead.genesis(for: Fixture.device)
            #expect(try await storage.commit(Fixture.commit(chain[0..<10], after: genesis)) == .committed)
            #expect(try await storage.commit(Fixture.commit(chain[10..<20], after: genesis)) == .headMoved)
            #expect(try await storage.entryCount() == 10)
            #expect(try await storage.head(of: Fixture.device) == ChainHead(after: chain[9]))
            #expect(try await storage.checkpoints(of: Fixture.device).map(\.sequence) == [10])
            #expect(try await storage.latestReceipt(of: Fixture.device)?.sequence == 10)
        }
    }

    /// The device's next commit, begun before the one before it is stored, writes its entries
    /// and waits in `beforeMovingHead`; once the one before it is stored, it moves the head from
    /// there. (SQLite serializes its commits and does not call the hook.)
    @Test(arguments: Engine.all.filter { $0 == .postgres })
    func theNextCommitMovesTheHeadOnceTheOneBeforeIsStored(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let chain = Fixture.chain(count: 20)
            let genesis = ChainHead.genesis(for: Fixture.device)
            let (opened, open) = AsyncStream<Void>.makeStream()
            let (arrived, arrive) = AsyncStream<Void>.makeStream()
            var next = Fixture.commit(chain[10..<20], after: ChainHead(after: chain[9]))
            next.beforeMovingHead = {
                arrive.yield()
                for await _ in opened { return }
            }
            async let second = storage.commit(next)
            for await _ in arrived { break }
            // Its entries are written but not committed: nothing is visible yet.
            #expect(try await storage.entryCount() == 0)
            #expect(try await storage.commit(Fixture.commit(chain[0..<10], after: genesis)) == .committed)
            open.yield()
            #expect(try await second == .committed)
            #expect(try await storage.entries(device: Fixture.device, after: nil, limit: 100).map(\.entry) == chain)
            #expect(try await storage.head(of: Fixture.device) == ChainHead(after: chain[19]))
            #expect(try await storage.checkpoints(of: Fixture.device).map(\.sequence) == [10, 20])
        }
    }

    @Test(arguments: Engine.all)
    func aCommitMovesTheHeadOnlyFromTheExpectedHead(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let chain = Fixture.chain(count: 30)
            let genesis = ChainHead.genesis(for: Fixture.device)
            #expect(try await storage.head(of: Fixture.device) == genesis)
            #expect(try await storage.commit(Fixture.commit(chain[0..<20], after: genesis)) == .committed)
            let head = ChainHead(after: chain[19])
            #expect(try await storage.head(of: Fixture.device) == head)
            // A second writer that decided against genesis loses, and writes nothing.
            #expect(try await storage.commit(Fixture.commit(chain[0..<30], after: genesis)) == .headMoved)
            #expect(try await storage.entryCount() == 20)
            #expect(try await storage.commit(Fixture.commit(chain[20..<30], after: head)) == .committed)
            #expect(try await storage.entryCount() == 30)
            let stored = try await storage.entries(device: Fixture.device, after: nil, limit: 100)
            #expect(stored.map(\.entry) == chain)
            #expect(stored.allSatisfy { $0.receivedAt == Fixture.now })
            #expect(try await storage.heldHashes(of: Fixture.device, in: 29...40) == [29: chain[28].hash, 30: chain[29].hash])
            #expect(try await storage.checkpoints(of: Fixture.device).map(\.sequence) == [20, 30])
            #expect(try await storage.latestReceipt(of: Fixture.device)?.sequence == 30)
            #expect(try await storage.receipt(of: Fixture.device, at: 20)?.chainHash == chain[19].hash)
            #expect(try await storage.receipt(of: Fixture.device, at: 25) == nil)
        }
    }

    @Test(arguments: Engine.all)
    func registrationsTokensBundlesAlarmsAndReportsReadBack(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let registration = DeviceRegistration(deviceID: Fixture.device, certificate: Fixture.certificate, label: "bus-017", registeredAt: Fixture.now)
            try await storage.register(registration)
            #expect(try await storage.registration(of: Fixture.device) == registration)
            #expect(try await storage.registration(of: DeviceID(18)) == nil)
            var relabelled = registration
            relabelled.label = "bus-017a"
            try await storage.register(relabelled)
            #expect(try await storage.registrations() == [relabelled])

            try await storage.addOperatorToken(hash: [1, 2, 3], identity: OperatorIdentity(role: .desk, label: "desk-1"), createdAt: Fixture.now)
            #expect(try await storage.operatorIdentity(tokenHash: [1, 2, 3]) == OperatorIdentity(role: .desk, label: "desk-1"))
            #expect(try await storage.operatorIdentity(tokenHash: [1, 2, 4]) == nil)

            try await storage.storeBundle(StoredBundle(kind: .denyList, version: 2, bytes: [2], uploadedAt: Fixture.now))
            try await storage.storeBundle(StoredBundle(kind: .denyList, version: 5, bytes: [5], uploadedAt: Fixture.now))
            try await storage.storeBundle(StoredBundle(kind: .denyList, version: 5, bytes: [9], uploadedAt: Fixture.now))
            #expect(try await storage.latestBundle(.denyList)?.bytes == [5])
            #expect(try await storage.latestBundle(.trust) == nil)

            let alarm = TamperAlarm(device: 17, sequence: 4, heldHash: String(repeating: "ab", count: 32), offeredHash: String(repeating: "cd", count: 32), batchRange: "1-9", recordedAt: 7)
            try await storage.recordAlarm(alarm)
            #expect(try await storage.alarms() == [alarm])

            let first = try await storage.addDenyListRequest(cardSerial: "00bb000000000001", reason: "lost", reportedBy: "desk-1", at: Fixture.now)
            let second = try await storage.addDenyListRequest(cardSerial: "00bb000000000002", reason: "stolen", reportedBy: "desk-1", at: Fixture.now)
            #expect(second > first)
            #expect(try await storage.denyListRequests().map(\.cardSerial) == ["00bb000000000001", "00bb000000000002"])
        }
    }

    /// The storage is a `Service`: in a `ServiceGroup`, graceful shutdown ends its `run()` and
    /// closes it, after which it refuses work instead of waiting for a connection.
    @Test(arguments: Engine.all)
    func gracefulShutdownOfTheGroupClosesTheStorage(engine: Engine) async throws {
        let storage = try await engine.freshLocation().makeStorage(logger: Logger(label: "test"))
        let group = ServiceGroup(configuration: .init(services: [.init(service: storage)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(try await storage.migrate() == 7)
            try await storage.healthCheck()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await #expect(throws: StorageError(.closed, "")) { try await storage.healthCheck() }
    }

    @Test(arguments: Engine.all)
    func closingEndsRunAndLaterCallsFail(engine: Engine) async throws {
        let storage = try await engine.freshLocation().makeStorage(logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await storage.run() }
            try await storage.migrate()
            try await storage.close()
            try await tasks.waitForAll()
        }
        await #expect(throws: StorageError(.closed, "")) { _ = try await storage.entryCount() }
        // run() is allowed once per storage.
        await #expect(throws: StorageError(.alreadyRunning, "")) { try await storage.run() }
    }
}

@Suite("The replay window of signed requests, stored")
struct NonceTests {
    @Test(arguments: Engine.all)
    func aNonceIsAdmittedOncePerDevice(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let cutoff = Fixture.now.adding(seconds: -300)
            #expect(try await storage.admitNonce("n-0123456789abcdef", of: DeviceID(1), signedAt: Fixture.now, forgettingBefore: cutoff))
            #expect(try await storage.admitNonce("n-0123456789abcdef", of: DeviceID(1), signedAt: Fixture.now, forgettingBefore: cutoff) == false)
            #expect(try await storage.admitNonce("n-0123456789abcdef", of: DeviceID(2), signedAt: Fixture.now, forgettingBefore: cutoff))
            #expect(try await storage.admitNonce("n-0123456789abcdeg", of: DeviceID(1), signedAt: Fixture.now, forgettingBefore: cutoff))
        }
    }

    @Test(arguments: Engine.all)
    func aNonceIsRefusedAfterTheStorageIsClosedAndReopened(engine: Engine) async throws {
        let location = try await engine.freshLocation()
        let cutoff = Fixture.now.adding(seconds: -300)
        try await location.withStorage(logger: Logger(label: "test")) { storage async throws in
            #expect(try await storage.admitNonce("n-0123456789abcdef", of: DeviceID(1), signedAt: Fixture.now, forgettingBefore: cutoff))
        }
        try await location.withStorage(logger: Logger(label: "test")) { storage async throws in
            #expect(try await storage.admitNonce("n-0123456789abcdef", of: DeviceID(1), signedAt: Fixture.now, forgettingBefore: cutoff) == false)
        }
    }

    @Test(arguments: Engine.all)
    func noncesOlderThanTheWindowAreForgotten(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let early = Fixture.now
            #expect(try await storage.admitNonce("n-old-0123456789ab", of: DeviceID(1), signedAt: early, forgettingBefore: early.adding(seconds: -300)))
            // 299 s later the request is still inside the window: refused.
            let inside = early.adding(seconds: 299)
            #expect(try await storage.admitNonce("n-old-0123456789ab", of: DeviceID(1), signedAt: early, forgettingBefore: inside.adding(seconds: -300)) == false)
            // Once its timestamp is past the window the row is pruned (the timestamp check refuses such a request first).
            let past = early.adding(seconds: 301)
            #expect(try await storage.admitNonce("n-new-0123456789ab", of: DeviceID(1), signedAt: past, forgettingBefore: past.adding(seconds: -300)))
            #expect(try await storage.admitNonce("n-old-0123456789ab", of: DeviceID(1), signedAt: early, forgettingBefore: past.adding(seconds: -300)))
        }
    }
}

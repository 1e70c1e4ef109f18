@testable import AccountingStore
import AccountingCore
import Entitlements
import Identifiers
import Logging
import SQLiteSupport
import StorageTesting
import Testing

import Foundation

/// One key speaks for one device (schema 4): the storage refuses a key under a second id.
@Suite("Accounting storage: one key, one device")
struct RegistrationTests {
    static func registration(_ device: UInt32, _ certificate: Certificate = Fixture.certificate) -> DeviceRegistration {
        DeviceRegistration(deviceID: DeviceID(device), certificate: certificate, label: "bus-\(device)", registeredAt: Fixture.now)
    }

    /// A validator certificate of `key` naming `device`.
    static func certificate(seed: UInt8, device: DeviceID) throws -> Certificate {
        let publicKey = SigningPublicKey(Fixture.key(seed).publicKey)
        return try CertificateTerms(
            keyID: KeyID(derivedFrom: publicKey), role: .validator, publicKey: publicKey, notBefore: UnixTime(1_700_000_000),
            notAfter: UnixTime(1_900_000_000), issuerKeyID: KeyID(derivedFrom: SigningPublicKey(Fixture.rootKey.publicKey)),
            deviceID: device
        ).signed(with: Fixture.rootKey)
    }

    @Test(arguments: Engine.all)
    func aKeyRegisteredForOneDeviceIsRefusedForAnother(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            #expect(try await storage.register(Self.registration(17)) == .registered)
            // The same key under a second id: nothing written, the owner named.
            #expect(try await storage.register(Self.registration(18)) == .keyRegisteredToAnotherDevice(17))
            #expect(try await storage.registration(of: DeviceID(18)) == nil)
            #expect(try await storage.registrations().map(\.deviceID) == [17])
            // Re-registering the same device is still allowed (a new label or certificate).
            #expect(try await storage.register(Self.registration(17)) == .registered)
            // A rotation: device 17 takes a new key, and the old key is free for another device.
            #expect(try await storage.register(Self.registration(17, try Self.certificate(seed: 9, device: 17))) == .registered)
            #expect(try await storage.register(Self.registration(18)) == .registered)
            #expect(try await storage.registrations().map(\.deviceID) == [17, 18])
        }
    }

    @Test(arguments: Engine.all)
    func theDatabaseItselfRefusesOneKeyUnderTwoDevices(engine: Engine) async throws {
        let location = try await engine.freshLocation()
        try await location.withStorage(logger: Logger(label: "test")) { storage async throws in
            try await storage.register(Self.registration(17))
        }
        // A writer that skips the check (another service instance of an older build, a hand-made
        // row) still cannot add the second row: the unique index stops it.
        let key = Hex.encode(Fixture.certificate.publicKey.rawRepresentation)
        switch location {
        case .sqlite(let path):
            let database = try SQLiteConnection(path: path, flags: [.readWrite])
            #expect(throws: (any Error).self) {
                try database.execute("INSERT INTO devices VALUES (18, 1, x'\(key)', x'00', 'bus-018', 5)")
            }
            database.close()
        default:
            await #expect(throws: (any Error).self) {
                try await PostgresCluster.shared.execute(["INSERT INTO devices VALUES (18, 1, '\\x\(key)', '\\x00', 'bus-018', 5)"], in: location)
            }
        }
    }

    /// A version 3 database holding one key under two ids (registered before the check) is not
    /// migrated until an operator removes the wrong row (docs/accounting.md); then it is.
    @Test(arguments: Engine.all)
    func aDatabaseWithOneKeyUnderTwoDevicesMigratesOnceTheOperatorChooses(engine: Engine) async throws {
        let location = try await engine.freshLocation()
        let certificate = try Fixture.certificate.encoded()
        let key = Hex.encode(Fixture.certificate.publicKey.rawRepresentation)
        let older = Migrations.all.filter { $0.version <= 3 }
        switch location {
        case .sqlite(let path):
            let database = try SQLiteConnection(path: path, flags: [.readWrite, .create])
            for migration in older {
                for statement in migration.statements {
                    try database.execute(Migrations.render(statement, blob: "BLOB", bigint: "INTEGER", serial: "INTEGER PRIMARY KEY AUTOINCREMENT"))
                }
            }
            try database.execute("PRAGMA user_version = 3")
            for device in [106, 107] {
                try database.prepare("INSERT INTO devices VALUES (\(device), 1, x'\(key)', ?, 'bus', 5)").run([.blob(certificate)])
            }
            database.close()
        default:
            var statements = [Migrations.render(Migrations.versionTable, blob: "BYTEA", bigint: "BIGINT", serial: "")]
            for migration in older {
                statements += migration.statements.map { Migrations.render($0, blob: "BYTEA", bigint: "BIGINT", serial: "BIGSERIAL PRIMARY KEY") }
                statements.append("INSERT INTO schema_migrations VALUES (\(migration.version), 0)")
            }
            for device in [106, 107] {
                statements.append("INSERT INTO devices VALUES (\(device), 1, '\\x\(key)', '\\x\(Hex.encode(certificate))', 'bus', 5)")
            }
            try await PostgresCluster.shared.execute(statements, in: location)
        }
        await #expect(throws: (any Error).self) {
            try await location.withStorage(logger: Logger(label: "test")) { _ in }
        }
        // The operator keeps the device the certificate names and removes the other row.
        switch location {
        case .sqlite(let path):
            let database = try SQLiteConnection(path: path, flags: [.readWrite])
            try database.execute("DELETE FROM devices WHERE device_id = 107")
            database.close()
        default:
            try await PostgresCluster.shared.execute(["DELETE FROM devices WHERE device_id = 107"], in: location)
        }
        try await location.withStorage(logger: Logger(label: "test")) { storage async throws in
            #expect(try await storage.migrate() == Migrations.latest)
            #expect(try await storage.registrations().map(\.deviceID) == [106])
        }
    }
}

import AccountingCore
import AccountingStore
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import Logging
import PostgresNIO
import StorageTesting
import Tariff
import Testing

import Foundation

/// The engines every storage test runs against (`StorageTesting`).
typealias Engine = StorageEngine

extension StorageEngine {
    /// A fresh, empty database: a new SQLite file, or a new database in the test cluster.
    func freshLocation() async throws -> StorageLocation {
        try await freshLocation(sqlitePath: FileManager.default.temporaryDirectory.appendingPathComponent("hromada-store-\(UUID().uuidString).sqlite").path)
    }

    /// Runs `body` with a fresh storage, running and migrated (closed afterwards).
    func withFreshStorage(_ body: (any AccountingStorage) async throws -> Void) async throws {
        try await freshLocation().withStorage(logger: Logger(label: "test"), body)
    }
}

/// A device and the community that certified it, for storage rows that need real signatures.
enum Fixture {
    static func key(_ seed: UInt8) -> Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    }

    static let rootKey = key(1)
    static let serviceKey = key(4)
    static let deviceKey = key(2)
    static let device = DeviceID(17)
    static let now = UnixTime(1_800_000_000)

    static var certificate: Certificate {
        let rootPublic = SigningPublicKey(rootKey.publicKey)
        let publicKey = SigningPublicKey(deviceKey.publicKey)
        return try! CertificateTerms(
            keyID: KeyID(derivedFrom: publicKey), role: .validator, publicKey: publicKey, notBefore: UnixTime(1_700_000_000),
            notAfter: UnixTime(1_900_000_000), issuerKeyID: KeyID(derivedFrom: rootPublic), deviceID: device
        ).signed(with: rootKey)
    }

    /// `count` chained entries of `device`.
    static func chain(count: Int, device: DeviceID = Fixture.device) -> [LedgerEntry] {
        var head = ChainHead.genesis(for: device)
        return (0..<count).map { index in
            let entry = try! head.seal(
                .benefitUse(
                    at: UnixTime(1_800_000_000 + Int64(index)), card: CardSerial(0x00BB_0000_0000_0000 | UInt64(index)), layout: 1,
                    entitlement: 5, category: 3, fareKopecks: 0, fullFareKopecks: 1500, route: 7, vehicle: 11))
            head = ChainHead(after: entry)
            return entry
        }
    }

    /// The commit of `entries` (the slice after `head`), with the device's checkpoint and the service's receipt.
    static func commit(_ entries: ArraySlice<LedgerEntry>, after head: ChainHead) -> IngestCommit {
        let end = ChainHead(after: entries.last!)
        return IngestCommit(
            expectedHead: head, entries: Array(entries), checkpoint: try! Checkpoint(signing: end, with: deviceKey),
            receipt: try! Receipt(signing: end, with: serviceKey), receivedAt: now)
    }
}

import AccountingCore
import AccountingStore
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import Logging
import PostgresNIO
import Tariff
import Testing

import Foundation

/// The engines every storage test runs against.
///
/// PostgreSQL is always included unless HROMADA_SKIP_POSTGRES=1: if the private cluster
/// cannot be started, those cases fail (loudly), they are not skipped.
enum Engine: String, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var all: [Engine] {
        ProcessInfo.processInfo.environment["HROMADA_SKIP_POSTGRES"] == "1" ? [.sqlite] : [.sqlite, .postgres]
    }

    var testDescription: String { rawValue }

    /// A fresh, empty database: a new SQLite file, or a new database in the test cluster.
    func freshLocation() async throws -> StorageLocation {
        switch self {
        case .sqlite:
            .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("hromada-store-\(UUID().uuidString).sqlite").path)
        case .postgres:
            try await PostgresCluster.shared.freshDatabase()
        }
    }

    /// Runs `body` with a fresh storage, running and migrated (closed afterwards).
    func withFreshStorage(_ body: (any AccountingStorage) async throws -> Void) async throws {
        try await freshLocation().withStorage(logger: Logger(label: "test"), body)
    }
}

/// The private PostgreSQL cluster of the test run (HROMADA_POSTGRES_URL, or Tools/postgres), and
/// fresh databases in it.
actor PostgresCluster {
    static let shared = PostgresCluster()
    private var url: String?

    func baseURL() throws -> String {
        if let url { return url }
        if let given = ProcessInfo.processInfo.environment["HROMADA_POSTGRES_URL"], !given.isEmpty {
            url = given
            return given
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = root.appendingPathComponent("Tools/postgres")
        process.arguments = ["start", "--dir", "/tmp/hromada-postgres-tests"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, text.hasPrefix("postgres://") else {
            throw ClusterUnavailable(reason: "Tools/postgres start failed (status \(process.terminationStatus)); set HROMADA_SKIP_POSTGRES=1 to run without PostgreSQL")
        }
        url = text
        return text
    }

    /// A new empty database in the cluster.
    func freshDatabase() async throws -> StorageLocation {
        guard case .postgres(let host, let port, let user, let password, _) = StorageLocation(try baseURL()) else {
            throw ClusterUnavailable(reason: "HROMADA_POSTGRES_URL is not postgres://USER@HOST:PORT/DATABASE")
        }
        let name = "s_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await withAdmin(host: host, port: port, user: user, password: password) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        return .postgres(host: host, port: port, user: user, password: password, database: name)
    }

    /// Runs raw SQL in the database at `location` (to build old schemas or tamper with versions).
    func execute(_ statements: [String], in location: StorageLocation) async throws {
        guard case .postgres(let host, let port, let user, let password, let database) = location else { return }
        try await withAdmin(host: host, port: port, user: user, password: password, database: database) { client in
            for statement in statements { try await client.query(PostgresQuery(unsafeSQL: statement)) }
        }
    }

    private func withAdmin(
        host: String, port: Int, user: String, password: String?, database: String = "postgres",
        _ body: (PostgresClient) async throws -> Void
    ) async throws {
        let client = PostgresClient(configuration: .init(host: host, port: port, username: user, password: password, database: database, tls: .disable))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            do {
                try await body(client)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }
}

struct ClusterUnavailable: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
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
            notAfter: UnixTime(1_900_000_000), issuerKeyID: KeyID(derivedFrom: rootPublic)
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

import AccountingStore
import Crypto
import DeskRegistry
import Entitlements
import Identifiers
import StorageTesting
import Testing

import Foundation

/// The engines every registry test runs on: the SQLite file and the test run's PostgreSQL.
enum RegistryEngineUnderTest: String, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var all: [RegistryEngineUnderTest] { StorageEngine.all.map { $0 == .sqlite ? .sqlite : .postgres } }

    var testDescription: String { rawValue }

    /// A fresh, empty registry location.
    func freshLocation() async throws -> RegistryLocation {
        switch self {
        case .sqlite:
            return .sqlite(path: Fixture.temporaryPath("registry", "sqlite"))
        case .postgres:
            guard case .postgres(let host, let port, let user, let password, let database) = try await PostgresCluster.shared.freshDatabase() else {
                throw RegistryError(.unavailable, ukrainian: "тестовий кластер не дав адреси TCP", english: "the test cluster gave no TCP location")
            }
            return .postgres(host: host, port: port, user: user, password: password, database: database)
        }
    }
}

enum Fixture {
    static let key = RegistryKeyring.Key(SymmetricKey(data: [UInt8](repeating: 0x5A, count: 32)))
    static let otherKey = RegistryKeyring.Key(SymmetricKey(data: [UInt8](repeating: 0x33, count: 32)))
    static let keyring = RegistryKeyring(keys: [key])
    static let now = UnixTime(1_796_515_200)  // 2026-12-06T00:00:00Z
    static let today = CivilDate(year: 2026, month: 12, day: 6)!
    static let clerk = "Оксана (clerk 3)"

    static func temporaryPath(_ stem: String, _ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hromada-\(stem)-\(UUID().uuidString).\(suffix)").path
    }

    static func date(_ text: String) -> CivilDate { CivilDate(iso: text)! }

    static func person(_ name: String, born: String = "1951-03-14", passport: String, phone: String? = "+380671234567") -> HolderDetails {
        try! HolderDetails(
            fullName: name, dateOfBirth: date(born), address: "Немішаєве, вул. Шевченка, 12", document: try! IdentityDocument(type: .passport, number: passport),
            phone: phone, today: today)
    }

    static func card(_ serial: UInt64, uid: UInt8, entitlements: [WrittenEntitlement]) -> IssuedCard {
        IssuedCard(
            serial: CardSerial(serial), uid: [0x04, uid, uid, uid, uid, uid, uid], layout: LayoutVersion(2), pseudonym: [UInt8](repeating: uid, count: 16),
            entitlements: entitlements)
    }

    static func entitlement(_ id: UInt32, category: UInt16 = 1, until: String) -> WrittenEntitlement {
        WrittenEntitlement(id: EntitlementID(id), category: CategoryCode(category), product: "rides:30/month", validFrom: date("2026-01-01"), validUntil: date(until))
    }
}

extension RegistryLocation {
    /// The registry here with the fixture's keyring.
    func withTestRegistry<Result: Sendable>(keyring: RegistryKeyring = Fixture.keyring, _ body: @Sendable (HolderRegistry) async throws -> Result) async throws -> Result {
        try await withRegistry(keyring: keyring, now: Fixture.now, body)
    }

    /// Every byte of the SQLite file and its write-ahead log (empty for PostgreSQL).
    var fileBytes: [UInt8] {
        guard case .sqlite(let path) = self else { return [] }
        let main = FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
        let log = FileManager.default.contents(atPath: path + "-wal").map { [UInt8]($0) } ?? []
        return main + log
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in these bytes.
    func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        let first = needle[0]
        var index = 0
        while let start = self[index...].firstIndex(of: first) {
            if start + needle.count > count { return false }
            if self[start..<start + needle.count].elementsEqual(needle) { return true }
            index = start + 1
        }
        return false
    }

    /// Whether the UTF-8 of `text` occurs in these bytes.
    func contains(text: String) -> Bool { contains(bytes: Array(text.utf8)) }
}

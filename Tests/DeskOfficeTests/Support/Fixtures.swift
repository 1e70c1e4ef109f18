import CardLayout
import CommunityKeys
import Crypto
import Desk
import DeskOffice
import DeskRecords
import DeskRegistry
import Entitlements
import Foundation
import Identifiers
import SocialCard
import Tariff
import TestBedSupport
import VirtualCard

enum Fixtures {
    /// The package root, found from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let layoutPath = packageRoot.appendingPathComponent("CardLayouts/nemishaieve-social-v2.json").path

    /// 2026-11-29 12:00 UTC.
    static let now = UnixTime(1_795_953_600)
    static let today = CivilDate(year: 2026, month: 11, day: 29)!
    static let clerk = "Оксана (clerk 3)"
    static let keyring = RegistryKeyring(keys: [RegistryKeyring.Key(SymmetricKey(data: [UInt8](repeating: 0x5A, count: 32)))])

    static func temporaryPath(_ stem: String, _ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hromada-\(stem)-\(UUID().uuidString).\(suffix)").path
    }

    /// A community directory in a temporary directory, removed with the value.
    final class Community: @unchecked Sendable {
        let path: String
        let directory: CommunityDirectory
        init() throws {
            path = temporaryPath("office-keys", "d")
            var generator = SystemRandomNumberGenerator()
            directory = try CommunityDirectory.create(at: path, community: "nemishaieve", now: Fixtures.now.adding(seconds: -86_400), using: &generator)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func person(_ name: String, passport: String) -> HolderDetails {
        try! HolderDetails(
            fullName: name, dateOfBirth: CivilDate(iso: "1951-03-14")!, address: "Немішаєве, вул. Шевченка, 12",
            document: try! IdentityDocument(type: .passport, number: passport), phone: nil, today: today)
    }

    /// The desk at `reader` with `community`'s keys and the v2 layout.
    static func desk(_ community: Community, reader: TestReader) throws -> IssuanceDesk {
        IssuanceDesk(setup: try DeskSetup(keys: community.path, layoutPath: layoutPath, categoriesPath: nil), reader: PlacedCardReader(name: reader.name, wait: .zero))
    }
}

/// The registry, with one kind of record failing on purpose: the crash between the card write
/// and the registry's record.
final class TornRecorder: CardEventRecorder, @unchecked Sendable {
    enum Failing { case none, issued, entitlements, credit, status, replacement }
    let registry: HolderRegistry
    private let lock = NSLock()
    private var failing = Failing.none

    init(_ registry: HolderRegistry) { self.registry = registry }

    func fail(_ kind: Failing) { lock.withLock { failing = kind } }

    private func check(_ kind: Failing) throws {
        if lock.withLock({ failing }) == kind {
            throw RegistryError(.unavailable, ukrainian: "реєстр впав навмисно", english: "the registry is down on purpose")
        }
    }

    func recordIssued(_ card: IssuedCard, holder: HolderID, clerk: String, at time: UnixTime) async throws -> RecordOutcome {
        try check(.issued)
        return try await registry.recordIssued(card, holder: holder, clerk: clerk, at: time)
    }
    func recordEntitlements(_ entitlements: [WrittenEntitlement], on serial: CardSerial, clerk: String, at time: UnixTime) async throws -> RecordOutcome {
        try check(.entitlements)
        return try await registry.recordEntitlements(entitlements, on: serial, clerk: clerk, at: time)
    }
    func recordCredit(kopecks: Int64, on serial: CardSerial, receipt: String, clerk: String, at time: UnixTime) async throws -> RecordOutcome {
        try check(.credit)
        return try await registry.recordCredit(kopecks: kopecks, on: serial, receipt: receipt, clerk: clerk, at: time)
    }
    func recordStatus(_ event: CardStatusEvent, of serial: CardSerial, clerk: String, at time: UnixTime) async throws -> RecordOutcome {
        try check(.status)
        return try await registry.recordStatus(event, of: serial, clerk: clerk, at: time)
    }
    func recordReplacement(of old: CardSerial, by new: IssuedCard, clerk: String, at time: UnixTime) async throws -> RecordOutcome {
        try check(.replacement)
        return try await registry.recordReplacement(of: old, by: new, clerk: clerk, at: time)
    }
}

/// The accounting service's deny-list side, in memory.
final class FakeAccounting: DenyListService, @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [DenyListReport] = []
    var balances: [(deviceTime: Int64, balanceKopecks: Int)] = []

    var reports: [DenyListReport] { lock.withLock { entries } }

    func reportedEntries() async throws -> [DenyListReport] { lock.withLock { entries } }

    func report(_ serial: CardSerial, reason: DenyList.Reason) async throws -> DenyListReport {
        lock.withLock {
            let entry = DenyListReport(id: entries.count + 1, cardSerial: serial.printed, reason: reason.rawValue, reportedBy: "desk", reportedAt: 1)
            entries.append(entry)
            return entry
        }
    }

    func newestDenyListBundle() async throws -> [UInt8]? { nil }
    func purseBalances(of serial: CardSerial) async throws -> [(deviceTime: Int64, balanceKopecks: Int)] { balances }
}

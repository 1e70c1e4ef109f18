import Bundles
import Desk
import Entitlements
import Foundation
import Identifiers
import SocialCard
import Tariff
import TestBedSupport
import Testing
import VirtualCard

/// An accounting service in memory that can fail on purpose: a crash between a replacement's steps.
final class FakeAccounting: DenyListService, @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [DenyListReport] = []
    private var posts = 0
    var failReports = false
    var bundle: [UInt8]?
    var balances: [(deviceTime: Int64, balanceKopecks: Int)] = []

    var postCount: Int { lock.withLock { posts } }

    func reportedEntries() async throws -> [DenyListReport] { lock.withLock { entries } }

    func report(_ serial: CardSerial, reason: DenyList.Reason) async throws -> DenyListReport {
        try lock.withLock {
            if failReports { throw DeskError(.accountingUnavailable, ukrainian: "недоступний", english: "down on purpose") }
            posts += 1
            let entry = DenyListReport(id: entries.count + 1, cardSerial: serial.printed, reason: reason.rawValue, reportedBy: "desk", reportedAt: 1)
            entries.append(entry)
            return entry
        }
    }

    func newestDenyListBundle() async throws -> [UInt8]? { bundle }
    func purseBalances(of serial: CardSerial) async throws -> [(deviceTime: Int64, balanceKopecks: Int)] { balances }
}

/// The desk's lifecycle actions through its library, the reader as the desk uses it (pcscd and
/// a virtual card), and the accounting service faked in memory.
@Suite("Desk lifecycle actions", .serialized)
struct DeskLifecycleTests {
    static func desk(_ community: Fixtures.Community, reader: TestReader, layout: String = Fixtures.layoutV2Path) throws -> IssuanceDesk {
        IssuanceDesk(setup: try DeskSetup(keys: community.path, layoutPath: layout, categoriesPath: nil), reader: PlacedCardReader(name: reader.name, wait: .zero))
    }

    static func withCard<Result>(_ card: BlankCard, _ reader: TestReader, _ body: () async throws -> Result) async throws -> Result {
        let emulator = try VirtualDESFireCard(imageFile: card.file)
        return try await reader.withVirtualCard(emulator) { _ in try await body() }
    }

    @Test("replace: the new card issued, the deny-list report lost to a crash; the same replacement again finishes it, reporting once")
    func replaceCrashBetweenSteps() async throws {
        let community = try Fixtures.Community()
        let old = try BlankCard(uid: [0x04, 0x91, 0x00, 0x01, 0x02, 0x03, 0x04])
        let new = try BlankCard(uid: [0x04, 0x91, 0x01, 0x01, 0x02, 0x03, 0x04])
        defer { old.remove(); new.remove() }
        let accounting = FakeAccounting()
        let order = ReplacementOrder(oldSerial: CardSerial(printed: "0A0B-0C0D-0E0F-9100")!, newSerial: CardSerial(printed: "0A0B-0C0D-0E0F-9101")!)
        try await TestBed.shared.withReader { reader in
            let desk = try Self.desk(community, reader: reader)
            var random = SystemRandomNumberGenerator()
            _ = try await Self.withCard(old, reader) {
                try await desk.issueReport(
                    IssueOrder(serial: order.oldSerial, category: "pensioner", product: .rides(count: 30, per: .month), validUntil: nil, purseKopecks: 12_345, issuer: nil),
                    now: Fixtures.now, waiting: {}, using: &random)
            }
            // The first attempt: old card read and blocked, new card issued, then the report fails.
            let (source, _) = try await Self.withCard(old, reader) {
                try await desk.replacementSource(order, now: Fixtures.now, waiting: {}, using: &random)
            }
            #expect(source.purseKopecks == 12_345 && source.balanceOrigin == .card)
            let issued = try await Self.withCard(new, reader) {
                try await desk.issueReplacement(order, from: source, now: Fixtures.now, waiting: {}, using: &random)
            }
            #expect(!issued.wasAlreadyDone && issued.purseAfterKopecks == 12_345 && issued.formerSerial == order.oldSerial)
            accounting.failReports = true
            await #expect(throws: DeskError.self) { _ = try await desk.finishReplacement(issued, service: accounting) }
            #expect(try await accounting.reportedEntries().isEmpty)

            // The re-run: the old card reads the same (blocked, balance kept), the new card is done, the report is made.
            accounting.failReports = false
            let (again, _) = try await Self.withCard(old, reader) {
                try await desk.replacementSource(order, now: Fixtures.now.adding(seconds: 300), waiting: {}, using: &random)
            }
            #expect(again == source)
            let reissued = try await Self.withCard(new, reader) {
                try await desk.issueReplacement(order, from: again, now: Fixtures.now.adding(seconds: 300), waiting: {}, using: &random)
            }
            #expect(reissued.wasAlreadyDone)
            let finished = try await desk.finishReplacement(reissued, service: accounting)
            #expect(finished.denyListReport?.cardSerial == order.oldSerial.printed && finished.denyListReport?.reason == "replaced")
            _ = try await desk.finishReplacement(reissued, service: accounting)
            #expect(accounting.postCount == 1)

            let read = try await Self.withCard(new, reader) { try await desk.read(now: Fixtures.now, dispute: "ЦНАП тест", waiting: {}, using: &random) }
            #expect(read.contains("Залишок гаманця: 123.45 грн  /  Purse balance: 123.45 UAH"))
            let oldRead = try await Self.withCard(old, reader) { try await desk.read(now: Fixtures.now, waiting: {}, using: &random) }
            #expect(oldRead.contains("Blocked: yes"))
        }
    }

    @Test("a lost card's balance is its newest uploaded entry's; none uploaded: 0")
    func lostCardBalance() async throws {
        let community = try Fixtures.Community()
        try await TestBed.shared.withReader { reader in
            let desk = try Self.desk(community, reader: reader)
            let accounting = FakeAccounting()
            let serial = CardSerial(printed: "0A0B-0C0D-0E0F-9200")!
            #expect(try await desk.lostCardSource(serial, entitlements: [], service: accounting).purseKopecks == 0)
            accounting.balances = [(deviceTime: 300, balanceKopecks: 700), (deviceTime: 900, balanceKopecks: 400), (deviceTime: 600, balanceKopecks: 550)]
            let source = try await desk.lostCardSource(serial, entitlements: [], service: accounting)
            #expect(source.purseKopecks == 400 && source.balanceOrigin == .ledger && source.holderPseudonym == nil)
        }
    }

    @Test("a block has reached the validators only once a deny-list bundle signed by the root lists the card")
    func blockPropagation() async throws {
        let community = try Fixtures.Community()
        try await TestBed.shared.withReader { reader in
            let desk = try Self.desk(community, reader: reader)
            let accounting = FakeAccounting()
            let serial = CardSerial(printed: "0A0B-0C0D-0E0F-9300")!
            _ = try await desk.reportBlock(serial, reason: .lost, to: accounting)
            _ = try await desk.reportBlock(serial, reason: .lost, to: accounting)
            #expect(accounting.postCount == 1)
            var state = try await desk.blockPropagation(of: serial, service: accounting, now: Fixtures.now)
            #expect(state.reported && !state.reachedValidators && state.newestBundleVersion == nil)
            let root = try community.directory.rootKey()
            func bundle(_ version: UInt32, _ entries: [DenyList.Entry]) throws -> [UInt8] {
                try SignedBundle.make(
                    .denyList(try DenyList(version: version, entries: entries)), community: "nemishaieve", version: version, issuedAt: Fixtures.now.adding(seconds: -60),
                    expiresAt: Fixtures.now.adding(seconds: 86_400), rootKeyID: root.keyID, rootKey: root.privateKey).encoded()
            }
            accounting.bundle = try bundle(3, [DenyList.Entry(serial: 0x1, reason: .stolen)])
            state = try await desk.blockPropagation(of: serial, service: accounting, now: Fixtures.now)
            #expect(state.newestBundleVersion == 3 && !state.reachedValidators)
            #expect(CardActionText.propagation(state).contains("НЕ дійшло"))
            accounting.bundle = try bundle(4, [DenyList.Entry(serial: serial, reason: .lost)])
            state = try await desk.blockPropagation(of: serial, service: accounting, now: Fixtures.now)
            #expect(state.reachedValidators && state.listedReason == .lost)
        }
    }
}

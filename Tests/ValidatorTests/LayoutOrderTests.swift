import CardLayout
import DESFire
import Foundation
import Identifiers
import Synchronization
import SocialCard
import Tariff
import TestBedSupport
import Testing
import Validator
import VirtualCard

/// A DESFire card model that records every command it is sent, for counting APDUs on the card's
/// side of pcscd (the validator's own count could miss or double one).
final class RecordingCard: EmulatedCard {
    let base: VirtualDESFireCard
    let log: CommandLog

    /// The commands received, shared with the test (the card itself is handed to the test bed).
    final class CommandLog: Sendable {
        private let commands = Mutex<[[UInt8]]>([])
        var all: [[UInt8]] { commands.withLock { $0 } }
        func append(_ command: [UInt8]) { commands.withLock { $0.append(command) } }

        /// The AIDs of the SelectApplication commands, in order (0 for the card level).
        var selectedApplications: [UInt32] {
            all.filter { $0.count >= 8 && $0[0] == 0x90 && $0[1] == 0x5A }.map { UInt32($0[5]) | UInt32($0[6]) << 8 | UInt32($0[7]) << 16 }
        }
    }

    init(base: VirtualDESFireCard, log: CommandLog) {
        self.base = base
        self.log = log
    }

    var atr: [UInt8] { base.atr }
    func powerOn() { base.powerOn() }
    func powerOff() { base.powerOff() }
    func reset() { base.reset() }
    func leaveField() { base.leaveField() }
    func respond(to command: [UInt8]) -> [UInt8] {
        log.append(command)
        return base.respond(to: command)
    }
}

/// The order a validator holding v3, v2 and v1 tries card layouts in comes from the tariff
/// (`cardLayoutOrder`: the community's cards, most common first), newest first without it.
@Suite("Card layout order from the tariff", .serialized)
struct LayoutOrderTests {
    static func layoutID(_ path: String) throws -> UInt32 {
        try SocialCardLayout(CardLayout(json: [UInt8](FileManager.default.contents(atPath: path)!))).applicationID.rawValue
    }

    /// Issues a card of `layoutPath` with a free ride and taps it once under `order`; the
    /// result and the commands the card received.
    func tap(layoutPath: String, order: [LayoutVersion]?, serial: CardSerial, salt: UInt8) async throws -> (TapResult, RecordingCard.CommandLog) {
        let community = try TestCommunity(layoutPath: layoutPath)
        var tariff = community.tariff
        tariff.cardLayoutOrder = order
        try tariff.validate()
        let validator = try ValidatorHarness(community: community, tariff: tariff)
        defer { validator.removeFiles() }
        let card = try TestCard(number: 1, salt: salt)
        defer { card.remove() }
        let log = RecordingCard.CommandLog()
        let result = try await TestBed.shared.withReader { reader in
            try await validator.issue(card, try community.plan(serial: serial, grants: [.init(product: .free, category: 2)]), on: reader)
            return try await validator.tap(RecordingCard(base: try VirtualDESFireCard(imageFile: card.file), log: log), on: reader, at: Clock.now)
        }
        #expect(result.verdict == .accepted, "\(result)")
        #expect(result.reason == "accepted-free")
        return (result, log)
    }

    @Test("a v2-majority community reads a v2 card without the refused v3 select")
    func v2MajorityReadsV2First() async throws {
        let v2 = try Self.layoutID(Paths.layoutV2)
        let v3 = try Self.layoutID(Paths.layoutV3)
        let (newestFirst, newestFirstLog) = try await tap(layoutPath: Paths.layoutV2, order: nil, serial: 0x7201, salt: 0x31)
        let (ordered, orderedLog) = try await tap(layoutPath: Paths.layoutV2, order: [2, 3, 1], serial: 0x7202, salt: 0x32)
        // Newest first: v3 refused, then v2. In the community's order: v2 at once.
        #expect(Array(newestFirstLog.selectedApplications.prefix(2)) == [v3, v2])
        #expect(orderedLog.selectedApplications.first == v2)
        #expect(!orderedLog.selectedApplications.contains(v3))
        #expect(orderedLog.all.count == newestFirstLog.all.count - 1, "\(orderedLog.all.count) APDUs vs \(newestFirstLog.all.count)")
        #expect(ordered.apduCount == newestFirst.apduCount - 1)
    }

    @Test("a v3 card under a v2-first order pays the refused v2 select; a v1 card pays two")
    func otherLayoutsFallThrough() async throws {
        let v1 = try Self.layoutID(Paths.layout)
        let v2 = try Self.layoutID(Paths.layoutV2)
        let v3 = try Self.layoutID(Paths.layoutV3)
        let (_, v3NewestFirst) = try await tap(layoutPath: Paths.layoutV3, order: nil, serial: 0x7203, salt: 0x33)
        let (_, v3Ordered) = try await tap(layoutPath: Paths.layoutV3, order: [2, 3, 1], serial: 0x7204, salt: 0x34)
        #expect(Array(v3Ordered.selectedApplications.prefix(2)) == [v2, v3])
        #expect(v3Ordered.all.count == v3NewestFirst.all.count + 1)
        let (_, v1Ordered) = try await tap(layoutPath: Paths.layout, order: [2, 3, 1], serial: 0x7205, salt: 0x35)
        #expect(Array(v1Ordered.selectedApplications.prefix(3)) == [v2, v3, v1])
    }

    /// A free ride on a card never upgraded, as docs/validator.md budgets it (v1 14 APDUs, v2 10,
    /// v3 9, one layout held), plus one refused select per layout tried before the card's own.
    /// The upgrade's mark (in the card info every read fetches) adds none.
    @Test("a free ride on a card never upgraded: v1 14, v2 10, v3 9 APDUs plus one per layout tried before, in either order",
          arguments: [(order: [LayoutVersion]?.none, apdus: [16, 11, 9]), (order: [1, 2, 3], apdus: [14, 11, 11])])
    func freeRideAPDUs(order: [LayoutVersion]?, apdus: [Int]) async throws {
        for (index, path) in [Paths.layout, Paths.layoutV2, Paths.layoutV3].enumerated() {
            let (result, log) = try await tap(
                layoutPath: path, order: order, serial: CardSerial(0x7210 + UInt64(index) + (order == nil ? 0 : 8)), salt: 0x40 + UInt8(index) + (order == nil ? 0 : 8))
            #expect(result.apduCount == apdus[index], "v\(index + 1), order \(order.map { "\($0.map(\.rawValue))" } ?? "newest first"): \(result.apduCount) APDUs")
            #expect(log.all.count == result.apduCount, "v\(index + 1): the card received \(log.all.count) commands")
        }
    }

    @Test("the tapper's order: the tariff's layouts first, the rest newest first")
    func readingOrder() throws {
        let community = try TestCommunity()
        let tapper = try community.tapper()
        var tariff = community.tariff
        #expect(tapper.readingOrder(under: tariff).map(\.layout.version) == [3, 2, 1])
        tariff.cardLayoutOrder = [1]
        #expect(tapper.readingOrder(under: tariff).map(\.layout.version) == [1, 3, 2])
        tariff.cardLayoutOrder = [2, 1, 3]
        #expect(tapper.readingOrder(under: tariff).map(\.layout.version) == [2, 1, 3])
    }
}

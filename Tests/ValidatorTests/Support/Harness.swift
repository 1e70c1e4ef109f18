import Crypto
import DESFire
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import LedgerStore
import PCSC
import SmartCard
import SocialCard
import Tariff
import TestBedSupport
import Testing
import Validator
import VirtualCard

/// A virtual card saved in a temporary file: tapped again and again, it keeps what it committed.
struct TestCard {
    let directory: URL
    let file: CardImageFile
    let uid: [UInt8]

    init(uid: [UInt8]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-validator-card-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        file = CardImageFile(path: directory.appendingPathComponent("card.json").path)
        self.uid = uid
        try file.save(CardImage.factoryNew(uid: uid))
    }

    init(number: UInt8, salt: UInt8 = 0) throws {
        try self.init(uid: [0x04, 0x5A, salt, 0x10, 0x20, 0x30, number])
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func snapshot() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: file.path)) }
    func restore(_ data: Data) throws { try data.write(to: URL(fileURLWithPath: file.path)) }
}

/// A DESFire card model that processes APDU number `loseAnswerAt` but answers it with garbage:
/// the command took effect on the card, the validator never hears so (a tear in the middle of
/// the answer). `tearAfterAPDUs` of the test bed covers the other case, a command never received.
final class LosingAnswerCard: EmulatedCard {
    let base: VirtualDESFireCard
    let loseAnswerAt: Int
    private(set) var answered = 0

    init(base: VirtualDESFireCard, loseAnswerAt: Int) {
        self.base = base
        self.loseAnswerAt = loseAnswerAt
    }

    var atr: [UInt8] { base.atr }
    func powerOn() { base.powerOn() }
    func powerOff() { base.powerOff() }
    func reset() { base.reset() }
    func leaveField() { base.leaveField() }
    func respond(to command: [UInt8]) -> [UInt8] {
        let answer = base.respond(to: command)
        answered += 1
        return answered == loseAnswerAt ? [0x6F] : answer
    }
}

/// A card with a non-DESFire ATR, or one that answers every command with noise.
final class ForeignCard: EmulatedCard {
    enum Behaviour { case otherATR, garbage, silent }
    let behaviour: Behaviour
    init(_ behaviour: Behaviour) { self.behaviour = behaviour }
    var atr: [UInt8] { behaviour == .otherATR ? [0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x6A] : CardIdentity.desfireATR }
    func powerOn() {}
    func powerOff() {}
    func reset() {}
    func leaveField() {}
    func respond(to command: [UInt8]) -> [UInt8] {
        switch behaviour {
        case .otherATR: return [0x6A, 0x81]
        case .garbage:
            if command.starts(with: [0xFF, 0xCA]) { return [0x04, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90, 0x00] }
            return [0x13, 0x37, 0x91, 0x00]
        case .silent:
            if command.starts(with: [0xFF, 0xCA]) { return [0x04, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x90, 0x00] }
            Thread.sleep(forTimeInterval: 4)
            return [0x91, 0xAE]
        }
    }
}

/// One validator (device 7001 on vehicle 17, route 1) with its own ledger in a temporary directory.
final class ValidatorHarness: @unchecked Sendable {
    static let deviceID = DeviceID(7001)
    let community: TestCommunity
    let directory: String
    let ledgerPath: String
    let deviceKey: Curve25519.Signing.PrivateKey
    let ledger: TapLedger
    let pipeline: TapPipeline
    let tapper: SocialCardTapper

    init(
        community: TestCommunity, tariff: Tariff? = nil, denyList: DenyList = .empty, route: RouteNumber = 1, vehicle: VehicleID = 17,
        ledgerPageLimit: Int? = nil, deviceID: DeviceID = ValidatorHarness.deviceID, existing: (directory: String, key: Curve25519.Signing.PrivateKey)? = nil
    ) throws {
        self.community = community
        directory = existing?.directory ?? Paths.temporaryDirectory("hromada-validator-ledger")
        ledgerPath = directory + "/ledger.sqlite"
        deviceKey = existing?.key ?? Curve25519.Signing.PrivateKey()
        let store = try LedgerStore(
            path: ledgerPath, deviceID: deviceID, deviceKey: deviceKey,
            configuration: .init(checkpointInterval: 10, maximumPageCount: ledgerPageLimit))
        ledger = try TapLedger(store: store)
        let rules = TapRules(
            context: TapContext(deviceID: deviceID, vehicleID: vehicle, route: route, zone: 1), tariff: tariff ?? community.tariff,
            trust: try community.trustStore(), denyList: denyList)
        pipeline = TapPipeline(ledger: ledger, rules: rules)
        tapper = try community.tapper()
    }

    func removeFiles() { try? FileManager.default.removeItem(atPath: directory) }

    /// Personalizes `card` with `plan` through pcscd, as the desk does.
    func issue(_ card: TestCard, _ plan: PersonalizationPlan, on reader: TestReader) async throws {
        var generator = SystemRandomNumberGenerator()
        let keyring = try community.keyring()
        let emulator = try VirtualDESFireCard(imageFile: card.file)
        _ = try await reader.withVirtualCard(emulator) { _ in
            try await PCSCClient().withCard(reader: reader.name) { channel in
                try await Personalization(plan: plan, keyring: keyring).run(on: channel, using: &generator)
            }
        }
    }

    /// Taps `card` on `reader` at `now` through pcscd; optionally the card is torn after
    /// `tearAfterAPDUs` answers, or the answer of APDU `loseAnswerAt` is lost.
    func tap(_ card: TestCard, on reader: TestReader, at now: UnixTime, tearAfterAPDUs: Int? = nil, loseAnswerAt: Int? = nil) async throws -> TapResult {
        let emulator = try VirtualDESFireCard(imageFile: card.file)
        if let loseAnswerAt {
            return try await tap(LosingAnswerCard(base: emulator, loseAnswerAt: loseAnswerAt), on: reader, at: now)
        }
        return try await tap(emulator, on: reader, at: now, tearAfterAPDUs: tearAfterAPDUs)
    }

    /// Taps any emulated card, as the daemon does on a card insertion (ATR check, then the tapper).
    func tap<Card: EmulatedCard>(_ emulator: sending Card, on reader: TestReader, at now: UnixTime, tearAfterAPDUs: Int? = nil) async throws -> TapResult {
        let pipeline = self.pipeline
        let tapper = self.tapper
        return try await reader.withVirtualCard(emulator, tearAfterAPDUs: tearAfterAPDUs) { _ in
            let status = try PCSCClient().status(of: reader.name)
            guard CardIdentity(atr: status.atr).looksLikeDESFire else {
                return await pipeline.declineUnread(reader: reader.name, error: ValidatorError(.notDESFire, "test"), now: now)
            }
            do {
                return try await PCSCClient().withCard(reader: reader.name) { channel in
                    await tapper.tap(channel: channel, atr: status.atr, reader: reader.name, pipeline: pipeline, now: now, shouldStop: { false })
                }
            } catch {
                return await pipeline.declineUnread(reader: reader.name, error: error, now: now)
            }
        }
    }

    /// Taps `card` in `field`: through pcscd exactly as ``tap(_:on:at:tearAfterAPDUs:loseAnswerAt:)``
    /// on a reader, or in-process with the same ATR check and the same tapper and pipeline.
    func tap(_ card: TestCard, on field: CardField, at now: UnixTime, tearAfterAPDUs: Int? = nil, loseAnswerAt: Int? = nil) async throws -> TapResult {
        if case .testBed(let reader) = field {
            return try await tap(card, on: reader, at: now, tearAfterAPDUs: tearAfterAPDUs, loseAnswerAt: loseAnswerAt)
        }
        let emulator = try VirtualDESFireCard(imageFile: card.file)
        if let loseAnswerAt {
            return try await tapInProcess(LosingAnswerCard(base: emulator, loseAnswerAt: loseAnswerAt), at: now)
        }
        return try await tapInProcess(emulator, at: now, tearAfterAPDUs: tearAfterAPDUs)
    }

    private func tapInProcess<Card: EmulatedCard & SendableMetatype>(_ emulator: sending Card, at now: UnixTime, tearAfterAPDUs: Int? = nil) async throws -> TapResult {
        let pipeline = self.pipeline
        let tapper = self.tapper
        let reader = "in-process"
        return try await CardField.inProcess.withCard(emulator, tearAfterAPDUs: tearAfterAPDUs) { channel in
            guard CardIdentity(atr: channel.atr).looksLikeDESFire else {
                return await pipeline.declineUnread(reader: reader, error: ValidatorError(.notDESFire, "test"), now: now)
            }
            // What `SocialCardTapper.tap(channel:…)` does, which takes a PC/SC channel only: the
            // layouts in the order of the tariff in force.
            var tapCard = SocialTapCard(channel: channel, layouts: tapper.readingOrder(under: pipeline.rules.tariff), keyring: tapper.keyring)
            return await pipeline.process(&tapCard, reader: reader, now: now, shouldStop: { false })
        }
    }

    /// Everything on the card in `field`, read as the desk reads it.
    func contents(of card: TestCard, on field: CardField) async throws -> SocialCardContents {
        var generator = SystemRandomNumberGenerator()
        let keyring = try community.keyring()
        let layout = community.layout
        let emulator = try VirtualDESFireCard(imageFile: card.file)
        return try await field.withCard(emulator) { channel in
            try await SocialCardReader(layout: layout, keyring: keyring).read(from: channel, purpose: .desk, trips: .all, using: &generator)
        }
    }

    /// Overwrites the card info file with the desk's issue key (to make a card the validator must refuse).
    func rewriteCardInfo(_ card: TestCard, _ info: CardInfo, on reader: TestReader) async throws {
        let layout = community.layout
        let bytes = try layout.encode(info)
        let key = try community.keyring().cardKeys(uid: card.uid, application: layout.applicationID, version: 1).applicationKey(.issue)
        let emulator = try VirtualDESFireCard(imageFile: card.file)
        try await reader.withVirtualCard(emulator) { _ in
            try await PCSCClient().withCard(reader: reader.name) { channel in
                var client = DESFireCard(channel: channel)
                var generator = SystemRandomNumberGenerator()
                try await client.selectApplication(layout.applicationID)
                try await client.authenticateAES(keyNumber: layout.keyNumber(.issue), key: key, using: &generator)
                try await client.writeData(
                    file: SocialCardLayout.fileNumber(layout.cardInfo), data: bytes, mode: SocialCardLayout.communicationMode(layout.cardInfo))
            }
        }
    }

    /// Everything on the card, read as the desk reads it (every key, the whole trip log).
    func contents(of card: TestCard, on reader: TestReader) async throws -> SocialCardContents {
        var generator = SystemRandomNumberGenerator()
        let keyring = try community.keyring()
        let layout = community.layout
        let emulator = try VirtualDESFireCard(imageFile: card.file)
        return try await reader.withVirtualCard(emulator) { _ in
            try await PCSCClient().withCard(reader: reader.name) { channel in
                try await SocialCardReader(layout: layout, keyring: keyring).read(from: channel, purpose: .desk, trips: .all, using: &generator)
            }
        }
    }

    /// Every entry of the ledger, read through a second, read-only connection.
    func entries() throws -> [LedgerEntry] {
        let reader = try LedgerStore(readingAt: ledgerPath)
        defer { reader.close() }
        var entries: [LedgerEntry] = []
        try reader.forEachEntry { entries.append($0) }
        return entries
    }

    func verify() throws -> Bool {
        let reader = try LedgerStore(readingAt: ledgerPath)
        defer { reader.close() }
        return try reader.verify(devicePublicKey: deviceKey.publicKey).isIntact
    }
}

/// What the ledger says happened to one card, and whether the card agrees.
struct Agreement: CustomStringConvertible {
    var ridesOnCard: Set<TripIdentity>
    var ridesConfirmed: Set<TripIdentity>
    var ridesAbandoned: Set<TripIdentity>
    var openPending: Int
    var chargeEntries: Int
    var purseDebitedInLedger: Int64
    var purseOnCard: Int
    var purseIssued: Int
    var countersOnCard: Int
    var countedRidesInLedger: Int

    /// Checks "every change committed on a card has a ledger entry, and every charge in the
    /// ledger happened on the card" for `card` on `harness`'s device.
    static func check(card: SocialCardContents, entries: [LedgerEntry], device: DeviceID, purseIssued: Int, countedEntitlement: EntitlementID? = nil) -> Agreement {
        let serial = card.info.serial
        let ridesOnCard = Set(
            card.trips.filter { $0.deviceID == device.rawValue && ($0.kind == "entry" || $0.kind == "transfer") }.map {
                TripIdentity(deviceID: DeviceID($0.deviceID), cardSequence: UInt16($0.sequence), time: $0.time)
            })
        var pendings: [UInt64: PendingTransaction] = [:]
        var confirmed = Set<UInt64>()
        var abandoned = Set<UInt64>()
        var charges = 0
        var debited: Int64 = 0
        var counted = 0
        for entry in entries where entry.record.cardSerial == serial {
            switch entry.record.kind {
            case .cardTransactionPending: pendings[entry.sequence] = PendingTransaction(entry: entry)
            case .cardTransactionConfirmed: confirmed.insert(entry.record.relatedSequence!)
            case .cardTransactionAbandoned: abandoned.insert(entry.record.relatedSequence!)
            case .rideAccepted, .benefitUse:
                charges += 1
                if let countedEntitlement, entry.record.entitlementID == countedEntitlement { counted += 1 }
            case .purseDebit: debited += entry.record.fareKopecks ?? 0
            default: break
            }
        }
        let rides = pendings.filter { $0.value.purpose == .ride }
        return Agreement(
            ridesOnCard: ridesOnCard,
            ridesConfirmed: Set(rides.filter { confirmed.contains($0.key) }.compactMap { $0.value.trip }),
            ridesAbandoned: Set(rides.filter { abandoned.contains($0.key) }.compactMap { $0.value.trip }),
            openPending: pendings.keys.filter { !confirmed.contains($0) && !abandoned.contains($0) }.count,
            chargeEntries: charges, purseDebitedInLedger: debited, purseOnCard: card.purseKopecks, purseIssued: purseIssued,
            countersOnCard: card.counters.reduce(0) { $0 + ($1.entitlementID == countedEntitlement ? $1.ridesUsed : 0) },
            countedRidesInLedger: counted)
    }

    /// The invariant holds.
    var holds: Bool {
        ridesOnCard == ridesConfirmed && ridesConfirmed.isDisjoint(with: ridesAbandoned) && openPending == 0
            && chargeEntries == ridesConfirmed.count && Int64(purseIssued) - purseDebitedInLedger == Int64(purseOnCard)
            && countersOnCard == countedRidesInLedger
    }

    var description: String {
        "card rides \(ridesOnCard.map(\.description).sorted()), confirmed \(ridesConfirmed.map(\.description).sorted()), abandoned \(ridesAbandoned.count), open \(openPending), charges \(chargeEntries), purse issued \(purseIssued) - ledger \(purseDebitedInLedger) vs card \(purseOnCard), counters card \(countersOnCard) ledger \(countedRidesInLedger)"
    }
}

/// Lends two readers at once. Only one test of this target holds (or waits for) a pair at a
/// time: several tests each holding one reader while waiting for a second could otherwise take
/// the whole bed between them and wait forever.
func withTwoReaders<Result>(_ body: (TestReader, TestReader) async throws -> Result) async throws -> Result {
    await PairGate.shared.enter()
    do {
        let result = try await TestBed.shared.withReader { first in
            try await TestBed.shared.withReader { second in try await body(first, second) }
        }
        await PairGate.shared.leave()
        return result
    } catch {
        await PairGate.shared.leave()
        throw error
    }
}

/// A FIFO async lock around pair leases.
actor PairGate {
    static let shared = PairGate()
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func leave() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

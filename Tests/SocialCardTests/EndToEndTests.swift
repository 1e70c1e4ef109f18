import CardLayout
import DESFire
import Entitlements
import Foundation
import Identifiers
import PCSC
import PropertyTesting
import SmartCard
import SocialCard
import TestBedSupport
import Testing
import VirtualCard

/// Counts the APDUs that really cross the channel, to check the library's own count.
struct CountingChannel<Base: CardChannel>: CardChannel {
    let base: Base
    let counter: Counter
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var sent: [CommandAPDU] = []
        func record(_ command: CommandAPDU) { lock.withLock { sent.append(command) } }
        var count: Int { lock.withLock { sent.count } }
        /// The commands in the order they were sent.
        var commands: [CommandAPDU] { lock.withLock { sent } }
    }
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        counter.record(command)
        return try await base.transmit(command)
    }
}

/// The tears of a tear-after-every-APDU loop that run through pcscd and vpcd as well as
/// in-process: the three nearest the flow's first DESFire CommitTransaction (`90 C7`) at
/// position c, out of c - 2 … c + 1 — torn before it (c - 1: the commit never reaches the card),
/// right after its answer (c), one APDU later — kept inside `1..<commands.count` (a commit that
/// is the flow's last APDU keeps c - 2 and c - 1). A flow without a commit keeps its first and
/// last tear.
func tearsThroughPCSC(_ commands: [CommandAPDU]) -> [Int] {
    let tearable = 1..<commands.count
    guard let commit = commands.firstIndex(where: { $0.cla == 0x90 && $0.ins == 0xC7 }).map({ $0 + 1 }) else {
        return Array(Set([tearable.lowerBound, tearable.upperBound - 1].filter(tearable.contains))).sorted()
    }
    return Array([commit - 2, commit - 1, commit, commit + 1].filter(tearable.contains).suffix(3))
}

extension CardField {
    /// Taps the card saved in `card` in this field (pcscd or in-process) and runs `body` with a
    /// channel to it.
    func tap<Result>(
        _ card: BlankCard, tearAfterAPDUs: Int? = nil, _ body: (FieldChannel) async throws -> Result
    ) async throws -> Result {
        let emulator = try VirtualDESFireCard(imageFile: card.file)
        return try await withCard(emulator, tearAfterAPDUs: tearAfterAPDUs) { channel in try await body(channel) }
    }
}

extension TestReader {
    /// Taps the card saved in `card` and runs `body` with a channel through pcscd.
    func tap<Result>(
        _ card: BlankCard, tearAfterAPDUs: Int? = nil, _ body: (PCSCCardChannel) async throws -> Result
    ) async throws -> Result {
        let emulator = try VirtualDESFireCard(imageFile: card.file)
        return try await withVirtualCard(emulator, tearAfterAPDUs: tearAfterAPDUs) { _ in
            try await PCSCClient().withCard(reader: name) { channel in try await body(channel) }
        }
    }
}

@Suite("Social card end to end through pcscd and the virtual card", .serialized)
struct SocialCardEndToEndTests {
    static let products: [(String, Product, Int32)] = [
        ("free", .free, 0),
        ("discount", .discount(percent: 50), 10_000),
        ("rides", .rides(count: 20, per: .month), 0),
        ("pass", .pass(from: Fixtures.today, through: Fixtures.today.adding(days: 30)), 0),
        ("purse", .storedValue, 25_000),
    ]

    @Test("issue each product kind onto a blank card, read it back as validator and desk", arguments: 0..<5)
    func issueAndRead(index: Int) async throws {
        let (name, product, purse) = Self.products[index]
        let community = try Fixtures.Community()
        let keyring = try community.keyring()
        let serial = CardSerial(0x1000 + UInt64(index))
        let plan = try community.plan(serial: serial, products: [product], category: index == 4 ? 100 : 1, purse: purse)
        let card = try BlankCard(uid: [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, UInt8(index)])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        try await TestBed.shared.withReader { reader in
            let report = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: keyring).run(on: channel, using: &generator)
            }
            #expect(!report.resumed, "\(name)")
            #expect(report.steps.last == .wroteCardInfo)
            #expect(report.uid == card.uid)

            // A validator holds only the read and validate master keys.
            let validatorRing = try community.keyring(roles: [.read, .validate])
            let counter = CountingChannel<PCSCCardChannel>.Counter()
            let validatorView = try await reader.tap(card) { channel in
                try await SocialCardReader(layout: Fixtures.layout, keyring: validatorRing)
                    .read(from: CountingChannel(base: channel, counter: counter), purpose: .validator, using: &generator)
            }
            #expect(validatorView.apduCount == counter.count)
            let deskView = try await reader.tap(card) { channel in
                try await SocialCardReader(layout: Fixtures.layout, keyring: keyring).read(from: channel, purpose: .desk, trips: .all, using: &generator)
            }
            for view in [validatorView, deskView] {
                #expect(view.info.serial == serial)
                #expect(view.info.holderPseudonym == plan.request.holderPseudonym)
                #expect(view.entitlements == plan.request.entitlements)
                #expect(view.purseKopecks == Int(purse))
                #expect(view.status.isBlocked == false)
                #expect(view.trips.map(\.kind) == ["issued"])
                #expect(view.counters.count == 1)
                let state = view.cardState
                #expect(state.serial == serial && state.purseKopecks == Int(purse) && state.recentTrips.isEmpty && !state.isBlocked)
            }
            let trust = try community.trustStore()
            let verdict = trust.verify(deskView.entitlements[0], for: serial, layoutVersion: 1, categories: Fixtures.categories, now: Fixtures.now)
            #expect(verdict.verified != nil, "\(name): \(verdict)")

            // Issuing the same card again changes nothing.
            let again = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: keyring).run(on: channel, using: &generator)
            }
            #expect(again.wasAlreadyComplete)
        }

        // The saved image, read without the client: the PICC key is AES, the files are the layout's.
        let image = try card.image()
        #expect(image.piccMasterKey.type == .aes)
        #expect(image.piccMasterKey.version == keyring.newestVersion)
        let application = try #require(image.applications.first { $0.aid == Fixtures.layout.applicationID.rawValue })
        #expect(application.keys.count == 4 && application.keys.allSatisfy { $0.version == keyring.newestVersion })
        #expect(application.files.map(\.number) == [1, 2, 3, 4, 5, 6])
    }

    @Test("a validator read: APDU count measured and checked against the channel")
    func validatorReadCount() async throws {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 0x2000, products: [.rides(count: 2, per: .day)], purse: 500)
        let card = try BlankCard(uid: [0x04, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        try await TestBed.shared.withReader { reader in
            let personalization = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: try community.keyring()).run(on: channel, using: &generator)
            }
            let counter = CountingChannel<PCSCCardChannel>.Counter()
            let view = try await reader.tap(card) { channel in
                try await SocialCardReader(layout: Fixtures.layout, keyring: try community.keyring(roles: [.validate]))
                    .read(from: CountingChannel(base: channel, counter: counter), purpose: .validator, using: &generator)
            }
            #expect(view.apduCount == counter.count)
            // select 1, GET DATA (UID, answered by the reader) 1, authenticate 2, card info 1,
            // one entitlement slot (128 B enciphered: 3 frames), purse 1, counter 1, status 1, newest trip 1.
            #expect(view.apduCount == 12)
            print("social-card: personalization \(personalization.apduCount) APDUs; validator read with one entitlement \(view.apduCount) APDUs")
        }
    }

    @Test("after a card key rotation old cards read with their version, new cards get the new one, a torn old card finishes with its own")
    func keyRotation() async throws {
        let community = try Fixtures.Community()
        let old = try BlankCard(uid: [0x04, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86])
        let torn = try BlankCard(uid: [0x04, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96])
        let new = try BlankCard(uid: [0x04, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6])
        defer { old.remove(); torn.remove(); new.remove() }
        var generator = SystemRandomNumberGenerator()
        try await TestBed.shared.withReader { reader in
            let v1 = try community.keyring()
            let oldPlan = try community.plan(serial: 0x5001, products: [.free])
            let tornPlan = try community.plan(serial: 0x5002, products: [.free])
            _ = try await reader.tap(old) { try await Personalization(plan: oldPlan, keyring: v1).run(on: $0, using: &generator) }
            // Torn after the application keys were changed (v1), midway through creating the files.
            _ = try? await reader.tap(torn, tearAfterAPDUs: 22) { try await Personalization(plan: tornPlan, keyring: v1).run(on: $0, using: &generator) }

            var rotation = SeededGenerator(seed: 5)
            #expect(try community.directory.rotateCardKeys(using: &rotation) == 2)
            let both = try community.keyring()
            #expect(both.newestVersion == 2)
            let finished = try await reader.tap(torn) { try await Personalization(plan: tornPlan, keyring: both).run(on: $0, using: &generator) }
            #expect(finished.keyVersion == 1 && finished.resumed)
            let issued = try await reader.tap(new) {
                try await Personalization(plan: try community.plan(serial: 0x5003, products: [.free]), keyring: both).run(on: $0, using: &generator)
            }
            #expect(issued.keyVersion == 2)
            let validator = SocialCardReader(layout: Fixtures.layout, keyring: try community.keyring(roles: [.validate]))
            for (card, version, serial) in [(old, UInt8(1), CardSerial(0x5001)), (torn, 1, 0x5002), (new, 2, 0x5003)] {
                let view = try await reader.tap(card) { try await validator.read(from: $0, purpose: .validator, using: &generator) }
                #expect(view.keyVersion == version && view.info.serial == serial)
                #expect(view.apduCount == 13, "two versions held: one GetKeyVersion more")
            }
        }
        #expect(try torn.image().applications.first?.keys.map(\.version) == [1, 1, 1, 1])
        #expect(try new.image().piccMasterKey.version == 2)
    }

    // Every tear runs against the card model in-process (`CardField.inProcess`); the tears around
    // the first commit run again through pcscd and vpcd with the same checks.
    @Test("a personalization torn after every APDU k (in-process; around the commit also through pcscd) completes on the next run, equal to a never-torn card")
    func tearAtEveryAPDU() async throws {
        let community = try Fixtures.Community()
        let keyring = try community.keyring()
        let plan = try community.plan(serial: 0x3000, products: [.free, .rides(count: 10, per: .week)], purse: 7_500)
        let card = try BlankCard(uid: [0x04, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        try await TestBed.shared.withReader { reader in
            let counter = CountingChannel<PCSCCardChannel>.Counter()
            let reference = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: keyring).run(on: CountingChannel(base: channel, counter: counter), using: &generator)
            }
            let referenceImage = try card.image()
            #expect(reference.apduCount > 20)
            print("social-card: personalization with two entitlements \(reference.apduCount) APDUs; torn and resumed at every one of them")
            func tearAndResume(after k: Int, on field: CardField) async throws {
                try card.resetToBlank()
                let torn = await #expect(throws: (any Error).self, "tear after \(k) (\(field))") {
                    try await field.tap(card, tearAfterAPDUs: k) { channel in
                        try await Personalization(plan: plan, keyring: keyring).run(on: channel, using: &generator)
                    }
                }
                #expect(torn is CardError, "tear after \(k) (\(field)): \(String(describing: torn))")
                let resumed = try await field.tap(card) { channel in
                    try await Personalization(plan: plan, keyring: keyring).run(on: channel, using: &generator)
                }
                #expect(resumed.steps.last == .wroteCardInfo || resumed.wasAlreadyComplete, "tear after \(k) (\(field))")
                let image = try card.image()
                // Every field of the saved EEPROM image: keys, settings, files, contents, memory used.
                #expect(image.piccMasterKey == referenceImage.piccMasterKey, "tear after \(k) (\(field))")
                #expect(image.piccKeySettings == referenceImage.piccKeySettings, "tear after \(k) (\(field))")
                #expect(image.usedMemory == referenceImage.usedMemory, "tear after \(k) (\(field))")
                #expect(image.applications == referenceImage.applications, "tear after \(k) (\(field))")
                #expect(image == referenceImage, "tear after \(k) (\(field))")
            }
            for k in 1..<reference.apduCount {
                try await tearAndResume(after: k, on: .inProcess)
            }
            let throughPCSC = tearsThroughPCSC(counter.commands)
            for k in throughPCSC {
                try await tearAndResume(after: k, on: .testBed(reader))
            }
            print("social-card: personalization torn in-process after each of 1..<\(reference.apduCount), through pcscd after \(throughPCSC)")
        }
    }

    @Test("foreign cards are reported cleanly: blank, another AID, another community's keys, unfinished")
    func foreignCards() async throws {
        let community = try Fixtures.Community()
        let other = try Fixtures.Community(seed: 99)
        let keyring = try community.keyring()
        let card = try BlankCard(uid: [0x04, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        let reader = SocialCardReader(layout: Fixtures.layout, keyring: keyring)
        try await TestBed.shared.withReader { testReader in
            // A blank card has no application.
            await #expect(throws: SocialCardError(.noApplication, "")) {
                try await testReader.tap(card) { try await reader.read(from: $0, purpose: .validator, using: &generator) }
            }
            // A card with another application (and the factory PICC key) has none of ours either.
            try await testReader.tap(card) { channel in
                var client = DESFireCard(channel: channel)
                try await client.authenticateLegacy(keyNumber: 0, key: .factoryDefault, using: &generator)
                try await client.createApplication(0x123456, settings: .factoryDefault, keyCount: 1, family: .aes)
            }
            await #expect(throws: SocialCardError(.noApplication, "")) {
                try await testReader.tap(card) { try await reader.read(from: $0, purpose: .desk, using: &generator) }
            }
            // Personalized by another community: its keys are not ours.
            let plan = try other.plan(serial: 0x4000, products: [.free])
            _ = try await testReader.tap(card) { try await Personalization(plan: plan, keyring: try other.keyring()).run(on: $0, using: &generator) }
            await #expect(throws: SocialCardError(.notOurCard, "")) {
                try await testReader.tap(card) { try await reader.read(from: $0, purpose: .validator, using: &generator) }
            }
            await #expect(throws: SocialCardError(.notOurCard, "")) {
                let ours = try community.plan(serial: 0x4001, products: [.free])
                _ = try await testReader.tap(card) { try await Personalization(plan: ours, keyring: keyring).run(on: $0, using: &generator) }
            }
            // Already issued as another serial by the same community: refused, not overwritten.
            let first = try other.plan(serial: 0x4002, products: [.free])
            await #expect(throws: SocialCardError(.alreadyPersonalized, "")) {
                try await testReader.tap(card) { try await Personalization(plan: first, keyring: try other.keyring()).run(on: $0, using: &generator) }
            }
        }

        // Unfinished: torn before the card info was written, a reader says so.
        let unfinished = try BlankCard(uid: [0x04, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56])
        defer { unfinished.remove() }
        let plan = try community.plan(serial: 0x4003, products: [.free])
        try await TestBed.shared.withReader { testReader in
            let full = try await testReader.tap(unfinished) { try await Personalization(plan: plan, keyring: keyring).run(on: $0, using: &generator) }
            try unfinished.resetToBlank()
            _ = try? await testReader.tap(unfinished, tearAfterAPDUs: full.apduCount - 1) {
                try await Personalization(plan: plan, keyring: keyring).run(on: $0, using: &generator)
            }
            await #expect(throws: SocialCardError(.personalizationIncomplete, "")) {
                try await testReader.tap(unfinished) { try await reader.read(from: $0, purpose: .validator, using: &generator) }
            }
        }
    }
}

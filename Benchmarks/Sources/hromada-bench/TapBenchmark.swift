import CardLayout
import CommunityKeys
import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerStore
import Logging
import PCSC
import ServiceLifecycle
import SmartCard
import SocialCard
import Synchronization
import Tariff
import TestBedSupport
import Validator
import VirtualCard

/// The validator's tap through the real stack (libpcsclite → pcscd → vpcd → in-process emulator),
/// beside the raw APDU round trip measured in the same run:
///
/// - APDUs and bytes of one accepted ride (a counted benefit ride and a purse ride);
/// - the tap with the card already in the field (read, decide, write, commit, ledger with fsync);
/// - sustained taps per second with two readers tapping at once;
/// - tap-to-decision latency from the moment pcscd reports the card (the daemon's service,
///   insert and remove every time), median and p99;
/// - an estimate for a physical card: APDUs × 8 ms over the air + the software time.
enum TapBenchmark {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func run(iterations: Int = 300, insertions: Int = 60) async throws {
        let bench = try Bench()
        defer { bench.remove() }
        try await TestBed.shared.withReader { readerA in
            try await TestBed.shared.withReader { readerB in
                let echo = try await readerA.withVirtualCard(EchoCard()) { _ in
                    try await PCSCClient().withCard(reader: readerA.name) { channel in
                        let command = CommandAPDU(cla: 0x90, ins: 0xBD, data: [UInt8](repeating: 0xA5, count: 16), le: 0)
                        return try await Samples.measure("baseline: echo APDU round trip (16 B)", iterations: 3_000) {
                            _ = try await channel.transmit(command)
                        }
                    }
                }
                report(echo)

                let counted = try await bench.issue(serial: 0xB001, grants: [(.rides(count: 60_000, per: .month), 1)], purse: 0, uid: 1, on: readerA)
                let purse = try await bench.issue(serial: 0xB002, grants: [], purse: 400_000, uid: 2, on: readerB)
                let countedB = try await bench.issue(serial: 0xB003, grants: [(.rides(count: 60_000, per: .month), 9)], purse: 0, uid: 3, on: readerB)

                // One accepted ride of each kind, counted on the wire.
                for (name, card, reader) in [("counted benefit ride", counted, readerA), ("purse ride (full fare)", purse, readerB)] {
                    let (result, apdus, sent, received) = try await bench.countedTap(card, on: reader)
                    guard result.verdict == .accepted else { throw ValidatorError(.cardFailed, "\(name) not accepted: \(result)") }
                    print("\(name): \(apdus) APDUs (read \(apdus - result.writeAPDUs), write+commit \(result.writeAPDUs)), \(sent) B sent, \(received) B received")
                }

                // The tap with the card in the field, one reader, then two readers at once.
                let single = try await bench.tapsInField(counted, on: readerA, iterations: iterations, name: "tap in field: read+decide+write+commit+ledger")
                report(single, extra: "\(bench.apdusPerRide) APDUs")
                let ledgerOnly = try await bench.ledgerAppends(iterations: iterations)
                report(ledgerOnly, extra: "(pending + charge + confirmation, fsync each: part of the software time)")
                let software = single.median - Double(bench.apdusPerRide) * echo.median
                print("  software time ≈ \(humanTime(software)) (tap median − APDUs × echo median)")
                print("  estimate on a physical card: \(bench.apdusPerRide) APDUs × 8 ms + \(humanTime(software)) ≈ \(humanTime(Double(bench.apdusPerRide) * 8_000_000 + software))")

                let clock = ContinuousClock()
                let start = clock.now
                async let a = bench.tapsInField(counted, on: readerA, iterations: iterations, name: "reader A")
                async let b = bench.tapsInField(countedB, on: readerB, iterations: iterations, name: "reader B")
                let (sampleA, sampleB) = try await (a, b)
                let elapsed = Double((clock.now - start).nanoseconds) / 1e9
                print("sustained, two readers at once: \(2 * iterations) taps in \(format(elapsed, 2)) s = \(format(Double(2 * iterations) / elapsed, 1)) taps/s (A median \(humanTime(sampleA.median)), B median \(humanTime(sampleB.median)))")

                // The daemon's service: from pcscd reporting the card to the decision.
                let latencies = try await bench.serviceLatencies(counted, countedB, readers: (readerA, readerB), insertions: insertions)
                let sorted = latencies.sorted()
                func percentile(_ fraction: Double) -> Double {
                    sorted.isEmpty ? .nan : sorted[max(0, min(sorted.count - 1, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))]
                }
                print("tap to decision from pcscd's card event (daemon service, \(sorted.count) insertions on two readers): median \(humanTime(percentile(0.5)))  p99 \(humanTime(percentile(0.99)))")
            }
        }
    }
}

extension TapResult {
    /// APDUs of the write half of an accepted v1 ride, in the read's session: one per change
    /// (counter, debit, trip record), commit 1.
    var writeAPDUs: Int {
        guard verdict == .accepted else { return 0 }
        return (fareKopecks ?? 0 > 0 ? 1 : 0) + (ridesLeft != nil ? 1 : 0) + 1 + 1
    }
}

/// A community, its cards and a validator ledger in a temporary directory.
final class Bench: @unchecked Sendable {
    let path: String
    let directory: CommunityDirectory
    let layout: SocialCardLayout
    let tariff: Tariff
    let keyring: CardKeyring
    let validatorKeyring: CardKeyring
    let pipeline: TapPipeline
    var apdusPerRide = 0
    private var time = UnixTime(1_795_953_600)
    private let lock = NSLock()

    struct Card {
        let file: CardImageFile
        let uid: [UInt8]
    }

    /// A bench issuing cards with `layoutFile` (in CardLayouts/).
    init(layoutFile: String = "nemishaieve-social-v1.json") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-bench-tap-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        directory = try CommunityDirectory.create(at: path + "/keys", community: "nemishaieve", now: UnixTime(1_790_000_000), using: &generator)
        let root = TapBenchmark.packageRoot
        layout = try SocialCardLayout(
            try CardLayout(json: [UInt8](FileManager.default.contents(atPath: root.appendingPathComponent("CardLayouts/\(layoutFile)").path)!)))
        let categories = try JSONDecoder().decode(
            BenefitCategoryList.self, from: FileManager.default.contents(atPath: root.appendingPathComponent("Communities/nemishaieve/categories.json").path)!)
        var tariff = try JSONDecoder().decode(
            TariffSource.self, from: FileManager.default.contents(atPath: root.appendingPathComponent("Communities/nemishaieve/tariff.json").path)!)
            .resolved(with: categories)
        tariff.antiPassbackSeconds = 0
        tariff.transfer = nil
        self.tariff = tariff
        var all: [CardMasterKeySet] = []
        var validating: [CardMasterKeySet] = []
        for version in try directory.cardKeyVersions() {
            var keys: [CardMasterRole: SymmetricKey] = [:]
            for master in try directory.cardMasterKeys(version: version) {
                keys[CardMasterRole(rawValue: master.role.rawValue)!] = master.key
            }
            all.append(try CardMasterKeySet(version: version, keys: keys))
            validating.append(try CardMasterKeySet(version: version, keys: keys.filter { $0.key == .read || $0.key == .validate }))
        }
        keyring = try CardKeyring(community: "nemishaieve", sets: all)
        validatorKeyring = try CardKeyring(community: "nemishaieve", sets: validating)
        let rootKey = try directory.root()
        let trust = try TrustStore(
            rootKeyID: rootKey.keyID, rootPublicKey: rootKey.publicKey, certificates: try directory.certificates(),
            revocations: try directory.revocations())
        let store = try LedgerStore(path: path + "/ledger.sqlite", deviceID: 9001, deviceKey: Curve25519.Signing.PrivateKey())
        pipeline = TapPipeline(
            ledger: try TapLedger(store: store),
            rules: TapRules(context: TapContext(deviceID: 9001, vehicleID: 5, route: 1, zone: 1), tariff: tariff, trust: trust, denyList: .empty))
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// A fresh tap time, one second after the last.
    func nextTime() -> UnixTime {
        lock.withLock {
            time = time.adding(seconds: 1)
            return time
        }
    }

    func issue(serial: CardSerial, grants: [(Product, CategoryCode)], purse: Int32, uid: UInt8, on reader: TestReader) async throws -> Card {
        let file = CardImageFile(path: "\(path)/card-\(uid).json")
        let uidBytes: [UInt8] = [0x04, 0xBE, 0x4C, 0x00, 0x00, 0x00, uid]
        try file.save(CardImage.factoryNew(uid: uidBytes))
        let certificate = try directory.certificates().first { $0.role == .issuer }!
        let issuer = try directory.signingKey(certificate.keyID)
        let today = CivilDate(year: 2026, month: 11, day: 29)!
        let entitlements = try grants.enumerated().map { index, grant in
            try EntitlementTerms(
                id: EntitlementID(UInt32(index + 1)), cardSerial: serial, layoutVersion: LayoutVersion(UInt16(layout.layout.version)),
                category: grant.1, product: grant.0,
                validFrom: today.adding(days: -10), validUntil: today.adding(days: 365), issuerKeyID: issuer.keyID
            ).signed(with: issuer.privateKey)
        }
        var generator = SystemRandomNumberGenerator()
        let request = IssuanceRequest(
            serial: serial, issueDate: today.adding(days: -10), expiryDate: today.adding(days: 1000),
            holderPseudonym: IssuanceRequest.randomPseudonym(using: &generator), entitlements: entitlements, purseKopecks: purse,
            issuedAt: UnixTime(1_795_000_000), issuerDeviceID: issuer.keyID.rawValue)
        let plan = try PersonalizationPlan(layout: layout, request: request)
        let keyring = self.keyring
        _ = try await reader.withVirtualCard(try VirtualDESFireCard(imageFile: file)) { _ in
            try await PCSCClient().withCard(reader: reader.name) { channel in
                try await Personalization(plan: plan, keyring: keyring).run(on: channel, using: &generator)
            }
        }
        return Card(file: file, uid: uidBytes)
    }

    func countedTap(_ card: Card, on reader: TestReader) async throws -> (TapResult, Int, Int, Int) {
        let pipeline = self.pipeline
        let layout = self.layout
        let keyring = self.validatorKeyring
        let now = nextTime()
        let outcome = try await reader.withVirtualCard(try VirtualDESFireCard(imageFile: card.file)) { _ in
            try await PCSCClient().withCard(reader: reader.name) { channel in
                let counting = CountingChannel(channel)
                var tapCard = SocialTapCard(channel: counting, layouts: [layout], keyring: keyring)
                let result = await pipeline.process(&tapCard, reader: reader.name, now: now)
                return (result, counting.apdus, counting.bytesSent, counting.bytesReceived)
            }
        }
        apdusPerRide = max(apdusPerRide, outcome.1)
        return outcome
    }

    /// Taps repeated with the card left in the field (no insert/remove): the validator's own time.
    /// The emulator keeps this card in memory (no image file written per commit), as the echo
    /// baseline does, so the emulator's disk writes are not counted as the validator's time.
    func tapsInField(_ card: Card, on reader: TestReader, iterations: Int, name: String) async throws -> Samples {
        let pipeline = self.pipeline
        let layout = self.layout
        let keyring = self.validatorKeyring
        return try await reader.withVirtualCard(VirtualDESFireCard(image: try card.file.load())) { _ in
            try await PCSCClient().withCard(reader: reader.name) { channel in
                try await Samples.measure(name, iterations: iterations, warmup: 10) {
                    var tapCard = SocialTapCard(channel: channel, layouts: [layout], keyring: keyring)
                    let result = await pipeline.process(&tapCard, reader: reader.name, now: self.nextTime())
                    guard result.verdict == .accepted else { throw ValidatorError(.cardFailed, "\(result)") }
                }
            }
        }
    }

    /// The ledger's share of a counted ride: the pending entry, one charge, the confirmation.
    func ledgerAppends(iterations: Int) async throws -> Samples {
        let store = try LedgerStore(path: path + "/ledger-only.sqlite", deviceID: 9002, deviceKey: Curve25519.Signing.PrivateKey())
        let ledger = try TapLedger(store: store)
        let context = TapContext(deviceID: 9002, vehicleID: 5, route: 1, zone: 1)
        var sequence: UInt16 = 0
        return try await Samples.measure("ledger only: 3 durable appends of one ride", iterations: iterations, warmup: 10) {
            sequence &+= 1
            let now = self.nextTime()
            let transaction = PendingTransaction(
                purpose: .ride, card: 0xB001, layout: 1, time: now, trip: TripIdentity(deviceID: 9002, cardSequence: sequence, time: now),
                charges: [.benefitUse], entitlement: 1, category: 1, fareKopecks: 0, fullFareKopecks: 1_500, purseBalanceAfterKopecks: 0,
                route: context.route, vehicle: context.vehicleID)
            let pending = try await ledger.appendPending(transaction)
            try await ledger.confirm(pending, at: now, mayHaveCharges: false)
        }
    }

    /// The daemon's service with two readers; each card inserted and removed `insertions` times.
    func serviceLatencies(_ first: Card, _ second: Card, readers: (TestReader, TestReader), insertions: Int) async throws -> [Double] {
        let lines = Mutex<[String]>([])
        let tapper = SocialCardTapper(layouts: [layout], keyring: validatorKeyring)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let service = ValidatorService(
            pipeline: pipeline, tapper: tapper, readers: .named([readers.0.name, readers.1.name]), tapTimeout: .seconds(2),
            logger: logger, clock: { self.nextTime() }, emit: { line in lines.withLock { $0.append(line) } }, startUpDetail: "bench")
        let group = ServiceGroup(services: [service], logger: logger)
        let running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(300))
        for _ in 0..<insertions {
            for (card, reader) in [(first, readers.0), (second, readers.1)] {
                let before = lines.withLock { $0.count }
                try await reader.withVirtualCard(try VirtualDESFireCard(imageFile: card.file)) { _ in
                    let deadline = ContinuousClock.now + .seconds(5)
                    while lines.withLock({ $0.count }) == before, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(2))
                    }
                }
            }
        }
        await group.triggerGracefulShutdown()
        try await running.value
        var samples: [Double] = []
        for line in lines.withLock({ $0 }) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["decision"] as? String == "accept", let milliseconds = object["latencyMs"] as? Double
            else { continue }
            samples.append(milliseconds * 1_000_000)
        }
        return samples
    }
}

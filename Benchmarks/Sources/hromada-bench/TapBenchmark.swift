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
/// - the tap with the card already in the field (read, decide, write, commit, ledger with its one
///   fsync: the ledger lives under `.build/bench-ledger` on a real disk, not the tmpfs /tmp);
/// - the ledger's share alone, as written now and as before (each append fsync'd), same run;
/// - sustained taps per second with two readers tapping at once;
/// - tap-to-decision latency from the moment pcscd reports the card (the daemon's service,
///   insert and remove every time), median and p99;
/// - an estimate for a physical card: APDUs × 8 ms over the air + the software time.
enum TapBenchmark {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs the benchmark for each layout of `layouts` (`v1`, `v2`, `v3`), in that order, in one
    /// run: the baselines and the ledger's share once, everything that touches the card for each.
    static func run(iterations: Int = 300, insertions: Int = 60, layouts: [String] = ["v3", "v2", "v1"]) async throws {
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
                // What the daemon pays per card before and after the tap: a connection (own worker
                // thread, SCardConnect, SCardStatus) and its disconnect.
                let connect = try await readerA.withVirtualCard(EchoCard()) { _ in
                    try await Samples.measure("baseline: connect + disconnect (PCSCClient.withCard)", iterations: 300) {
                        try await PCSCClient().withCard(reader: readerA.name) { _ in }
                    }
                }
                report(connect)
                var ledgerMeasured = false
                for label in layouts {
                    let bench = try Bench(layoutFile: "nemishaieve-social-\(label).json")
                    defer { bench.remove() }
                    print("layout \(label) (the validator holds this layout only):")
                    try await run(bench, label: label, echo: echo, readers: (readerA, readerB), iterations: iterations, insertions: insertions)
                    if !ledgerMeasured {
                        // The ledger's share alone does not depend on the layout: once a run.
                        let (ledgerOnly, ledgerAllDurable) = try await bench.ledgerAppendsPaired(iterations: iterations)
                        report(ledgerOnly, extra: "(pending fsync'd; charge + confirmation deferred: part of the software time)")
                        report(ledgerAllDurable, extra: "(before issue 11: pending, charge, confirmation each fsync'd)")
                        ledgerMeasured = true
                    }
                }
            }
        }
    }

    /// Everything that touches the card, for `bench`'s layout.
    static func run(
        _ bench: Bench, label: String, echo: Samples, readers: (TestReader, TestReader), iterations: Int, insertions: Int
    ) async throws {
        let (readerA, readerB) = readers
        // 255 rides a day: the most v3's counter record holds a period. The bench's clock steps
        // 400 s a tap (`Bench.nextTime`), 216 taps a day, so a card never reaches its limit.
        let counted = try await bench.issue(serial: 0xB001, grants: [(.rides(count: 255, per: .day), 1)], purse: 0, uid: 1, on: readerA)
        let purse = try await bench.issue(serial: 0xB002, grants: [], purse: 400_000, uid: 2, on: readerB)
        let countedB = try await bench.issue(serial: 0xB003, grants: [(.rides(count: 255, per: .day), 9)], purse: 0, uid: 3, on: readerB)

        // One accepted ride of each kind, counted on the wire; the read half counted alone.
        var countedAPDUs = 0
        for (name, card, reader) in [("counted benefit ride", counted, readerA), ("purse ride (full fare)", purse, readerB)] {
            let readAPDUs = try await bench.readOnly(card, on: reader)
            let (result, apdus, sent, received) = try await bench.countedTap(card, on: reader)
            guard result.verdict == .accepted else { throw ValidatorError(.cardFailed, "\(name) not accepted: \(result)") }
            if card.uid == counted.uid { countedAPDUs = apdus }
            print("\(label) \(name): \(apdus) APDUs (read \(readAPDUs), write+commit \(apdus - readAPDUs)), \(sent) B sent, \(received) B received")
        }

        // The tap with the card in the field, one reader, then two readers at once.
        // Now and as before issue 11 (every ledger write fsync'd), tap for tap in turn, so
        // that both see the same disk: fsync latency drifts with whatever else writes to it.
        let (single, singleBefore) = try await bench.tapsInFieldPaired(counted, on: readerA, iterations: iterations)
        // The timed taps are of the counted ride: its APDUs are what the echo baseline is taken off.
        report(single, extra: "\(label), \(countedAPDUs) APDUs, 1 fsync")
        report(singleBefore, extra: "\(label) (before issue 11: 3 fsyncs)")
        let software = single.median - Double(countedAPDUs) * echo.median
        print("  \(label) software time ≈ \(humanTime(software)) (tap median − APDUs × echo median); every write fsync'd: \(humanTime(singleBefore.median - Double(countedAPDUs) * echo.median))")
        print("  \(label) estimate on a physical card: \(countedAPDUs) APDUs × 8 ms + \(humanTime(max(0, software))) ≈ \(humanTime(Double(countedAPDUs) * 8_000_000 + max(0, software)))")

        for (note, pipeline) in [("", bench.pipeline), (" [every ledger write fsync'd, as before issue 11]", bench.allDurablePipeline)] {
            let clock = ContinuousClock()
            let start = clock.now
            async let a = bench.tapsInField(counted, on: readerA, iterations: iterations, name: "reader A", pipeline: pipeline)
            async let b = bench.tapsInField(countedB, on: readerB, iterations: iterations, name: "reader B", pipeline: pipeline)
            let (sampleA, sampleB) = try await (a, b)
            let elapsed = Double((clock.now - start).nanoseconds) / 1e9
            print("\(label) sustained, two readers at once\(note): \(2 * iterations) taps in \(format(elapsed, 2)) s = \(format(Double(2 * iterations) / elapsed, 1)) taps/s (A median \(humanTime(sampleA.median)), B median \(humanTime(sampleB.median)); echo \(format(echo.perSecond, 0))/s)")
        }

        // The daemon's service: from pcscd reporting the card to the decision.
        for (note, pipeline) in [("", bench.pipeline), (" [every ledger write fsync'd, as before issue 11]", bench.allDurablePipeline)] {
            let latencies = try await bench.serviceLatencies(
                counted, countedB, readers: (readerA, readerB), insertions: insertions, pipeline: pipeline)
            let sorted = latencies.sorted()
            func percentile(_ fraction: Double) -> Double {
                sorted.isEmpty ? .nan : sorted[max(0, min(sorted.count - 1, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))]
            }
            print("\(label) tap to decision from pcscd's card event (daemon service, \(sorted.count) insertions on two readers)\(note): median \(humanTime(percentile(0.5)))  p99 \(humanTime(percentile(0.99)))")
        }
    }
}

/// A community and its cards in a temporary directory, and a validator ledger on a real disk
/// (`.build/bench-ledger`, or `HROMADA_BENCH_LEDGER_DIR`).
final class Bench: @unchecked Sendable {
    let path: String
    let ledgerPath: String
    let directory: CommunityDirectory
    let layout: SocialCardLayout
    let tariff: Tariff
    let keyring: CardKeyring
    let validatorKeyring: CardKeyring
    let pipeline: TapPipeline
    /// The same rules over a ledger that fsyncs every write (the validator before issue 11).
    let allDurablePipeline: TapPipeline
    var apdusPerRide = 0
    private var time = UnixTime(1_795_953_600)
    private let lock = NSLock()

    struct Card {
        let file: CardImageFile
        let uid: [UInt8]
    }

    /// A bench issuing cards with `layoutFile` (in CardLayouts/).
    init(layoutFile: String = "nemishaieve-social-v1.json") throws {
        let run = "hromada-bench-tap-\(UUID().uuidString)"
        path = FileManager.default.temporaryDirectory.appendingPathComponent(run).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // The ledger on a real disk, not the tmpfs /tmp: its fsyncs are what the tap waits for.
        // (Keys and card images stay in /tmp: the emulator's image writes are not the validator's.)
        let ledgerBase = ProcessInfo.processInfo.environment["HROMADA_BENCH_LEDGER_DIR"]
            ?? TapBenchmark.packageRoot.appendingPathComponent(".build/bench-ledger").path
        ledgerPath = ledgerBase + "/" + run
        try FileManager.default.createDirectory(atPath: ledgerPath, withIntermediateDirectories: true)
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
        let store = try LedgerStore(path: ledgerPath + "/ledger.sqlite", deviceID: 9001, deviceKey: Curve25519.Signing.PrivateKey())
        let rules = TapRules(context: TapContext(deviceID: 9001, vehicleID: 5, route: 1, zone: 1), tariff: tariff, trust: trust, denyList: .empty)
        pipeline = TapPipeline(ledger: try TapLedger(store: store), rules: rules)
        let allDurableStore = try LedgerStore(path: ledgerPath + "/ledger-fsync-each.sqlite", deviceID: 9001, deviceKey: Curve25519.Signing.PrivateKey())
        allDurablePipeline = TapPipeline(ledger: try TapLedger(store: allDurableStore, defersWrites: false), rules: rules)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: ledgerPath)
    }

    /// A fresh tap time, 400 s after the last (fewer than 255 taps a day: see `TapBenchmark`).
    func nextTime() -> UnixTime {
        lock.withLock {
            time = time.adding(seconds: 400)
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
            ).signed(with: issuer.privateKey, encoding: layout.entitlementEncoding)
        }
        var generator = SystemRandomNumberGenerator()
        let request = IssuanceRequest(
            serial: serial, issueDate: today.adding(days: -10), expiryDate: today.adding(days: 1000),
            holderPseudonym: IssuanceRequest.randomPseudonym(length: layout.pseudonymLength, using: &generator), entitlements: entitlements, purseKopecks: purse,
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
    func tapsInField(_ card: Card, on reader: TestReader, iterations: Int, name: String, pipeline: TapPipeline? = nil) async throws -> Samples {
        let pipeline = pipeline ?? self.pipeline
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

    /// `tapsInField` with the pipeline of now and the one fsyncing every write, alternating.
    func tapsInFieldPaired(_ card: Card, on reader: TestReader, iterations: Int) async throws -> (Samples, Samples) {
        let pipelines = [pipeline, allDurablePipeline]
        let layout = self.layout
        let keyring = self.validatorKeyring
        return try await reader.withVirtualCard(VirtualDESFireCard(image: try card.file.load())) { _ in
            try await PCSCClient().withCard(reader: reader.name) { channel in
                try await Self.alternating(
                    ["tap in field: read+decide+write+commit+ledger", "  the same, every ledger write fsync'd"], iterations: iterations
                ) { index in
                    var tapCard = SocialTapCard(channel: channel, layouts: [layout], keyring: keyring)
                    let result = await pipelines[index].process(&tapCard, reader: reader.name, now: self.nextTime())
                    guard result.verdict == .accepted else { throw ValidatorError(.cardFailed, "\(result)") }
                }
            }
        }
    }

    /// `ledgerAppends` as now and with every write fsync'd, alternating.
    func ledgerAppendsPaired(iterations: Int) async throws -> (Samples, Samples) {
        let now = try ledgerAppender(allDurable: false)
        let before = try ledgerAppender(allDurable: true)
        return try await Self.alternating(
            ["ledger only: one ride (1 durable + 1 deferred)", "ledger only, 3 durable appends of one ride"], iterations: iterations
        ) { index in
            try await (index == 0 ? now : before)()
        }
    }

    /// Times `body(0)` and `body(1)` in turn, `iterations` each after 10 untimed rounds.
    static func alternating(
        _ names: [String], iterations: Int, _ body: (Int) async throws -> Void
    ) async throws -> (Samples, Samples) {
        var samples = [[Double]](repeating: [], count: 2)
        let clock = ContinuousClock()
        for round in 0..<(iterations + 10) {
            for index in [round % 2, 1 - round % 2] {
                let start = clock.now
                try await body(index)
                if round >= 10 { samples[index].append(Double((clock.now - start).nanoseconds)) }
            }
        }
        return (Samples(name: names[0], nanoseconds: samples[0]), Samples(name: names[1], nanoseconds: samples[1]))
    }

    /// One ride's ledger writes on a ledger of its own: as now, or all fsync'd.
    func ledgerAppender(allDurable: Bool) throws -> @Sendable () async throws -> Void {
        let name = allDurable ? "ledger-all-durable" : "ledger-only"
        let store = try LedgerStore(path: ledgerPath + "/\(name).sqlite", deviceID: 9002, deviceKey: Curve25519.Signing.PrivateKey())
        let ledger = try TapLedger(store: store)
        let sequence = Mutex<UInt16>(0)
        return {
            let next = sequence.withLock { value in
                value &+= 1
                return value
            }
            let now = self.nextTime()
            let transaction = PendingTransaction(
                purpose: .ride, card: 0xB001, layout: 1, time: now, trip: TripIdentity(deviceID: 9002, cardSequence: next, time: now),
                charges: [.benefitUse], entitlement: 1, category: 1, fareKopecks: 0, fullFareKopecks: 1_500, purseBalanceAfterKopecks: 0,
                route: 1, vehicle: 5)
            let pending = try await ledger.appendPending(transaction)
            if allDurable {
                for charge in pending.chargeRecords { try await ledger.append(charge, durability: .durable) }
                try await ledger.append(.cardTransactionConfirmed(at: now, card: pending.card, pending: pending.sequence), durability: .durable)
            } else {
                try await ledger.confirm(pending, at: now, mayHaveCharges: false)
            }
        }
    }

    /// The daemon's service with two readers; each card inserted and removed `insertions` times.
    func serviceLatencies(
        _ first: Card, _ second: Card, readers: (TestReader, TestReader), insertions: Int, pipeline: TapPipeline
    ) async throws -> [Double] {
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

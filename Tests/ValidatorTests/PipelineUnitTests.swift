import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import LedgerStore
import SmartCard
import Tariff
import Testing
import Validator

/// An in-memory social card: committed state plus a transaction, and a script of failures.
struct MemoryCard: TapCard {
    final class Storage: @unchecked Sendable {
        var reading: TapReading
        var committedWrites: [TapWrite] = []
        init(reading: TapReading) { self.reading = reading }
    }

    enum Failure { case none, duringRead, duringStage, commitNeverArrives, commitAnswerLost }

    let storage: Storage
    var failure: Failure
    var staged: TapWrite?
    var apduCount = 0

    init(storage: Storage, failure: Failure = .none) {
        self.storage = storage
        self.failure = failure
    }

    mutating func read() async throws -> TapReading {
        apduCount += 8
        if failure == .duringRead { throw CardError(.removed, "pulled during the read") }
        return storage.reading
    }

    mutating func stage(_ write: TapWrite) async throws {
        apduCount += 4
        if failure == .duringStage { throw CardError(.removed, "pulled during the writes") }
        staged = write
    }

    mutating func commit() async throws {
        apduCount += 1
        if failure == .commitNeverArrives { throw CardError(.removed, "pulled before the commit arrived") }
        guard let write = staged else { return }
        storage.committedWrites.append(write)
        if let trip = write.trip {
            storage.reading.trips.append(trip.identity)
            storage.reading.state.recentTrips.append(trip.record)
        }
        storage.reading.state.purseKopecks -= write.purseDebitKopecks
        if write.block != nil { storage.reading.state.isBlocked = true }
        if failure == .commitAnswerLost { throw CardError(.removed, "the commit's answer was lost") }
    }
}

/// The pipeline and the ledger without hardware: every branch of a tap, with an in-memory card.
@Suite("Tap pipeline and pending transactions")
struct PipelineUnitTests {
    static let serial: CardSerial = 0x4242
    static let context = TapContext(deviceID: 7001, vehicleID: 17, route: 1, zone: 1)

    static func tariff() throws -> Tariff {
        var tariff = try Paths.loadTariff()
        tariff.transfer = nil
        return tariff
    }

    static func pipeline(_ directory: String, denyList: DenyList = .empty) throws -> (TapPipeline, TapLedger, Curve25519.Signing.PrivateKey) {
        let key = Curve25519.Signing.PrivateKey()
        let store = try LedgerStore(path: directory + "/ledger.sqlite", deviceID: context.deviceID, deviceKey: key)
        let ledger = try TapLedger(store: store)
        let root = Curve25519.Signing.PrivateKey()
        let trust = try TrustStore(
            rootKeyID: KeyID(derivedFrom: SigningPublicKey(root.publicKey)), rootPublicKey: SigningPublicKey(root.publicKey), certificates: [],
            revocations: RevocationList(version: 0, revocations: []))
        return (TapPipeline(ledger: ledger, rules: TapRules(context: context, tariff: try tariff(), trust: trust, denyList: denyList)), ledger, key)
    }

    static func card(purse: Int = 5_000) -> MemoryCard.Storage {
        MemoryCard.Storage(
            reading: TapReading(
                uid: [4, 1, 2, 3, 4, 5, 6], state: CardState(serial: serial, layoutVersion: 1, purseKopecks: purse), entitlements: [],
                slotEntitlements: [], trips: [TripIdentity(deviceID: 1, cardSequence: 0, time: Clock.later(-86_400))]))
    }

    static func kinds(_ directory: String) throws -> [LedgerEntryKind] {
        let store = try LedgerStore(readingAt: directory + "/ledger.sqlite")
        defer { store.close() }
        var kinds: [LedgerEntryKind] = []
        try store.forEachEntry { kinds.append($0.record.kind) }
        return kinds
    }

    @Test("an accepted purse ride: pending, charges, confirmation; the trip record carries the next card sequence")
    func acceptedRide() async throws {
        let directory = Paths.temporaryDirectory("hromada-validator-unit")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (pipeline, _, _) = try Self.pipeline(directory)
        let storage = Self.card()
        var card = MemoryCard(storage: storage)
        let result = await pipeline.process(&card, reader: "r", now: Clock.now)
        #expect(result.verdict == .accepted && result.fareKopecks == 1_500 && result.purseBalanceKopecks == 3_500)
        #expect(storage.reading.trips.last == TripIdentity(deviceID: 7001, cardSequence: 1, time: Clock.now))
        #expect(try Self.kinds(directory) == [.cardTransactionPending, .rideAccepted, .purseDebit, .cardTransactionConfirmed])
        #expect(result.ledgerSequence == 2)
        #expect(result.apduCount == 13)
    }

    @Test("pulled during the read or the writes: declined, nothing committed, no pending entry")
    func tornBeforeCommit() async throws {
        for failure in [MemoryCard.Failure.duringRead, .duringStage] {
            let directory = Paths.temporaryDirectory("hromada-validator-unit")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (pipeline, ledger, _) = try Self.pipeline(directory)
            let storage = Self.card()
            var card = MemoryCard(storage: storage, failure: failure)
            let result = await pipeline.process(&card, reader: "r", now: Clock.now)
            #expect(result.verdict == .declined && result.reason == "card-removed" && result.message.key == "tap-again")
            #expect(storage.committedWrites.isEmpty)
            #expect(try Self.kinds(directory) == [.tapDeclined])
            #expect(await ledger.openTransactions().isEmpty)
        }
    }

    @Test("the commit's fate unknown: an open pending entry; the next tap resolves it both ways")
    func uncertainCommit() async throws {
        for (failure, expectedResolution, expectedNext) in [
            (MemoryCard.Failure.commitAnswerLost, LedgerEntryKind.cardTransactionConfirmed, TapVerdict.repeated),
            (.commitNeverArrives, .cardTransactionAbandoned, .accepted),
        ] {
            let directory = Paths.temporaryDirectory("hromada-validator-unit")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (pipeline, ledger, key) = try Self.pipeline(directory)
            let storage = Self.card()
            var torn = MemoryCard(storage: storage, failure: failure)
            let first = await pipeline.process(&torn, reader: "r", now: Clock.now)
            #expect(first.verdict == .uncertain && first.reason == "commit-unconfirmed" && first.message.key == "tap-again-to-confirm")
            #expect(try Self.kinds(directory) == [.cardTransactionPending])
            #expect(await ledger.openTransactions().count == 1)

            // The daemon restarts: the open entry is found again in the ledger.
            let reopened = try TapLedger(store: try LedgerStore(path: directory + "/ledger.sqlite", deviceID: Self.context.deviceID, deviceKey: key))
            #expect(await reopened.openTransactions().map(\.sequence) == [1])
            let restarted = TapPipeline(ledger: reopened, rules: pipeline.rules)
            var again = MemoryCard(storage: storage)
            let next = await restarted.process(&again, reader: "r", now: Clock.later(30))
            #expect(next.resolvedPending == 1)
            #expect(next.verdict == expectedNext, "\(failure)")
            let kinds = try Self.kinds(directory)
            #expect(kinds.contains(expectedResolution))
            #expect(await reopened.openTransactions().isEmpty)
            // Exactly one ride charged, and exactly one on the card.
            #expect(kinds.filter { $0 == .rideAccepted }.count == 1)
            #expect(storage.committedWrites.count == 1)
        }
    }

    @Test("a ledger that cannot record refuses every tap before touching the card")
    func closedLedger() async throws {
        let directory = Paths.temporaryDirectory("hromada-validator-unit")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (pipeline, ledger, _) = try Self.pipeline(directory)
        try await ledger.shutDown(at: Clock.now)
        let storage = Self.card()
        var card = MemoryCard(storage: storage)
        let result = await pipeline.process(&card, reader: "r", now: Clock.later(1))
        #expect(result.verdict == .declined && result.reason == "out-of-service" && result.message.key == "out-of-service")
        #expect(card.apduCount == 0)
        #expect(storage.committedWrites.isEmpty)
    }

    @Test("a deny-listed card: deny-list hit, decline, then its blocked flag in a recorded transaction")
    func denyListed() async throws {
        let directory = Paths.temporaryDirectory("hromada-validator-unit")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (pipeline, _, _) = try Self.pipeline(directory, denyList: try DenyList(version: 1, entries: [.init(serial: Self.serial, reason: .lost)]))
        let storage = Self.card()
        var card = MemoryCard(storage: storage)
        let result = await pipeline.process(&card, reader: "r", now: Clock.now)
        #expect(result.verdict == .declined && result.reason == "deny-listed")
        #expect(storage.reading.state.isBlocked)
        #expect(storage.committedWrites.first?.block?.reason == .lost)
        #expect(try Self.kinds(directory) == [.denyListHit, .tapDeclined, .cardTransactionPending, .cardTransactionConfirmed])
    }

    @Test("a pending entry reads back to the same transaction, and charges point at it")
    func pendingRoundTrip() async throws {
        let directory = Paths.temporaryDirectory("hromada-validator-unit")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, ledger, _) = try Self.pipeline(directory)
        let transaction = PendingTransaction(
            purpose: .ride, card: Self.serial, layout: 1, time: Clock.now, trip: TripIdentity(deviceID: 7001, cardSequence: 65_535, time: Clock.now),
            charges: [.benefitUse, .purseDebit], entitlement: 3, category: 1, fareKopecks: 750, fullFareKopecks: 1_500,
            purseBalanceAfterKopecks: 250, route: 2, vehicle: 17)
        let appended = try await ledger.appendPending(transaction)
        let store = try LedgerStore(readingAt: directory + "/ledger.sqlite")
        defer { store.close() }
        let entry = try #require(try store.entry(at: appended.sequence))
        #expect(PendingTransaction(entry: entry) == appended)
        let charges = appended.chargeRecords
        #expect(charges.map(\.kind) == [.benefitUse, .purseDebit])
        #expect(charges.allSatisfy { $0.relatedSequence == appended.sequence && $0.deviceTime == Clock.now })
        #expect(charges[0].fareKopecks == 750 && charges[0].fullFareKopecks == 1_500 && charges[1].purseBalanceAfterKopecks == 250)
    }

    static func reading(trips: [(UInt32, UInt16, Int64)], blocked: Bool = false) -> TapReading {
        TapReading(
            uid: [4], state: CardState(serial: serial, layoutVersion: 1, isBlocked: blocked), entitlements: [], slotEntitlements: [],
            trips: trips.map { TripIdentity(deviceID: DeviceID($0.0), cardSequence: $0.1, time: UnixTime($0.2)) })
    }

    @Test(
        "resolving a pending ride from the card's trip log",
        arguments: [
            ([(7001, 5, 100)], PendingResolution.committed),
            ([(7001, 4, 90)], .notCommitted("trip-not-on-card")),
            ([(9999, 5, 100)], .notCommitted("card-sequence-used-by-another-tap")),
            ([(7001, 5, 101)], .notCommitted("card-sequence-used-by-another-tap")),
            ([(1, 7, 300)], .unknown),
            ([], .notCommitted("trip-log-empty")),
        ] as [([(UInt32, UInt16, Int64)], PendingResolution)])
    func resolution(trips: [(UInt32, UInt16, Int64)], expected: PendingResolution) {
        let pending = PendingTransaction(
            purpose: .ride, card: Self.serial, layout: 1, time: UnixTime(100), trip: TripIdentity(deviceID: 7001, cardSequence: 5, time: UnixTime(100)),
            charges: [.rideAccepted], entitlement: nil, category: nil, fareKopecks: 0, fullFareKopecks: 0, purseBalanceAfterKopecks: 0,
            route: 1, vehicle: 1)
        #expect(pending.resolution(on: Self.reading(trips: trips)) == expected)
    }

    @Test("the card sequence wraps: 65535 then 0")
    func sequenceWraps() {
        let pending = PendingTransaction(
            purpose: .ride, card: Self.serial, layout: 1, time: UnixTime(100), trip: TripIdentity(deviceID: 7001, cardSequence: 0, time: UnixTime(100)),
            charges: [.rideAccepted], entitlement: nil, category: nil, fareKopecks: 0, fullFareKopecks: 0, purseBalanceAfterKopecks: 0,
            route: 1, vehicle: 1)
        #expect(pending.resolution(on: Self.reading(trips: [(7001, 65_535, 90)])) == .notCommitted("trip-not-on-card"))
        #expect(Self.reading(trips: [(7001, 65_535, 90)]).nextCardSequence == 0)
    }

    @Test("the JSON line, word for word")
    func jsonLine() {
        let result = TapResult(
            time: Clock.now, reader: "Reader \"A\"", cardSerial: 0x8001, verdict: .accepted, reason: "accepted-counted-ride",
            message: TapMessage(key: "accepted-counted-ride", uk: "Пільгова поїздка", en: "Benefit ride"), fareKopecks: 0, category: 9,
            ridesLeft: 19, purseBalanceKopecks: 0, ledgerSequence: 42, resolvedPending: 1, apduCount: 17)
        #expect(
            TapReport.jsonLine(result, latencyMilliseconds: 12.3456)
                == #"{"apdus":17,"balance":0,"card":"0000-0000-0000-8001","category":9,"decision":"accept","fare":0,"latencyMs":12.346,"ledgerSequence":42,"message":{"en":"Benefit ride","key":"accepted-counted-ride","uk":"Пільгова поїздка"},"reader":"Reader \"A\"","reason":"accepted-counted-ride","resolvedPending":1,"ridesLeft":19,"time":"2026-11-29T12:00:00Z"}"#
        )
    }

    @Test("metrics: counters by reason, histograms and gauges in the swift-prometheus exposition")
    func metrics() {
        let metrics = ValidatorMetrics()
        metrics.record(TapResult(time: Clock.now, reader: "r", verdict: .accepted, reason: "accepted-free", message: .tapAgain, apduCount: 16), latency: .milliseconds(40))
        metrics.record(TapResult(time: Clock.now, reader: "r", verdict: .declined, reason: "deny-listed", message: .tapAgain), latency: .milliseconds(250))
        metrics.setLedger(backlog: 7, inService: true, pending: 1)
        let text = metrics.prometheusText()
        #expect(text.contains("\nhromada_validator_taps_total 2\n"))
        #expect(text.contains("\nhromada_validator_accepts_total 1\n"))
        #expect(text.contains("\nhromada_validator_declines_total{reason=\"deny-listed\"} 1\n"))
        #expect(text.contains("\nhromada_validator_tap_latency_seconds_bucket{le=\"0.02\"} 0\n"))
        #expect(text.contains("\nhromada_validator_tap_latency_seconds_bucket{le=\"0.05\"} 1\n"))
        #expect(text.contains("\nhromada_validator_tap_latency_seconds_bucket{le=\"0.3\"} 2\n"))
        #expect(text.contains("\nhromada_validator_tap_latency_seconds_sum 0.29\n"))
        #expect(text.contains("\nhromada_validator_tap_latency_seconds_count 2\n"))
        #expect(text.contains("\nhromada_validator_tap_apdus_bucket{le=\"14.0\"} 0\n"))
        #expect(text.contains("\nhromada_validator_tap_apdus_bucket{le=\"16.0\"} 1\n"))
        #expect(text.contains("\nhromada_validator_ledger_backlog_entries 7.0\n"))
        #expect(text.contains("\nhromada_validator_ledger_in_service 1.0\n"))
        #expect(text.contains("\nhromada_validator_pending_transactions 1.0\n"))
        #expect(text.contains("# TYPE hromada_validator_tap_latency_seconds histogram\n"))
    }

    @Test("metrics: two instances in one process keep separate counts")
    func metricsPerInstance() {
        let first = ValidatorMetrics()
        let second = ValidatorMetrics()
        first.record(TapResult(time: Clock.now, reader: "r", verdict: .repeated, reason: "repeat", message: .tapAgain), latency: nil)
        #expect(first.prometheusText().contains("\nhromada_validator_repeats_total 1\n"))
        #expect(second.prometheusText().contains("\nhromada_validator_repeats_total 0\n"))
    }
}

/// The configuration file and the key files it names.
@Suite("Validator configuration")
struct ConfigurationTests {
    @Test("relative paths are taken from the file's directory; readers may be all")
    func load() throws {
        let directory = Paths.temporaryDirectory("hromada-validator-config")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = """
            {"deviceID": 5, "deviceKey": "keys/device.key", "community": "nemishaieve", "rootPublicKey": "/etc/root.pub",
             "readers": ["all"], "vehicle": 3, "route": 2, "zone": 1, "carrier": "C",
             "bundles": {"trust": "b/t", "tariff": "b/f", "denyList": "b/d"}, "ledger": {"path": "ledger.sqlite"},
             "layouts": ["l.json"], "cardKeys": ["k/validate-v1.key"]}
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/v.json"))
        let configuration = try ValidatorConfiguration.load(from: directory + "/v.json")
        #expect(configuration.deviceKey == directory + "/keys/device.key")
        #expect(configuration.rootPublicKey == "/etc/root.pub")
        #expect(configuration.ledger.path == directory + "/ledger.sqlite")
        #expect(configuration.bundles.denyList == directory + "/b/d")
        #expect(configuration.watchesAllReaders)
        #expect(configuration.tapTimeout == .milliseconds(2000))
    }

    @Test("refused: no device number, unreadable JSON")
    func refused() throws {
        let directory = Paths.temporaryDirectory("hromada-validator-config")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("{\"deviceID\": 0}".utf8).write(to: URL(fileURLWithPath: directory + "/bad.json"))
        #expect(throws: ValidatorError(.invalidConfiguration, "")) { try ValidatorConfiguration.load(from: directory + "/bad.json") }
        #expect(throws: ValidatorError(.invalidConfiguration, "")) { try ValidatorConfiguration.load(from: directory + "/missing.json") }
    }

    @Test("a daemon configuration loads: bundles checked against the pinned root, keys, certificate, layouts")
    func setupLoads() throws {
        let community = try TestCommunity()
        let files = try DaemonFiles(community: community, readers: ["all"], tariff: community.tariff)
        defer { files.remove() }
        var configuration = try ValidatorConfiguration.load(from: files.configurationPath)
        let keyID = URL(fileURLWithPath: configuration.deviceKey).deletingPathExtension().lastPathComponent.replacingOccurrences(of: "validator-", with: "")
        let certificates = community.directory.path + "/public/certificates"
        configuration.deviceCertificate = "\(certificates)/\(keyID).cert"
        let setup = try ValidatorSetup.load(configuration, now: UnixTime(Date()))
        #expect(setup.rules.tariff == community.tariff)
        #expect(setup.rules.context.deviceID == DeviceID(7101))
        #expect(setup.cardKeys.map(\.role).sorted() == ["read", "validate"])
        #expect(setup.layouts.map(\.id) == ["nemishaieve-social-v1", "nemishaieve-social-v2", "nemishaieve-social-v3"])
        _ = try SocialCardTapper(setup: setup)

        // Another key's certificate (the issuer's) is refused.
        let issuerCertificate = "\(certificates)/\(try community.issuerKey().keyID).cert"
        var wrongCertificate = configuration
        wrongCertificate.deviceCertificate = issuerCertificate
        #expect(throws: ValidatorError(.invalidKeyMaterial, "")) { try ValidatorSetup.load(wrongCertificate, now: UnixTime(Date())) }

        // Bundles signed by another community's root are refused.
        let other = try TestCommunity(seed: 5)
        var wrongRoot = configuration
        wrongRoot.rootPublicKey = other.directory.path + "/public/root.pub"
        #expect(throws: ValidatorError(.bundleRefused, "")) { try ValidatorSetup.load(wrongRoot, now: UnixTime(Date())) }

        // Expired bundles are refused.
        #expect(throws: ValidatorError(.bundleRefused, "")) { try ValidatorSetup.load(configuration, now: UnixTime(Date()).adding(seconds: 60 * 86_400)) }
        #expect(setup.identityWarning == nil)
    }

    @Test("a validator refuses to start under another device id than its certificate names")
    func setupRefusesAnotherDeviceID() throws {
        let community = try TestCommunity(device: 106)
        let files = try DaemonFiles(community: community, readers: ["all"], tariff: community.tariff, deviceID: 107)
        defer { files.remove() }
        var configuration = try ValidatorConfiguration.load(from: files.configurationPath)
        // Without a certificate file, the trust bundle's certificate of the key binds it.
        #expect(throws: ValidatorError(.invalidConfiguration, "")) { try ValidatorSetup.load(configuration, now: UnixTime(Date())) }
        let keyID = URL(fileURLWithPath: configuration.deviceKey).deletingPathExtension().lastPathComponent.replacingOccurrences(of: "validator-", with: "")
        configuration.deviceCertificate = community.directory.path + "/public/certificates/\(keyID).cert"
        #expect(throws: ValidatorError(.invalidConfiguration, "")) { try ValidatorSetup.load(configuration, now: UnixTime(Date())) }
        configuration.deviceID = 106
        let setup = try ValidatorSetup.load(configuration, now: UnixTime(Date()))
        #expect(setup.deviceCertificate?.deviceID == 106)
        #expect(setup.identityWarning == nil)
    }

    @Test("a format 1 device certificate names no device: the validator starts and warns")
    func setupWarnsAboutAFormatOneCertificate() throws {
        let community = try TestCommunity(device: 106)
        let files = try DaemonFiles(community: community, readers: ["all"], tariff: community.tariff, deviceID: 107)
        defer { files.remove() }
        var configuration = try ValidatorConfiguration.load(from: files.configurationPath)
        let keyID = try #require(KeyID(printed: URL(fileURLWithPath: configuration.deviceKey).deletingPathExtension().lastPathComponent
            .replacingOccurrences(of: "validator-", with: "")))
        // The certificate as it was before format 2, installed on the bus; the trust bundle is
        // re-signed with it, as a community that has not migrated yet would have it.
        var terms = try community.directory.certificate(of: keyID).terms
        terms.deviceID = nil
        terms.format = .v1
        let legacy = try terms.signed(with: try community.directory.rootKey().privateKey)
        let legacyPath = files.directory + "/legacy.cert"
        try Data(try legacy.encoded()).write(to: URL(fileURLWithPath: legacyPath))
        try Data(try legacy.encoded()).write(to: URL(fileURLWithPath: community.directory.path + "/public/certificates/\(keyID).cert"))
        let trust = try community.directory.signBundle(
            kind: .trust, input: nil, version: 1000, expiresAt: UnixTime(Date()).adding(seconds: 86_400), now: UnixTime(Date()))
        try Data(trust).write(to: URL(fileURLWithPath: configuration.bundles.trust))
        configuration.deviceCertificate = legacyPath
        let setup = try ValidatorSetup.load(configuration, now: UnixTime(Date()))
        #expect(setup.deviceCertificate == legacy)
        #expect(setup.identityWarning?.contains("names no device") == true)
    }

    @Test("card master keys: a validator refuses the desk's roles and files others can read")
    func cardKeys() throws {
        let directory = Paths.temporaryDirectory("hromada-validator-config")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func write(_ name: String, role: String, mode: Int) throws -> String {
            let path = directory + "/" + name
            let text = #"{"format": 1, "key": "000102030405060708090a0b0c0d0e0f", "kind": "aes128-card-master-key", "role": "\#(role)", "version": 2}"#
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
            return path
        }
        let good = try ValidatorSetup.loadCardMasterKey(try write("validate.key", role: "validate", mode: 0o600))
        #expect(good.role == "validate" && good.version == 2)
        #expect(!good.description.contains("0001"))
        #expect(throws: ValidatorError(.invalidKeyMaterial, "")) { try ValidatorSetup.loadCardMasterKey(try write("issue.key", role: "issue", mode: 0o600)) }
        #expect(throws: ValidatorError(.invalidKeyMaterial, "")) { try ValidatorSetup.loadCardMasterKey(try write("open.key", role: "read", mode: 0o644)) }
    }
}

import AccountingCore
import AccountingService
import AccountingStore
import Bundles
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import LedgerStore
import Tariff
import Testing
import Uploader

import Foundation

@Suite("Backoff")
struct BackoffTests {
    @Test func windowsGrowExponentiallyUpToTheMaximum() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2)
        #expect(backoff.window(afterFailures: 1) == .milliseconds(100))
        #expect(backoff.window(afterFailures: 2) == .milliseconds(200))
        #expect(backoff.window(afterFailures: 4) == .milliseconds(800))
        #expect(backoff.window(afterFailures: 6) == .seconds(2))
        #expect(backoff.window(afterFailures: 1000) == .seconds(2))
    }

    @Test(arguments: [0, 1, UInt64.max / 2, UInt64.max])
    func delaysLieInTheUpperHalfOfTheWindow(random: UInt64) {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
        for failures in 1...8 {
            let window = backoff.window(afterFailures: failures)
            let delay = backoff.delay(afterFailures: failures, random: random)
            #expect(delay >= window / 2 - .nanoseconds(1))
            #expect(delay <= window)
        }
    }
}

@Suite("Uploader against a live service", .serialized)
struct UploaderLiveTests {
    /// Starts an uploader for `validator` through `port`; returns the task and its event log.
    func startUploader(
        _ validator: TestValidator, ledger: LedgerStoreUploadLedger, port: Int, seed: UInt64, batchSize: Int = 100,
        bundles: BundleSink? = nil
    ) -> (Task<Void, any Error>, EventLog) {
        let log = EventLog()
        let uploader = Uploader(
            configuration: validator.uploaderConfiguration(port: port, batchSize: batchSize), ledger: ledger,
            environment: testEnvironment(seed: seed), onEvent: { await log.record($0) },
            onBundle: { bundle in await bundles?.install(bundle) })
        return (Task { try await uploader.run() }, log)
    }

    @Test(arguments: LiveBackend.all)
    func uploadsEverythingStoresReceiptsAndPrunes(backend: LiveBackend) async throws {
        let directory = try temporaryDirectory()
        let service = LiveService(location: try await backend.location(directory: directory))
        let port = try await service.start()
        let validator = TestValidator(id: 21, seed: 2, directory: directory)
        try await service.register(validator.id, certificate: validator.certificate)
        let ledger = try validator.openLedger(retentionSeconds: 60)
        for index in 0..<750 { try await ledger.append(TestValidator.ride(index)) }
        let (task, log) = startUploader(validator, ledger: ledger, port: port, seed: 1)
        try await eventually("all 750 receipted") { try await ledger.latestReceiptSequence() == 750 }
        try await eventually("pruned") { try await ledger.entryCount() == 0 }
        task.cancel()
        _ = try? await task.value
        try await expectServiceHoldsExactly(validator, count: 750, storage: service.storage!)
        let uploads = await log.events.filter { if case .uploaded = $0 { true } else { false } }
        #expect(uploads.count == 8)
        #expect(try await ledger.verify().isIntact)
        try await service.stop()
    }

    /// Every checkpoint the uploader signs over a batch is kept in the validator's own ledger:
    /// after several uploads the ledger holds each checkpoint the service received.
    @Test func theLedgerKeepsEveryCheckpointSignedForAnUpload() async throws {
        let directory = try temporaryDirectory()
        let service = LiveService(location: try await LiveBackend.sqlite.location(directory: directory))
        let port = try await service.start()
        let validator = TestValidator(id: 23, seed: 4, directory: directory)
        try await service.register(validator.id, certificate: validator.certificate)
        let ledger = try validator.openLedger()
        for index in 0..<250 { try await ledger.append(TestValidator.ride(index)) }
        let (task, _) = startUploader(validator, ledger: ledger, port: port, seed: 3, batchSize: 60)
        try await eventually("all 250 receipted") { try await ledger.latestReceiptSequence() == 250 }
        task.cancel()
        _ = try? await task.value
        let atService = try await service.storage!.checkpoints(of: validator.id)
        #expect(atService.count >= 5)  // batches end at 60, 120, 180, 240, 250
        let inLedger = Set(try await ledger.checkpoints())
        for checkpoint in atService { #expect(inLedger.contains(checkpoint), "the ledger lacks \(checkpoint)") }
        #expect(try await ledger.verify().isIntact)
        try await service.stop()
    }

    @Test func bundlesAreHandedOverOnlyAfterVerification() async throws {
        let directory = try temporaryDirectory()
        let service = LiveService(databasePath: "\(directory)/accounting.sqlite")
        let port = try await service.start()
        let validator = TestValidator(id: 22, seed: 3, directory: directory)
        try await service.register(validator.id, certificate: validator.certificate)
        let now = UnixTime(Date())
        let list = try DenyList(version: 4, entries: [DenyList.Entry(serial: CardSerial(0x00AA_0000_0000_0009), reason: .stolen)])
        let good = try SignedBundle.make(.denyList(list), community: Keys.community, version: 4, issuedAt: now, expiresAt: now.adding(seconds: 86_400), rootKeyID: Keys.rootID, rootKey: Keys.root).encoded()
        // Put a forged trust bundle straight into storage, as if the database had been tampered with.
        let payload = TrustPayload(rootKeyID: Keys.rootID, rootPublicKey: Keys.rootPublic, certificates: [], revocations: RevocationList())
        let forged = try SignedBundle.make(.trust(payload), community: Keys.community, version: 9, issuedAt: now, expiresAt: now.adding(seconds: 86_400), rootKeyID: Keys.rootID, rootKey: Keys.key(99)).encoded()
        try await service.storage!.storeBundle(StoredBundle(kind: .denyList, version: 4, bytes: good, uploadedAt: now))
        try await service.storage!.storeBundle(StoredBundle(kind: .trust, version: 9, bytes: forged, uploadedAt: now))
        let ledger = try validator.openLedger()
        let sink = BundleSink()
        let (task, log) = startUploader(validator, ledger: ledger, port: port, seed: 2, bundles: sink)
        try await eventually("deny list installed") { await sink.installed.count == 1 }
        try await eventually("trust refused") {
            await log.events.contains(.bundleRefused(kind: .trust, reason: "bad-signature"))
        }
        // Let a few more polls pass: the unchanged deny list (304) is not installed again.
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        _ = try? await task.value
        let installed = await sink.installed
        #expect(installed.map(\.header.kind) == [.denyList])
        #expect(installed.first?.header.version == 4)
        try await service.stop()
    }

    @Test(arguments: LiveBackend.all, [UInt64(11), 12])
    func faultyNetworkLosesNothingAndDuplicatesNothing(backend: LiveBackend, seed: UInt64) async throws {
        let directory = try temporaryDirectory()
        let service = LiveService(location: try await backend.location(directory: directory))
        let servicePort = try await service.start()
        let validator = TestValidator(id: 23, seed: 4, directory: directory)
        try await service.register(validator.id, certificate: validator.certificate)
        let faults = SeededRandom(seed: seed)
        let proxy = try FaultProxy(upstreamPort: servicePort) { _ in
            switch faults.next() % 10 {
            case 0, 1: .refuse
            case 2, 3: .cutResponse
            case 4: .delay(milliseconds: 30)
            case 5: .duplicate
            default: .pass
            }
        }
        defer { proxy.stop() }
        let ledger = try validator.openLedger()
        let (task, log) = startUploader(validator, ledger: ledger, port: proxy.port, seed: seed)
        // Taps go on while the uploader works.
        for index in 0..<1200 {
            try await ledger.append(TestValidator.ride(index))
            if index % 100 == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        try await eventually(timeout: .seconds(120), "all 1200 receipted") { try await ledger.latestReceiptSequence() == 1200 }
        task.cancel()
        _ = try? await task.value
        try await expectServiceHoldsExactly(validator, count: 1200, storage: service.storage!)
        #expect(await log.failures > 0, "the proxy should have caused failures")
        #expect((proxy.usage["cutResponse"] ?? 0) > 0)
        try await service.stop()
    }

    @Test(arguments: LiveBackend.all)
    func serviceRestartedMidIngest(backend: LiveBackend) async throws {
        let directory = try temporaryDirectory()
        let service = LiveService(location: try await backend.location(directory: directory))
        let servicePort = try await service.start()
        let validator = TestValidator(id: 24, seed: 5, directory: directory)
        try await service.register(validator.id, certificate: validator.certificate)
        let proxy = try FaultProxy(upstreamPort: servicePort) { _ in .pass }
        defer { proxy.stop() }
        let ledger = try validator.openLedger()
        for index in 0..<3000 { try await ledger.append(TestValidator.ride(index)) }
        let (task, _) = startUploader(validator, ledger: ledger, port: proxy.port, seed: 3, batchSize: 250)
        var lastSeen: UInt64 = 0
        for restart in 1...3 {
            try await eventually("progress before restart \(restart)") { (try await ledger.latestReceiptSequence() ?? 0) > lastSeen }
            try await service.stop()
            try await Task.sleep(for: .milliseconds(50))
            proxy.setUpstream(port: try await service.start())
            lastSeen = try await ledger.latestReceiptSequence() ?? 0
        }
        try await eventually(timeout: .seconds(120), "all 3000 receipted") { try await ledger.latestReceiptSequence() == 3000 }
        task.cancel()
        _ = try? await task.value
        try await expectServiceHoldsExactly(validator, count: 3000, storage: service.storage!)
        try await service.stop()
    }

    @Test func uploaderKilledMidUploadLosesNothing() async throws {
        let directory = try temporaryDirectory()
        let service = LiveService(databasePath: "\(directory)/accounting.sqlite")
        let servicePort = try await service.start()
        let validator = TestValidator(id: 25, seed: 6, directory: directory)
        try await service.register(validator.id, certificate: validator.certificate)
        // Half the responses are cut, so kills also land between "stored" and "receipt heard".
        let faults = SeededRandom(seed: 5)
        let proxy = try FaultProxy(upstreamPort: servicePort) { _ in faults.next() % 2 == 0 ? .cutResponse : .pass }
        defer { proxy.stop() }
        var ledger = try validator.openLedger()
        var appended = 0
        let kills = SeededRandom(seed: 6)
        for round in 0..<12 {
            for _ in 0..<150 {
                try await ledger.append(TestValidator.ride(appended))
                appended += 1
            }
            let (task, _) = startUploader(validator, ledger: ledger, port: proxy.port, seed: UInt64(round), batchSize: 40)
            try await Task.sleep(for: .milliseconds(Int(kills.next() % 60)))
            task.cancel()  // the validator process dies here
            _ = try? await task.value
            await ledger.close()
            ledger = try validator.openLedger()  // and starts again
            #expect(try await ledger.verify().isIntact)
        }
        proxy.setUpstream(port: servicePort)
        let (task, _) = startUploader(validator, ledger: ledger, port: servicePort, seed: 99)
        try await eventually(timeout: .seconds(120), "all receipted") { try await ledger.latestReceiptSequence() == UInt64(appended) }
        task.cancel()
        _ = try? await task.value
        try await expectServiceHoldsExactly(validator, count: appended, storage: service.storage!)
        try await service.stop()
    }

    @Test func longOutageWhileTapsGoOn() async throws {
        let directory = try temporaryDirectory()
        let service = LiveService(databasePath: "\(directory)/accounting.sqlite")
        let firstPort = try await service.start()
        let validator = TestValidator(id: 26, seed: 7, directory: directory)
        try await service.register(validator.id, certificate: validator.certificate)
        let proxy = try FaultProxy(upstreamPort: firstPort) { _ in .pass }
        defer { proxy.stop() }
        let ledger = try validator.openLedger()
        try await service.stop()  // the service is down before the first upload
        let (task, log) = startUploader(validator, ledger: ledger, port: proxy.port, seed: 4)
        for index in 0..<2500 {
            try await ledger.append(TestValidator.ride(index))
            if index % 250 == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        try await eventually("many failed attempts") { await log.failures >= 12 }
        let waits = await log.retryWaits
        #expect(waits.max()! > waits.first!, "backoff should grow")
        #expect(waits.allSatisfy { $0 <= .milliseconds(100) })
        #expect(try await ledger.latestReceiptSequence() == nil)
        proxy.setUpstream(port: try await service.start())
        try await eventually(timeout: .seconds(120), "all 2500 receipted") { try await ledger.latestReceiptSequence() == 2500 }
        task.cancel()
        _ = try? await task.value
        try await expectServiceHoldsExactly(validator, count: 2500, storage: service.storage!)
        try await service.stop()
    }

    @Test func aForgedReceiptIsNotStored() async throws {
        // A receipt not signed by the service key is refused by the ledger, so nothing can be pruned under it.
        let directory = try temporaryDirectory()
        let validator = TestValidator(id: 27, seed: 8, directory: directory)
        let ledger = try validator.openLedger(retentionSeconds: 0)
        var last: LedgerEntry?
        for index in 0..<10 { last = try await ledger.append(TestValidator.ride(index)) }
        let forged = try Receipt(signing: ChainHead(after: last!), with: Keys.key(50))
        await #expect(throws: LedgerStoreError.self) { try await ledger.storeReceipt(forged, servicePublicKey: Keys.service.publicKey) }
        #expect(try await ledger.prune(now: UnixTime(Date())) == 0)
        #expect(try await ledger.entryCount() == 10)
    }
}

/// Collects bundles handed over by the uploader.
actor BundleSink {
    private(set) var installed: [VerifiedBundle] = []
    func install(_ bundle: VerifiedBundle) { installed.append(bundle) }
}

/// The ledger's calls in the order the uploader made them: a checkpoint is kept right before
/// its batch is sent, a receipt when its answer is taken.
actor RecordingLedger: UploadLedger {
    enum Call: Hashable { case checkpoint(UInt64), receipt(UInt64) }
    private let ledger: LedgerStoreUploadLedger
    private(set) var calls: [Call] = []
    nonisolated let deviceID: DeviceID

    init(_ ledger: LedgerStoreUploadLedger) {
        self.ledger = ledger
        deviceID = ledger.deviceID
    }

    func entries(from sequence: UInt64, limit: Int) async throws -> [LedgerEntry] { try await ledger.entries(from: sequence, limit: limit) }
    func latestReceiptSequence() async throws -> UInt64? { try await ledger.latestReceiptSequence() }
    func headSequence() async throws -> UInt64 { await ledger.headSequence() }
    func prune(now: UnixTime) async throws -> Int { try await ledger.prune(now: now) }
    func storeReceipt(_ receipt: Receipt, servicePublicKey: Curve25519.Signing.PublicKey) async throws {
        try await ledger.storeReceipt(receipt, servicePublicKey: servicePublicKey)
        calls.append(.receipt(receipt.sequence))
    }
    func storeCheckpoint(_ checkpoint: Checkpoint) async throws {
        try await ledger.storeCheckpoint(checkpoint)
        calls.append(.checkpoint(checkpoint.sequence))
    }
}

@Suite("Uploader: batches in flight", .serialized)
struct UploaderInFlightTests {
    /// With four in flight (the default), the three batches after the next one are signed and
    /// sent before the next one's answer is taken; with one, each waits for the answer before it. Either way the
    /// service stores every entry in order and refuses nothing.
    @Test(arguments: LiveBackend.all, [1, 4])
    func batchesGoOutBeforeTheAnswerBefore(backend: LiveBackend, inFlight: Int) async throws {
        let directory = try temporaryDirectory()
        let service = LiveService(location: try await backend.location(directory: directory))
        let port = try await service.start()
        let validator = TestValidator(id: 26, seed: 7, directory: directory)
        try await service.register(validator.id, certificate: validator.certificate)
        let ledger = try validator.openLedger()
        for index in 0..<1000 { try await ledger.append(TestValidator.ride(index)) }
        let recording = RecordingLedger(ledger)
        var configuration = validator.uploaderConfiguration(port: port, batchSize: 100)
        configuration.batchesInFlight = inFlight
        let uploader = Uploader(configuration: configuration, ledger: recording, environment: testEnvironment(seed: 4))
        let task = Task { try await uploader.run() }
        try await eventually("all 1000 receipted") { try await ledger.latestReceiptSequence() == 1000 }
        task.cancel()
        _ = try? await task.value
        let calls = await recording.calls
        let batchEnds = (1...10).map { UInt64($0 * 100) }
        // Each receipt in order, each checkpoint before its own receipt.
        #expect(calls.compactMap { if case .receipt(let end) = $0 { end } else { nil } } == batchEnds)
        for end in batchEnds {
            let kept = try #require(calls.firstIndex(of: .checkpoint(end)))
            let receipted = try #require(calls.firstIndex(of: .receipt(end)))
            #expect(kept < receipted)
        }
        // How many batches were out (checkpoint kept, no receipt yet) at the most.
        var out = 0
        var most = 0
        for call in calls {
            if case .checkpoint = call { out += 1 } else { out -= 1 }
            most = max(most, out)
        }
        #expect(most == inFlight)
        try await expectServiceHoldsExactly(validator, count: 1000, storage: service.storage!)
        #expect(try await service.storage!.refusedBatches().isEmpty)
        try await service.stop()
    }
}

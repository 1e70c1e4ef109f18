import AccountingCore
import AccountingStore
import Bundles
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import Logging
import NIOCore
import Synchronization

/// The community facts and keys the service runs with.
public struct AccountingConfiguration: Sendable {
    /// The community name (bundles must name it).
    public var community: String
    /// The community root key id.
    public var rootKeyID: KeyID
    /// The community root public key (the trust anchor).
    public var rootPublicKey: SigningPublicKey
    /// Revocations known at start (a newer trust bundle replaces them).
    public var revocations: RevocationList
    /// The accounting service's signing key (role `.accounting`): signs receipts.
    public var serviceKey: Curve25519.Signing.PrivateKey
    /// Request and batch limits.
    public var limits: AccountingLimits
    /// The clock (tests pass a fixed or stepping one).
    public var now: @Sendable () -> UnixTime
    /// The root's certificate of `serviceKey`, served to clients that check receipts.
    public var serviceCertificate: Certificate?

    /// Creates a configuration.
    public init(
        community: String, rootKeyID: KeyID, rootPublicKey: SigningPublicKey, revocations: RevocationList,
        serviceKey: Curve25519.Signing.PrivateKey, limits: AccountingLimits = .standard,
        now: @escaping @Sendable () -> UnixTime, serviceCertificate: Certificate? = nil
    ) {
        self.serviceCertificate = serviceCertificate
        self.community = community
        self.rootKeyID = rootKeyID
        self.rootPublicKey = rootPublicKey
        self.revocations = revocations
        self.serviceKey = serviceKey
        self.limits = limits
        self.now = now
    }
}

/// What happened to an uploaded batch.
public enum IngestOutcome: Hashable, Sendable {
    /// New entries were stored; the receipt covers the batch's end.
    case accepted(receipt: Receipt, storedEntries: Int)
    /// Everything was already held; the same receipt as before.
    case replayed(receipt: Receipt)
    /// Entries are missing before the batch.
    case gap(resumeSequence: UInt64)
    /// The batch contradicts held entries; a tamper alarm was recorded.
    case conflict(ChainConflict)
    /// The batch is not a valid device-signed chain segment.
    case rejected(BatchRejection)
}

/// The service's state and rules: ingest, device authentication, bundles, counters.
///
/// An actor for the little mutable state it owns (the current revocations, the counters); the
/// durable state, including the nonces of the replay window, is all in `storage`.
public actor AccountingEngine {
    /// The storage.
    public let storage: any AccountingStorage
    /// The configuration.
    public let configuration: AccountingConfiguration
    /// Counters for /metrics.
    public let metrics: ServiceMetrics
    private var revocations: RevocationList
    private let logger: Logger
    /// The head each device's chain had when this instance last read it, or will have once the
    /// commit under way moves it: a guess that spares a batch following it the head's read. Only ever a guess (another instance, or a
    /// request racing this one, may have moved the head since); `ingest` says why that is safe.
    private let lastSeenHeads = Mutex<[DeviceID: ChainHead]>([:])
    /// How many batches `ingest(body:from:)` is working on at this moment.
    private let batchesIngesting = Atomic<Int>(0)
    /// Each device's batches inside `ingest` now: a batch that arrives ahead of the one before
    /// it waits for it rather than being refused for a gap that batch is about to fill.
    nonisolated let inFlight = InFlightBatches()
    /// How long a batch waits in all for earlier batches of its device to be answered.
    static let earlierBatchDeadline: Duration = .seconds(30)
    /// Each device's commits under way, by the head each will leave.
    private let commitsUnderWay = CommitsUnderWay()
    /// How long a commit waits, its entries written, for the commit of the batch before it
    /// (`CommitsUnderWay` says why it is bounded).
    static let predecessorWait: Duration = .seconds(2)

    /// Creates the engine over an open, migrated storage.
    public init(storage: any AccountingStorage, configuration: AccountingConfiguration, logger: Logger) {
        self.storage = storage
        self.configuration = configuration
        self.revocations = configuration.revocations
        self.metrics = ServiceMetrics()
        self.logger = logger
    }

    /// The service's public key, for validators checking receipts.
    public var servicePublicKey: Curve25519.Signing.PublicKey { configuration.serviceKey.publicKey }

    // MARK: Device authentication

    /// Authenticates a device-signed request, including the nonce's single use.
    ///
    /// The nonce is admitted by the storage, so the window survives a restart: a request
    /// captured before the service stopped is still refused after it starts again, for as long
    /// as its timestamp is inside the window (after that the timestamp check refuses it).
    ///
    /// Nonisolated, like `ingest`: only the revocations are the actor's, read in one hop, so the
    /// signature checks of requests arriving together run on as many cores as there are.
    public nonisolated func authenticateDevice(method: String, path: String, headers: [String: String], body: [UInt8]) async throws -> DeviceAuthentication {
        let now = configuration.now()
        let verifier = DeviceRequestVerifier(
            rootKeyID: configuration.rootKeyID, rootPublicKey: configuration.rootPublicKey, revocations: await currentRevocations,
            clockSkewSeconds: configuration.limits.requestClockSkewSeconds)
        var registration: RegisteredDeviceKey?
        if let text = headers[DeviceRequestHeader.device], let number = UInt32(text) {
            registration = try await storage.registration(of: DeviceID(rawValue: number))?.key
        }
        let result = verifier.verify(
            method: method, path: path, header: { headers[$0] }, body: body, now: now, registered: { _ in registration })
        if case .authenticated(let device) = result,
            !(try await storage.admitNonce(
                device.nonce, of: device.deviceID, signedAt: device.timestamp,
                forgettingBefore: now.adding(seconds: -configuration.limits.requestClockSkewSeconds)))
        {
            await metrics.increment("hromada_device_auth_refused_total", label: ("code", "replayed-nonce"))
            return .refused(.replayedNonce)
        }
        if case .refused(let refusal) = result {
            await metrics.increment("hromada_device_auth_refused_total", label: ("code", refusal.code.wireName))
        }
        return result
    }

    // MARK: Ingest

    /// Decodes an uploaded body and ingests its batch; a body that is no batch throws the
    /// `AccountingError` naming why.
    ///
    /// The body's frame (device, checkpoint, where the entries lie) is read first, so the head
    /// the decision needs is read from the database while the entries are decoded and hashed
    /// (`BatchDecoding`, on every core), rather than after: the checkpoint's sequence is where a
    /// batch that proves itself ends. No read is made when the batch will follow the head last
    /// seen. A batch whose end turns out to be elsewhere is decided from a fresh read.
    public nonisolated func ingest(body: [UInt8], from device: AuthenticatedDevice) async throws -> IngestOutcome {
        let limits = configuration.limits
        guard let located = CanonicalBatchBody(locating: body, limits: limits) else {
            return try await ingest(try UploadBatch(jsonBody: body, limits: limits), from: device)
        }
        // The read beside the decoding and the entries in parts on every core only when no other
        // batch is being ingested: while several devices upload at once, their batches already
        // keep the cores busy, and the extra tasks cost more than they save (measured: replays
        // of 4 devices were slower with them), so such a batch is handled one step after another.
        let alone = batchesIngesting.add(1, ordering: .relaxed).oldValue == 0
        defer { batchesIngesting.subtract(1, ordering: .relaxed) }
        let end = located.checkpoint.sequence
        let ticket = inFlight.begin(device.deviceID, firstSequence: end &- UInt64(located.entryCount) &+ 1)
        defer { inFlight.end(ticket) }
        let guess = lastSeenHeads.withLock { $0[device.deviceID] }
        let followsGuess = guess.map { $0.sequence &+ UInt64(located.entryCount) == end } ?? false
        async let view: HeadWithHeld? = followsGuess || !alone ? nil : storage.head(of: device.deviceID, withHeldAt: end)
        let batch = try await BatchDecoding.batch(from: located, body: body, limits: limits, parts: alone ? System.coreCount : 1)
        return try await ingest(batch, from: device, read: batch.lastSequence == end ? try await view : nil)
    }

    /// Ingests a batch from an authenticated device.
    ///
    /// Nonisolated: it uses none of the actor's mutable state (the storage decides races, the
    /// counters are their own actor), so the checks of batches arriving together (1000 chain
    /// links and a checkpoint signature each) run in parallel instead of one after another.
    public nonisolated func ingest(_ batch: UploadBatch, from device: AuthenticatedDevice) async throws -> IngestOutcome {
        let ticket = inFlight.begin(device.deviceID, firstSequence: batch.firstSequence)
        defer { inFlight.end(ticket) }
        return try await ingest(batch, from: device, read: nil)
    }

    /// `ingest(_:from:)` with the head already read at the batch's last sequence, if it was.
    private nonisolated func ingest(_ batch: UploadBatch, from device: AuthenticatedDevice, read: HeadWithHeld?) async throws -> IngestOutcome {
        let publicKey = try device.publicKey()
        var read = read
        // A batch that follows the head last seen is decided from that head without reading it
        // (an uploader sends a device's batches in order; the one before may still be
        // committing, and the compare-and-set then waits for it). Only an
        // `accept` is taken from the guess, and the commit's compare-and-set moves the head only
        // if it is still the one guessed, in the same transaction as the entries: if another
        // request or instance moved it meanwhile, nothing is stored and the batch is decided
        // again below from what the database holds. Every other decision (a replay, a gap, a
        // conflict and its tamper alarm) is made from the database alone.
        //
        // A batch further on than the guess, while a batch of the device that begins before it
        // is in flight (an uploader keeping three or more in flight), first waits for that batch
        // to begin its commit and move the guess up to it.
        var guess = lastSeenHeads.withLock { $0[device.deviceID] }
        if let seen = guess, batch.firstSequence > seen.sequence &+ 1 {
            let id = device.deviceID
            let first = batch.firstSequence
            let turn = await inFlight.waitForTurn(of: id, beginningAt: first, deadline: configuration.limits.earlierBatchGrace) {
                self.guessReaches(first, of: id)
            }
            if turn { guess = lastSeenHeads.withLock { $0[device.deviceID] } }
        }
        if let guess, batch.firstSequence == guess.sequence + 1,
            case .accept(let entries, let newHead) = IngestRules.decide(
                batch, authenticatedDevice: device.deviceID, devicePublicKey: publicKey, deviceRole: device.role,
                position: StoredPosition(head: guess)),
            let accepted = try await commit(batch, entries: entries, newHead: newHead, over: guess)
        {
            return accepted
        }
        var attempts = 0
        // Set at the first gap found: until then, an earlier batch may still arrive.
        var graceEnds: ContinuousClock.Instant?
        while attempts < 5 {
            attempts += 1
            // The head, and what is held at the batch's end: all a replay needs, in one call
            // (made while the body was decoded, the first time round).
            let view: HeadWithHeld
            // Taken before the head is read (a read made while the body decoded has none: a gap
            // found from it is always looked at again).
            let mark: UInt64?
            if let earlier = read {
                view = earlier
                read = nil
                mark = nil
            } else {
                mark = inFlight.mark(of: device.deviceID)
                view = try await storage.head(of: device.deviceID, withHeldAt: batch.lastSequence)
            }
            let head = view.head
            lastSeenHeads.withLock { $0[device.deviceID] = head }
            var held: [UInt64: ChainHash] = [:]
            if let range = StoredPosition.overlap(of: batch, heldUpTo: head.sequence) {
                // The held hash at the overlap's end stands for the whole overlap when it matches
                // (the chain property); otherwise read them all to find the first difference.
                let end = range.upperBound
                let heldAtEnd = end == head.sequence ? head.hash : (end == batch.lastSequence ? view.hash : nil)
                if let heldAtEnd, let inferred = StoredPosition.heldHashes(of: batch, inferredFrom: heldAtEnd, at: end) {
                    held = inferred
                } else {
                    held = try await storage.heldHashes(of: device.deviceID, in: range)
                }
            }
            let decision = IngestRules.decide(
                batch, authenticatedDevice: device.deviceID, devicePublicKey: publicKey, deviceRole: device.role,
                position: StoredPosition(head: head, heldHashes: held))
            switch decision {
            case .accept(let entries, let newHead):
                if let accepted = try await commit(batch, entries: entries, newHead: newHead, over: head) { return accepted }
                continue
            case .replay(let replayHead):
                let receipt: Receipt
                if replayHead.sequence == batch.lastSequence, let stored = view.receipt {
                    receipt = stored
                } else if let stored = try await storage.receipt(of: device.deviceID, at: replayHead.sequence) {
                    receipt = stored
                } else {
                    receipt = try Receipt(signing: replayHead, with: configuration.serviceKey)
                    try await storage.storeReceipt(receipt)
                }
                await metrics.increment("hromada_batches_total", label: ("outcome", "replayed"))
                return .replayed(receipt: receipt)
            case .gap(let resume):
                // An earlier batch of this device that ended since the head was read, is still
                // in flight, or arrives within the grace may fill the gap: the batch is decided
                // again once it has its answer, without using up an attempt.
                let ends = graceEnds ?? ContinuousClock.now.advanced(by: configuration.limits.earlierBatchGrace)
                graceEnds = ends
                let lookAgain: Bool
                if let mark {
                    lookAgain = await inFlight.waitForEarlierBatches(
                        of: device.deviceID, beginningBefore: batch.firstSequence, since: mark, graceEnds: ends,
                        deadline: Self.earlierBatchDeadline)
                } else {
                    lookAgain = true  // read while the body decoded, with no mark: read it again
                }
                if lookAgain {
                    if mark != nil { await metrics.increment("hromada_gap_rechecks_total") }
                    attempts -= 1
                    continue
                }
                // The batch proved itself (IngestRules checks it before the position): it is the
                // device's signed word that it went on past what is held, kept as gap evidence.
                let now = configuration.now().rawValue
                try await storage.recordRefusedBatch(
                    RefusedBatchRecord(
                        device: device.deviceID.rawValue, firstSequence: batch.firstSequence, lastSequence: batch.lastSequence,
                        firstPreviousHash: batch.entries[0].previousHash.hex, lastHash: batch.checkpoint.chainHash.hex,
                        heldSequence: head.sequence, firstRefusedAt: now, lastRefusedAt: now))
                await metrics.increment("hromada_batches_total", label: ("outcome", "gap"))
                return .gap(resumeSequence: resume)
            case .conflict(let conflict):
                try await storage.recordAlarm(
                    TamperAlarm(
                        device: device.deviceID.rawValue, sequence: conflict.sequence, heldHash: conflict.heldHash.hex,
                        offeredHash: conflict.offeredHash.hex, batchRange: "\(batch.firstSequence)-\(batch.lastSequence)",
                        recordedAt: configuration.now().rawValue))
                logger.critical(
                    "tamper alarm", metadata: ["device": "\(device.deviceID)", "sequence": "\(conflict.sequence)"])
                await metrics.increment("hromada_batches_total", label: ("outcome", "conflict"))
                await metrics.increment("hromada_tamper_alarms_total")
                return .conflict(conflict)
            case .reject(let rejection):
                await metrics.increment("hromada_batches_total", label: ("outcome", "rejected"))
                return .rejected(rejection)
            }
        }
        throw StorageError(.contention, "the device's head kept moving under concurrent uploads")
    }

    /// The head last seen of `device`, or the head its commit under way will leave (tests look
    /// at it to see a batch begin its commit).
    nonisolated func headLastSeen(of device: DeviceID) -> ChainHead? {
        lastSeenHeads.withLock { $0[device] }
    }

    /// Whether the head last seen of `device` reaches the entry before `sequence`.
    private nonisolated func guessReaches(_ sequence: UInt64, of device: DeviceID) -> Bool {
        lastSeenHeads.withLock { $0[device].map { $0.sequence &+ 1 >= sequence } ?? false }
    }

    /// Stores the accepted part of `batch` if the device's head is still `expectedHead`: the
    /// outcome, or nil when the head had moved (nothing stored; the batch is decided again).
    private nonisolated func commit(
        _ batch: UploadBatch, entries: [LedgerEntry], newHead: ChainHead, over expectedHead: ChainHead
    ) async throws -> IngestOutcome? {
        let device = expectedHead.deviceID
        let receipt = try Receipt(signing: newHead, with: configuration.serviceKey)
        // The head this commit will leave is the guess from now on, before it is stored: the
        // device's next batch, already in flight, is decided from it while this one commits (its
        // compare-and-set then waits for this commit). If this one fails, the guess is dropped
        // and a batch decided from it finds the head unmoved and is decided again.
        lastSeenHeads.withLock { $0[device] = newHead }
        inFlight.guessChanged(of: device)
        commitsUnderWay.begin(leaving: newHead)
        let commitsUnderWay = self.commitsUnderWay
        let outcome: CommitOutcome
        do {
            // Ended as soon as the storage answers: the next batch's commit waits for it.
            defer { commitsUnderWay.end(leaving: newHead) }
            outcome = try await storage.commit(
                IngestCommit(
                    expectedHead: expectedHead, entries: entries, checkpoint: batch.checkpoint, receipt: receipt,
                    receivedAt: configuration.now(),
                    beforeMovingHead: { await commitsUnderWay.waitForCommits(leaving: expectedHead, atMost: Self.predecessorWait) }))
        } catch {
            lastSeenHeads.withLock { $0[device] = nil }
            throw error
        }
        guard outcome == .committed else {
            lastSeenHeads.withLock { $0[device] = nil }
            return nil
        }
        // A later batch's guess, set while this one committed, stays.
        lastSeenHeads.withLock { heads in
            if (heads[device]?.sequence ?? 0) <= newHead.sequence { heads[device] = newHead }
        }
        await metrics.increment("hromada_batches_total", label: ("outcome", "accepted"))
        await metrics.add("hromada_entries_ingested_total", Double(entries.count))
        return .accepted(receipt: receipt, storedEntries: entries.count)
    }

    /// The device's position and latest receipt.
    public func position(of device: DeviceID) async throws -> PositionResponse {
        let head = try await storage.head(of: device)
        let receipt = try await storage.latestReceipt(of: device)
        return PositionResponse(
            device: device.rawValue, sequence: head.sequence, chainHash: head.hash.hex, resumeSequence: head.sequence + 1,
            receipt: receipt.map(ReceiptWire.init))
    }

    // MARK: Bundles

    /// Verifies and stores an uploaded signed bundle; returns the refusal if it is not acceptable.
    public func uploadBundle(_ bytes: [UInt8], kind: BundleKind) async throws -> BundleVerdict {
        let acceptance = BundleAcceptance(community: configuration.community, rootKeyID: configuration.rootKeyID, rootPublicKey: configuration.rootPublicKey)
        let installed = try await storage.latestBundle(kind)?.version
        let verdict = acceptance.evaluate(bytes, kind: kind, installedVersion: installed, now: configuration.now())
        if case .accept(let verified) = verdict {
            try await storage.storeBundle(
                StoredBundle(kind: kind, version: verified.header.version, bytes: bytes, uploadedAt: configuration.now()))
            if case .trust(let trust) = verified.payload, trust.revocations.version >= revocations.version {
                revocations = trust.revocations
            }
        }
        return verdict
    }

    /// The current revocations.
    public var currentRevocations: RevocationList { revocations }

    // MARK: Devices

    /// Checks a device certificate the way device requests will be checked (root, role, dates, revocation).
    public func checkDeviceCertificate(_ certificate: Certificate) -> CertificateVerdict {
        guard let trust = try? TrustStore(
            rootKeyID: configuration.rootKeyID, rootPublicKey: configuration.rootPublicKey, certificates: [certificate],
            revocations: revocations)
        else { return .invalid(.unknownIssuer(certificate.issuerKeyID)) }
        return trust.checkCertificate(of: certificate.keyID, role: .validator, now: configuration.now())
    }
}

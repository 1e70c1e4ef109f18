import AccountingCore
import AsyncHTTPClient
import Bundles
import Crypto
import Entitlements
import LedgerCore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How the uploader reaches the service and what it trusts.
public struct UploaderConfiguration: Sendable {
    /// The service's base URL: `http://accounting.example:8080`.
    public var serviceURL: String
    /// The device's certificate (sent with each request).
    public var certificate: Certificate
    /// The device key: signs requests and batch checkpoints.
    public var deviceKey: Curve25519.Signing.PrivateKey
    /// The accounting service's public key: receipts must verify under it.
    public var servicePublicKey: Curve25519.Signing.PublicKey
    /// Entries per batch (the service accepts at most 1000).
    public var batchSize: Int
    /// Batches sent before the oldest is answered (1–8; default 4): the next batches' checks at
    /// the service overlap the last one's commit (docs/accounting.md, "Batches in flight").
    public var batchesInFlight: Int
    /// Waits between failed attempts.
    public var backoff: Backoff
    /// How long to wait when everything is uploaded before looking again.
    public var idleInterval: Duration
    /// How often to look for new bundles.
    public var bundleInterval: Duration
    /// Which bundles to fetch, and how to accept them (nil: fetch none).
    public var bundleAcceptance: BundleAcceptance?
    /// The bundle versions installed now.
    public var installedBundleVersions: [BundleKind: UInt32]
    /// The deadline of one HTTP request.
    public var requestTimeout: Duration

    /// Creates a configuration.
    public init(
        serviceURL: String, certificate: Certificate, deviceKey: Curve25519.Signing.PrivateKey,
        servicePublicKey: Curve25519.Signing.PublicKey, batchSize: Int = 1000, batchesInFlight: Int = 4, backoff: Backoff = Backoff(),
        idleInterval: Duration = .seconds(30), bundleInterval: Duration = .seconds(300), bundleAcceptance: BundleAcceptance? = nil,
        installedBundleVersions: [BundleKind: UInt32] = [:], requestTimeout: Duration = .seconds(30)
    ) {
        self.serviceURL = serviceURL.hasSuffix("/") ? String(serviceURL.dropLast()) : serviceURL
        self.certificate = certificate
        self.deviceKey = deviceKey
        self.servicePublicKey = servicePublicKey
        self.batchSize = min(max(1, batchSize), AccountingLimits.standard.maximumBatchEntries)
        self.batchesInFlight = min(max(1, batchesInFlight), 8)
        self.backoff = backoff
        self.idleInterval = idleInterval
        self.bundleInterval = bundleInterval
        self.bundleAcceptance = bundleAcceptance
        self.installedBundleVersions = installedBundleVersions
        self.requestTimeout = requestTimeout
    }
}

/// The clock, the randomness and the waiting, injected so tests can run an outage in no time.
public struct UploaderEnvironment: Sendable {
    /// The wall clock (request timestamps, pruning).
    public var now: @Sendable () -> UnixTime
    /// A uniform 64-bit random value (nonces, jitter); cryptographically secure outside tests.
    public var random: @Sendable () -> UInt64
    /// Waits (cancellable).
    public var sleep: @Sendable (Duration) async throws -> Void

    /// Creates an environment.
    public init(
        now: @escaping @Sendable () -> UnixTime, random: @escaping @Sendable () -> UInt64,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.now = now
        self.random = random
        self.sleep = sleep
    }

    /// The system clock, the system's secure generator and `Task.sleep`.
    public static let system = UploaderEnvironment(
        now: { UnixTime(Date()) },
        random: {
            var generator = SystemRandomNumberGenerator()
            return generator.next()
        },
        sleep: { try await Task.sleep(for: $0) })
}

/// Something the uploader did, for logs, metrics and tests.
public enum UploaderEvent: Hashable, Sendable {
    /// The service's position was read: it expects `resumeSequence` next.
    case positionSynchronized(resumeSequence: UInt64)
    /// A batch was stored by the service (or was already held) and its receipt stored.
    case uploaded(first: UInt64, last: UInt64, replayed: Bool)
    /// The service reported a gap; uploading resumes there.
    case gap(resumeSequence: UInt64)
    /// The service reported that the batch contradicts what it holds (a tamper alarm there).
    case chainConflict
    /// An attempt failed; the next is after `retryIn`.
    case failed(reason: String, retryIn: Duration)
    /// Everything written so far is receipted.
    case caughtUp(sequence: UInt64)
    /// Receipted entries past their retention were pruned.
    case pruned(count: Int)
    /// A new bundle verified and was handed over.
    case bundleInstalled(kind: BundleKind, version: UInt32)
    /// A downloaded bundle was refused.
    case bundleRefused(kind: BundleKind, reason: String)
}

/// The validator's uploader: store-and-forward of ledger entries to the accounting service.
///
/// Loop: ask the service where the device stands (storing any receipt it holds that the
/// ledger lacks: the answer to a batch whose response was lost), send the next up-to-1000
/// entries with a fresh checkpoint over the last, and the batches after it before the answer
/// comes (four in flight by default), store each receipt in order, repeat; when caught up,
/// prune and fetch bundles, then wait. Every failure backs off with jitter and tries again,
/// for as long as it runs. Killing it at any point is safe: entries leave the ledger only
/// under a verified receipt, and the service stores a replayed batch once.
public final class Uploader: Service, Sendable {
    private let configuration: UploaderConfiguration
    private let ledger: any UploadLedger
    private let environment: UploaderEnvironment
    private let client: HTTPClient
    private let logger: Logger
    private let onEvent: @Sendable (UploaderEvent) async -> Void
    private let onBundle: @Sendable (VerifiedBundle) async throws -> Void

    /// Creates an uploader; `onBundle` receives each bundle after it verified (install it there).
    public init(
        configuration: UploaderConfiguration, ledger: any UploadLedger, environment: UploaderEnvironment = .system,
        httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "hromada.uploader"),
        onEvent: @escaping @Sendable (UploaderEvent) async -> Void = { _ in },
        onBundle: @escaping @Sendable (VerifiedBundle) async throws -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.ledger = ledger
        self.environment = environment
        self.client = httpClient
        self.logger = logger
        self.onEvent = onEvent
        self.onBundle = onBundle
    }

    /// Runs until cancelled or graceful shutdown.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.loop()
        }
    }

    private struct State {
        var resume: UInt64?
        var failures = 0
        var installed: [BundleKind: UInt32]
        var etags: [BundleKind: String] = [:]
        var nextBundleCheck: ContinuousClock.Instant = .now
    }

    private func loop() async throws {
        var state = State(installed: configuration.installedBundleVersions)
        while !Task.isCancelled {
            do {
                let idle = try await step(&state)
                state.failures = 0
                if ContinuousClock.now >= state.nextBundleCheck, configuration.bundleAcceptance != nil {
                    try await fetchBundles(&state)
                    state.nextBundleCheck = ContinuousClock.now.advanced(by: configuration.bundleInterval)
                }
                if idle { try await environment.sleep(configuration.idleInterval) }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                state.failures += 1
                state.resume = nil  // ask the service again: it may have stored what we could not hear back
                let wait = configuration.backoff.delay(afterFailures: state.failures, random: environment.random())
                logger.warning("upload attempt failed", metadata: ["error": "\(error)", "retryIn": "\(wait)"])
                await onEvent(.failed(reason: "\(error)", retryIn: wait))
                try await environment.sleep(wait)
            }
        }
    }

    /// A batch on its way: what it covers and its answer to come.
    private struct SentBatch {
        let first: UInt64
        let last: LedgerEntry
        let answer: Task<Reply, any Error>
    }

    /// How many batches one step sends at most before it lets the loop look at bundles.
    private static let batchesPerStep = 64

    /// One unit of work: batches from the resume point, up to `batchesInFlight` of them on
    /// their way at once, until the ledger's end, an error or `batchesPerStep`; true when there
    /// was nothing to send.
    ///
    /// Answers are taken in the order the batches were sent. The service decides a device's
    /// batches in order too (a batch that arrives ahead of the one before it waits for it), so
    /// an answer other than a receipt ends the step: the batches after it are abandoned, and
    /// whatever the service made of them is found again from the position or as replays.
    private func step(_ state: inout State) async throws -> Bool {
        if state.resume == nil { state.resume = try await synchronizePosition() }
        guard let resume = state.resume else { return true }
        var sent: [SentBatch] = []
        defer { for batch in sent { batch.answer.cancel() } }
        var next = resume
        var batchesSent = 0
        var ledgerEnded = false
        while true {
            while sent.count < configuration.batchesInFlight, !ledgerEnded, batchesSent < Self.batchesPerStep {
                guard let batch = try await send(from: next) else {
                    ledgerEnded = true
                    break
                }
                sent.append(batch)
                next = batch.last.sequence + 1
                batchesSent += 1
            }
            guard !sent.isEmpty else { break }
            let batch = sent.removeFirst()
            // The answer's task is not this one's child: a cancellation (the daemon stopping)
            // is passed on to it, or the wait would last until the request's timeout.
            let answer = try await withTaskCancellationHandler {
                try await batch.answer.value
            } onCancel: {
                batch.answer.cancel()
            }
            guard try await handleAnswer(answer, to: batch, &state) else { return false }
        }
        if batchesSent == 0 {
            await onEvent(.caughtUp(sequence: resume - 1))
            let pruned = try await ledger.prune(now: environment.now())
            if pruned > 0 { await onEvent(.pruned(count: pruned)) }
            return true
        }
        return false
    }

    /// Reads the batch that starts at `sequence`, keeps its checkpoint and sends it; nil when
    /// the ledger holds nothing from there.
    private func send(from sequence: UInt64) async throws -> SentBatch? {
        let entries = try await ledger.entries(from: sequence, limit: configuration.batchSize)
        guard let first = entries.first, let last = entries.last else { return nil }
        guard first.sequence == sequence else {
            // The ledger no longer holds what the service asks for (pruned under a receipt the
            // service has since lost): nothing the uploader can send will help; an operator must.
            throw UploaderError(.ledgerPruned, "the service asks for entry \(sequence) but the ledger starts at \(first.sequence)")
        }
        let checkpoint = try Checkpoint(signing: ChainHead(after: last), with: configuration.deviceKey)
        // Kept in the ledger before it leaves: whatever the service holds, the device holds too.
        try await ledger.storeCheckpoint(checkpoint)
        let body = try UploadBatch(deviceID: ledger.deviceID, entries: entries, checkpoint: checkpoint).jsonBody()
        let request = try makeRequest(method: .POST, path: "/v1/ledger/batches", body: body)
        return SentBatch(first: first.sequence, last: last, answer: Task { try await self.execute(request) })
    }

    /// Acts on the answer to `batch`: true when its receipt was stored and the next answer may
    /// be taken; false after a gap (the step ends, resuming where the service said).
    private func handleAnswer(_ response: Reply, to batch: SentBatch, _ state: inout State) async throws -> Bool {
        switch response.status {
        case 200:
            let answer = try JSONDecoder().decode(UploadResponse.self, from: Data(response.body))
            let receipt = try answer.receipt.receipt()
            guard receipt.deviceID == ledger.deviceID, receipt.sequence == batch.last.sequence, receipt.chainHash == batch.last.hash else {
                throw UploaderError(.receiptMismatch, "the receipt does not cover the batch sent (\(receipt))")
            }
            try await ledger.storeReceipt(receipt, servicePublicKey: configuration.servicePublicKey)
            state.resume = batch.last.sequence + 1
            await onEvent(.uploaded(first: batch.first, last: batch.last.sequence, replayed: answer.outcome == .replayed))
            return true
        case 409:
            let refusal = (try? JSONDecoder().decode(ErrorResponse.self, from: Data(response.body)))?.error
            if let refusal, refusal.code == .gap, let resumeAt = refusal.resumeSequence {
                state.resume = resumeAt
                await onEvent(.gap(resumeSequence: resumeAt))
                return false
            }
            // A chain conflict, or a conflict this build does not know: nothing to resend.
            await onEvent(.chainConflict)
            throw UploaderError(.batchRefused, "the service refuses the batch: \(refusal.map { "\($0.code)" } ?? "conflict")")
        default:
            throw UploaderError(
                .unexpectedAnswer, "the service answered \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
    }

    /// Reads the device's position; stores the service's latest receipt if the ledger lacks it.
    private func synchronizePosition() async throws -> UInt64 {
        let response = try await send(method: .GET, path: "/v1/ledger/position", body: [])
        guard response.status == 200 else {
            throw UploaderError(.unexpectedAnswer, "position: the service answered \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
        let position = try JSONDecoder().decode(PositionResponse.self, from: Data(response.body))
        if let wire = position.receipt {
            let receipt = try wire.receipt()
            let ours = try await ledger.latestReceiptSequence() ?? 0
            if receipt.sequence > ours {
                // A batch the service stored while its answer was lost: take its receipt now.
                try await ledger.storeReceipt(receipt, servicePublicKey: configuration.servicePublicKey)
            }
        }
        let head = try await ledger.headSequence()
        if position.sequence > head {
            throw UploaderError(.serviceAhead, "the service holds entry \(position.sequence) but this ledger ends at \(head)")
        }
        await onEvent(.positionSynchronized(resumeSequence: position.resumeSequence))
        return position.resumeSequence
    }

    private func fetchBundles(_ state: inout State) async throws {
        guard let acceptance = configuration.bundleAcceptance else { return }
        for kind in BundleKind.allCases {
            var headers: [(String, String)] = []
            if let etag = state.etags[kind] { headers.append(("If-None-Match", etag)) }
            let response = try await send(method: .GET, path: "/v1/bundles/\(kind)", body: [], extraHeaders: headers, signed: false)
            guard response.status == 200 else { continue }  // 304 unchanged, 404 none yet
            if let etag = response.headers.first(name: "ETag") { state.etags[kind] = etag }
            switch acceptance.evaluate(response.body, kind: kind, installedVersion: state.installed[kind], now: environment.now()) {
            case .accept(let verified):
                try await onBundle(verified)
                state.installed[kind] = verified.header.version
                await onEvent(.bundleInstalled(kind: kind, version: verified.header.version))
            case .refuse(let refusal):
                if case .notNewer = refusal { continue }
                logger.error("bundle refused", metadata: ["kind": "\(kind)", "reason": "\(refusal)"])
                await onEvent(.bundleRefused(kind: kind, reason: refusal.name))
            }
        }
    }

    struct Reply {
        var status: UInt
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    private func send(
        method: HTTPMethod, path: String, body: [UInt8], extraHeaders: [(String, String)] = [], signed: Bool = true
    ) async throws -> Reply {
        try await execute(try makeRequest(method: method, path: path, body: body, extraHeaders: extraHeaders, signed: signed))
    }

    /// The request, signed (a fresh timestamp and nonce) unless `signed` is false.
    private func makeRequest(
        method: HTTPMethod, path: String, body: [UInt8], extraHeaders: [(String, String)] = [], signed: Bool = true
    ) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: configuration.serviceURL + path)
        request.method = method
        if signed {
            let parts = SignedRequest(
                method: method.rawValue, path: path, deviceID: ledger.deviceID, keyID: configuration.certificate.keyID,
                timestamp: environment.now(), nonce: nonce(), body: body)
            for (name, value) in try parts.headers(certificate: configuration.certificate, deviceKey: configuration.deviceKey) {
                request.headers.add(name: name, value: value)
            }
        }
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        if !body.isEmpty {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    /// Sends `request` and reads the whole answer.
    private func execute(_ request: HTTPClientRequest) async throws -> Reply {
        let timeout = TimeAmount.nanoseconds(Int64(Backoff.seconds(configuration.requestTimeout) * 1e9))
        let response = try await client.execute(request, timeout: timeout, logger: logger)
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Reply(status: response.status.code, headers: response.headers, body: Array(bytes.readableBytesView))
    }

    private func nonce() -> String {
        struct Source: RandomNumberGenerator {
            let random: @Sendable () -> UInt64
            mutating func next() -> UInt64 { random() }
        }
        var source = Source(random: environment.random)
        return SignedRequest.makeNonce(using: &source)
    }
}

/// The uploader could not complete an attempt (it will try again).
public struct UploaderError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<UploaderError>

    /// What went wrong.
    public let code: Code
    /// What happened.
    public let reason: String
    /// The source file where the error was raised.
    public let file: String
    /// The source line where the error was raised.
    public let line: UInt

    /// Creates an error; the location is filled in for you.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == UploaderError {
    /// The service answered with a status or body the uploader cannot use.
    public static var unexpectedAnswer: Self { Self("unexpected-answer") }
    /// The service refused a batch with a conflict other than a gap (a chain conflict: a tamper alarm there).
    public static var batchRefused: Self { Self("batch-refused") }
    /// The receipt in the answer does not cover the batch sent.
    public static var receiptMismatch: Self { Self("receipt-mismatch") }
    /// The service asks for entries the ledger no longer holds (pruned under a receipt the service has lost).
    public static var ledgerPruned: Self { Self("ledger-pruned") }
    /// The service holds more of the chain than the ledger does.
    public static var serviceAhead: Self { Self("service-ahead") }
}

import Entitlements
import Foundation
import LedgerCore
import Logging
import PCSC
import ServiceLifecycle
import SmartCard
import Synchronization

/// A wall clock for taps and ledger entries; tests pass a fixed or stepping one.
public typealias TapClock = @Sendable () -> UnixTime

/// The validator daemon as a service: watches every configured reader at once and runs a tap
/// whenever a card enters one.
///
/// `run()` writes the start-up entry, then handles reader events until graceful shutdown
/// (SIGTERM): it stops taking new taps, lets taps in progress finish, then writes the shutdown
/// entry and a signed checkpoint. One tap at a time per reader; readers are independent.
public final class ValidatorService: Service, Sendable {
    /// Which readers to watch.
    public enum ReaderSelection: Hashable, Sendable {
        /// Every reader pcscd reports, including ones plugged in later.
        case all
        /// These readers by PC/SC name.
        case named(Set<String>)

        func contains(_ reader: String) -> Bool {
            switch self {
            case .all: true
            case .named(let names): names.contains(reader)
            }
        }
    }

    /// The tap pipeline (its rules change when the uploader installs a newer bundle).
    public let pipeline: TapPipeline
    private let tapper: any CardTapper
    private let readers: ReaderSelection
    private let tapTimeout: Duration
    private let metrics: ValidatorMetrics
    private let logger: Logger
    private let clock: TapClock
    private let emit: @Sendable (String) -> Void
    private let startUpDetail: String
    private let configurationDetail: String?
    private let monitor: ReaderMonitor
    private let idleFlushDelay: Duration
    private let busyReaders = Mutex<Set<String>>([])

    /// Creates the service; nothing starts before `run()`.
    ///
    /// `emit` receives one JSON line per tap (the daemon prints them to stdout).
    /// `startUpDetail` goes into the start-up entry (software version), `configurationDetail`
    /// (bundle versions) into a configuration entry after it.
    public init(
        pipeline: TapPipeline, tapper: any CardTapper, readers: ReaderSelection, tapTimeout: Duration = .seconds(2),
        metrics: ValidatorMetrics = ValidatorMetrics(), logger: Logger, clock: @escaping TapClock = { UnixTime(Date()) },
        emit: @escaping @Sendable (String) -> Void, startUpDetail: String, configurationDetail: String? = nil,
        monitor: ReaderMonitor = ReaderMonitor(), idleFlushDelay: Duration = .milliseconds(500)
    ) {
        self.pipeline = pipeline
        self.tapper = tapper
        self.readers = readers
        self.tapTimeout = tapTimeout
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.emit = emit
        self.startUpDetail = startUpDetail
        self.configurationDetail = configurationDetail
        self.monitor = monitor
        self.idleFlushDelay = idleFlushDelay
    }

    /// Watches the readers until graceful shutdown, then drains and closes the ledger.
    public func run() async throws {
        let ledger = pipeline.ledger
        try await ledger.append(.startUp(at: clock(), software: startUpDetail))
        if let configurationDetail {
            try await ledger.append(.configurationChanged(at: clock(), description: configurationDetail))
        }
        let open = await ledger.openTransactions()
        if !open.isEmpty {
            logger.notice(
                "card transactions pending from before: they resolve at each card's next tap",
                metadata: ["pending": "\(open.count)", "sequences": "\(open.map(\.sequence))"])
        }
        await refreshGauges()
        let head = await ledger.headSequence
        logger.info("validator started", metadata: ["readers": "\(readers)", "ledgerHead": "\(head)"])

        // A tap's charges and confirmation reach the disk with the next tap's fsync; on a quiet bus
        // there may be no next tap for hours, so an idle validator syncs them itself.
        let flusher = Task { await self.syncWhileIdle() }
        await withTaskGroup(of: Void.self) { group in
            for await event in monitor.cancelOnGracefulShutdown() {
                switch event {
                case .cardInserted(let reader, let atr) where readers.contains(reader):
                    let detected = ContinuousClock.now
                    let claimed = busyReaders.withLock { busy in busy.insert(reader).inserted }
                    guard claimed else {
                        logger.warning("a card arrived while the previous tap on this reader is still running", metadata: ["reader": "\(reader)"])
                        continue
                    }
                    group.addTask { await self.handleTap(reader: reader, atr: atr, detected: detected) }
                case .readerAdded(let reader) where readers.contains(reader):
                    logger.info("reader watched", metadata: ["reader": "\(reader)"])
                case .readerRemoved(let reader) where readers.contains(reader):
                    logger.warning("reader gone", metadata: ["reader": "\(reader)"])
                case .serviceUnavailable(let reason):
                    logger.error("PC/SC service unavailable; retrying", metadata: ["reason": "\(reason)"])
                case .serviceAvailable:
                    logger.info("PC/SC service available")
                default:
                    continue
                }
            }
            logger.info("shutting down: finishing taps in progress")
            await group.waitForAll()
        }
        flusher.cancel()
        await flusher.value
        monitor.stop()
        do {
            try await ledger.shutDown(at: clock())
            logger.info("ledger closed with a shutdown entry and a checkpoint")
        } catch {
            logger.error("could not write the shutdown entry", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// Every `idleFlushDelay`, when no tap is running and the ledger holds deferred entries (a
    /// tap's charges and confirmation, declines), puts them on disk (docs/validator.md,
    /// "Durability"), so a power loss on an idle bus loses nothing. Ends when cancelled.
    private func syncWhileIdle() async {
        let ledger = pipeline.ledger
        while !Task.isCancelled {
            try? await Task.sleep(for: idleFlushDelay)
            guard !Task.isCancelled, busyReaders.withLock({ $0.isEmpty }) else { continue }
            guard await ledger.durableSequence < ledger.headSequence else { continue }
            do {
                try await ledger.makeDurable()
            } catch {
                logger.error("could not sync the ledger while idle", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One tap on `reader`, bounded by the tap timeout.
    ///
    /// A card that stops answering must not hang the validator: after the timeout the passenger
    /// is told to tap again and the tap is told to stop before its commit (it cannot be
    /// interrupted inside a PC/SC call, so it is left to end on its own; the reader stays busy
    /// until it does, while the other readers go on).
    private func handleTap(reader: String, atr: [UInt8], detected: ContinuousClock.Instant) async {
        let stop = StopFlag()
        let now = clock()
        let pipeline = self.pipeline
        let tapper = self.tapper
        let race = TapRace()
        let work = Task {
            let result: TapResult
            if !CardIdentity(atr: atr).looksLikeDESFire {
                result = await pipeline.declineUnread(
                    reader: reader, error: ValidatorError(.notDESFire, "ATR \(atr.map { String(format: "%02X", $0) }.joined())"), now: now)
            } else {
                do {
                    result = try await PCSCClient().withCard(reader: reader) { channel in
                        await tapper.tap(channel: channel, atr: atr, reader: reader, pipeline: pipeline, now: now, shouldStop: { stop.isSet })
                    }
                } catch {
                    // After a timeout the tap is already recorded as timed out.
                    result =
                        stop.isSet
                        ? TapResult(time: now, reader: reader, verdict: .declined, reason: "\(error)", message: .tapAgain)
                        : await pipeline.declineUnread(reader: reader, error: error, now: now)
                }
            }
            race.finish(result)
            return result
        }
        let timer = Task {
            try? await Task.sleep(for: tapTimeout)
            race.finish(nil)
        }
        let first = await race.outcome()
        timer.cancel()
        let result: TapResult
        if let first {
            result = first
        } else {
            stop.set()
            result = await pipeline.declineUnread(
                reader: reader, error: ValidatorError(.timeout, "the card did not finish within \(tapTimeout)"), now: now)
        }
        let latency = detected.duration(to: .now)
        report(result, latency: latency)
        if first == nil {
            let late = await work.value
            logger.warning(
                "a timed-out tap ended", metadata: ["reader": "\(reader)", "decision": "\(late.verdict.rawValue)", "reason": "\(late.reason)"])
        }
        _ = busyReaders.withLock { $0.remove(reader) }
        await refreshGauges()
    }

    private func report(_ result: TapResult, latency: Duration) {
        let seconds = Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18
        metrics.record(result, latency: latency)
        emit(TapReport.jsonLine(result, latencyMilliseconds: seconds * 1000))
        logger.info(
            "tap",
            metadata: [
                "reader": "\(result.reader)", "decision": "\(result.verdict.rawValue)", "reason": "\(result.reason)",
                "apdus": "\(result.apduCount)", "ledger": "\(result.ledgerSequence.map(String.init) ?? "-")",
            ])
    }

    private func refreshGauges() async {
        let ledger = pipeline.ledger
        metrics.setLedger(
            backlog: await ledger.backlog(), inService: await ledger.isInService, pending: await ledger.openTransactions().count)
    }
}

/// Set once when a tap runs out of time.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}

/// The first of "the tap finished" and "the time ran out".
final class TapRace: Sendable {
    private let state = Mutex<(done: Bool, value: TapResult?, waiter: CheckedContinuation<TapResult?, Never>?)>((false, nil, nil))

    func finish(_ value: TapResult?) {
        let waiter: CheckedContinuation<TapResult?, Never>? = state.withLock { state in
            guard !state.done else { return nil }
            state.done = true
            state.value = value
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }

    func outcome() async -> TapResult? {
        await withCheckedContinuation { continuation in
            let ready: (Bool, TapResult?) = state.withLock { state in
                if state.done { return (true, state.value) }
                state.waiter = continuation
                return (false, nil)
            }
            if ready.0 { continuation.resume(returning: ready.1) }
        }
    }
}

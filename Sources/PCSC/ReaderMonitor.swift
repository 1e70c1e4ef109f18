import SmartCard
import Synchronization

/// Something that happened to the readers or the cards in them.
public enum ReaderEvent: Hashable, Sendable {
    /// The monitor reached the PC/SC service (at start, and again after losing it).
    case serviceAvailable
    /// The PC/SC service went away or cannot be reached; the monitor keeps retrying. Every
    /// reader known before was reported removed just before this event.
    case serviceUnavailable(reason: String)
    /// A reader appeared (reported for every reader present when the monitor starts).
    case readerAdded(String)
    /// A reader disappeared (unplugged, or the service stopped). A card it held is reported
    /// removed first.
    case readerRemoved(String)
    /// A card entered the reader's field and answered with this ATR (reported for cards already
    /// present when the monitor starts).
    case cardInserted(reader: String, atr: [UInt8])
    /// The card left the reader's field.
    case cardRemoved(reader: String)
}

/// Reader and card events from pcscd, as an `AsyncSequence` that survives pcscd restarts.
///
/// Each iteration watches on a thread of its own, blocked in `SCardGetStatusChange` over every
/// reader plus the `\\?PnP?\Notification` pseudo-reader (so readers appearing and disappearing
/// are seen). Ending the iteration — cancelling the task that iterates, dropping the iterator,
/// or calling ``stop()`` — interrupts the wait with `SCardCancel` and ends the thread.
///
/// When the service is lost, the monitor reports the readers removed and
/// ``ReaderEvent/serviceUnavailable(reason:)``, then re-establishes its context with
/// exponential backoff (never a busy loop), and reports ``ReaderEvent/serviceAvailable`` and
/// the readers again once pcscd is back.
public final class ReaderMonitor: AsyncSequence, Sendable {
    public typealias Element = ReaderEvent
    public typealias Failure = Never
    public typealias AsyncIterator = AsyncStream<ReaderEvent>.Iterator

    private let firstRetryDelay: Duration
    private let maximumRetryDelay: Duration
    private let backstop: Duration
    private let watches = Mutex<(running: [Int: CancellableWait], next: Int, stopped: Bool, waiters: [CheckedContinuation<Void, Never>])>(
        ([:], 0, false, [])
    )

    /// A monitor that retries a lost service after `firstRetryDelay`, doubling up to
    /// `maximumRetryDelay`.
    public convenience init(firstRetryDelay: Duration = .milliseconds(100), maximumRetryDelay: Duration = .seconds(2)) {
        self.init(firstRetryDelay: firstRetryDelay, maximumRetryDelay: maximumRetryDelay, backstop: CancellableWait.slice)
    }

    /// `backstop` bounds each single wait, only so that a cancel racing the start of a wait is
    /// not lost for good; tests make it long to show that `SCardCancel` does the work.
    init(firstRetryDelay: Duration, maximumRetryDelay: Duration, backstop: Duration) {
        self.firstRetryDelay = Swift.max(firstRetryDelay, .milliseconds(1))
        self.maximumRetryDelay = Swift.max(maximumRetryDelay, self.firstRetryDelay)
        self.backstop = backstop
    }

    /// Starts watching on a new thread; events arrive through the returned iterator.
    public func makeAsyncIterator() -> AsyncStream<ReaderEvent>.Iterator {
        let wait = CancellableWait()
        let (stream, continuation) = AsyncStream.makeStream(of: ReaderEvent.self, bufferingPolicy: .unbounded)
        let started: Int? = watches.withLock { state in
            guard !state.stopped else { return nil }
            defer { state.next += 1 }
            state.running[state.next] = wait
            return state.next
        }
        guard let id = started else {
            continuation.finish()
            return stream.makeAsyncIterator()
        }
        continuation.onTermination = { _ in wait.cancel() }
        let watcher = ReaderWatcher(
            wait: wait, continuation: continuation,
            firstRetryDelay: firstRetryDelay, maximumRetryDelay: maximumRetryDelay, backstop: backstop
        )
        DedicatedThread.start(name: "pcsc-monitor") { [self] in
            watcher.run()
            continuation.finish()
            self.watchEnded(id)
        }
        return stream.makeAsyncIterator()
    }

    /// Stops every iteration now and for good: their waits are cancelled, their sequences end.
    public func stop() {
        let waits = watches.withLock { state in
            state.stopped = true
            return Array(state.running.values)
        }
        waits.forEach { $0.cancel() }
        resumeWaitersIfIdle()
    }

    /// How many watching threads are still running.
    public var runningWatchers: Int { watches.withLock { $0.running.count } }

    /// How many watching threads are blocked waiting for a change right now.
    var blockedWatchers: Int { watches.withLock { $0.running.values.filter(\.isWaiting).count } }

    /// Returns once no watching thread is running (at once if none is).
    public func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = watches.withLock { state in
                if state.running.isEmpty { return true }
                state.waiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    private func watchEnded(_ id: Int) {
        watches.withLock { _ = $0.running.removeValue(forKey: id) }
        resumeWaitersIfIdle()
    }

    private func resumeWaitersIfIdle() {
        let waiters = watches.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard state.running.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }
}

/// The blocking loop behind one iteration of a ``ReaderMonitor``. Runs on its own thread.
private struct ReaderWatcher: Sendable {
    let wait: CancellableWait
    let continuation: AsyncStream<ReaderEvent>.Continuation
    let firstRetryDelay: Duration
    let maximumRetryDelay: Duration
    let backstop: Duration

    /// The last state reported for a reader (SCARD_STATE bits with the event count on top).
    private struct Known {
        var cardPresent: Bool
        var state: UInt
    }

    private enum WatchEnd {
        case cancelled
        case serviceLost(String, healthy: Bool)
    }

    func run() {
        var known: [String: Known] = [:]
        var serviceUp: Bool?
        var retryDelay = firstRetryDelay
        while !wait.isCancelled {
            let (code, context) = PCSCCalls.establishContextCode()
            guard code == .success else {
                if serviceUp != false {
                    reportAllRemoved(&known)
                    continuation.yield(.serviceUnavailable(reason: "SCardEstablishContext: \(code.name)"))
                    serviceUp = false
                }
                if backOff(&retryDelay) { return }
                continue
            }
            wait.publish(context: context)
            continuation.yield(.serviceAvailable)
            serviceUp = true
            let end = watch(context: context, known: &known)
            wait.publish(context: nil)
            PCSCCalls.releaseContext(context)
            switch end {
            case .cancelled:
                return
            case .serviceLost(let reason, let healthy):
                reportAllRemoved(&known)
                continuation.yield(.serviceUnavailable(reason: reason))
                serviceUp = false
                if healthy { retryDelay = firstRetryDelay }
                if backOff(&retryDelay) { return }
            }
        }
    }

    /// Sleeps the current retry delay (cut short by cancellation) and doubles it. Returns true
    /// if cancelled.
    private func backOff(_ delay: inout Duration) -> Bool {
        let cancelled = wait.wakeup.wait(for: delay)
        delay = min(delay * 2, maximumRetryDelay)
        return cancelled || wait.isCancelled
    }

    private func reportAllRemoved(_ known: inout [String: Known]) {
        for name in known.keys.sorted() {
            if known[name]!.cardPresent { continuation.yield(.cardRemoved(reader: name)) }
            continuation.yield(.readerRemoved(name))
        }
        known.removeAll()
    }

    private func watch(context: Int, known: inout [String: Known]) -> WatchEnd {
        var queries: [PCSCCalls.ReaderStateQuery] = []
        var relist = true
        var healthy = false
        var pauseDelay = firstRetryDelay
        while !wait.isCancelled {
            if relist {
                let (code, names) = PCSCCalls.listReadersCode(context)
                if code.isServiceLoss { return .serviceLost("SCardListReaders: \(code.name)", healthy: healthy) }
                guard code == .success else {
                    if backOff(&pauseDelay) { return .cancelled }
                    continue
                }
                let current = Set(names)
                for name in known.keys.sorted() where !current.contains(name) {
                    if known[name]!.cardPresent { continuation.yield(.cardRemoved(reader: name)) }
                    continuation.yield(.readerRemoved(name))
                    known.removeValue(forKey: name)
                }
                queries = [PCSCCalls.ReaderStateQuery(reader: PCSCCalls.plugAndPlayReader, currentState: UInt(names.count) << 16)]
                for name in names {
                    queries.append(PCSCCalls.ReaderStateQuery(reader: name, currentState: known[name]?.state ?? ReaderStateBits.unaware))
                }
                relist = false
            }
            let code = wait.waiting { PCSCCalls.getStatusChange(context, &queries, timeout: backstop) }
            switch code {
            case .success:
                healthy = true
                pauseDelay = firstRetryDelay
                if queries[0].eventState & ReaderStateBits.changed != 0 { relist = true }
                queries[0].currentState = queries[0].eventState & ~ReaderStateBits.changed
                for index in queries.indices.dropFirst() {
                    if update(&queries[index], known: &known) { relist = true }
                }
            case .timeout, .cancelled:
                continue
            case .unknownReader, .readerUnavailable:
                relist = true
            case let code where code.isServiceLoss:
                return .serviceLost("SCardGetStatusChange: \(code.name)", healthy: healthy)
            default:
                // Unexpected, but not a lost service: pause before trying again, never spin.
                if backOff(&pauseDelay) { return .cancelled }
                relist = true
            }
        }
        return .cancelled
    }

    /// Reports what changed on one reader. Returns true if the reader has gone (relist).
    private func update(_ query: inout PCSCCalls.ReaderStateQuery, known: inout [String: Known]) -> Bool {
        let state = query.eventState
        let isFirstLook = known[query.reader] == nil
        guard state & ReaderStateBits.changed != 0 || isFirstLook else { return false }
        if state & ReaderStateBits.unknown != 0 { return true }
        query.currentState = state & ~ReaderStateBits.changed
        // A mute card (in the field, no ATR yet) is not reported until it answers.
        let present = state & ReaderStateBits.present != 0 && state & ReaderStateBits.mute == 0
        let name = query.reader
        guard let previous = known[name] else {
            continuation.yield(.readerAdded(name))
            if present { continuation.yield(.cardInserted(reader: name, atr: query.atr)) }
            known[name] = Known(cardPresent: present, state: query.currentState)
            return false
        }
        let swapped = previous.cardPresent && present && (previous.state >> 16) != (state >> 16)
        if previous.cardPresent && (!present || swapped) { continuation.yield(.cardRemoved(reader: name)) }
        if present && (!previous.cardPresent || swapped) { continuation.yield(.cardInserted(reader: name, atr: query.atr)) }
        known[name] = Known(cardPresent: present, state: query.currentState)
        return false
    }
}

internal import CPCSCLite
import SmartCard

/// The way into PC/SC: list readers, read their state, wait for cards, talk to a card, watch
/// readers.
///
/// Stateless: every operation opens its own PC/SC context and closes it when done, so a pcscd
/// restart between two calls costs nothing and nothing leaks. The few synchronous calls
/// (``readers()``, ``status(of:)``) are one short request to the local pcscd; everything that
/// can wait on a card runs on a thread of its own, never on Swift's cooperative pool.
public struct PCSCClient: Sendable {
    /// A client for the local PC/SC service.
    public init() {}

    /// The names of the readers the service knows, in its order; empty when it has none.
    /// Throws ``ReaderError`` (`service-unavailable`) when pcscd is not running.
    public func readers() throws -> [String] {
        let context = try PCSCCalls.establishContext()
        defer { PCSCCalls.releaseContext(context) }
        return try PCSCCalls.listReaders(context)
    }

    /// The reader's current state, without connecting to the card.
    public func status(of reader: String) throws -> ReaderStatus {
        let context = try PCSCCalls.establishContext()
        defer { PCSCCalls.releaseContext(context) }
        var queries = [PCSCCalls.ReaderStateQuery(reader: reader, currentState: ReaderStateBits.unaware)]
        let code = PCSCCalls.getStatusChange(context, &queries, timeout: .zero)
        return try Self.status(from: queries[0], code: code)
    }

    /// Waits until a card is in (`present: true`) or out of the reader's field, and returns the
    /// reader's state then. Returns at once if it already is.
    ///
    /// Throws ``ReaderError`` `timeout` if that does not happen within `timeout`, `cancelled`
    /// if the task is cancelled (the wait is interrupted with `SCardCancel`), and
    /// `unknown-reader` if the reader does not exist.
    public func waitForCard(in reader: String, present: Bool = true, timeout: Duration) async throws -> ReaderStatus {
        let wait = CancellableWait()
        return try await withTaskCancellationHandler {
            try await runOnOwnThread(name: "pcsc-wait") {
                try Self.blockingWait(reader: reader, present: present, timeout: timeout, wait: wait)
            }
        } onCancel: {
            wait.cancel()
        }
    }

    /// Connects to the card in `reader` (shared access), runs `body` with a channel to it, and
    /// disconnects with `disposition` however `body` ends.
    ///
    /// Throws ``CardError`` `removed` when no card is in the field, ``ReaderError`` when the
    /// reader or service is unavailable, and whatever `body` throws.
    @discardableResult
    public func withCard<Result>(
        reader: String,
        protocols: CardProtocols = .any,
        disposition: CardDisposition = .leave,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PCSCCardChannel) async throws -> Result
    ) async throws -> Result {
        let worker = SerialWorker(name: "pcsc-card")
        defer { worker.close() }
        let connection = try await worker.run {
            let connection = try CardConnection.connect(reader: reader, protocols: protocols)
            do {
                return (connection, try connection.status(reader: reader).atr)
            } catch {
                connection.disconnect(.leave)
                throw error
            }
        }
        let channel = PCSCCardChannel(
            reader: reader, activeProtocol: connection.0.cardProtocol, atr: connection.1,
            worker: worker, connection: connection.0
        )
        let result: Result
        do {
            result = try await body(channel)
        } catch {
            _ = try? await worker.run { connection.0.disconnect(disposition) }
            throw error
        }
        _ = try? await worker.run { connection.0.disconnect(disposition) }
        return result
    }

    /// Sends a reader escape (`SCardControl`) without a card, over a direct connection.
    public func controlReader(_ reader: String, code: UInt32, data: [UInt8] = []) async throws -> [UInt8] {
        try await runOnOwnThread(name: "pcsc-control") {
            let connection = try CardConnection.connect(reader: reader, protocols: [], share: SCARD_SHARE_DIRECT)
            defer { connection.disconnect(.leave) }
            return try connection.control(code: code, data: data)
        }
    }

    /// The control code for a reader-specific function number (pcsc-lite's `SCARD_CTL_CODE`).
    public static func controlCode(_ function: UInt32) -> UInt32 { 0x4200_0000 + function }

    /// `CM_IOCTL_GET_FEATURE_REQUEST`: asks a reader which PC/SC part 10 features it has.
    public static let getFeatureRequest = controlCode(3400)

    /// Reader and card events as an `AsyncSequence` that keeps going across pcscd restarts.
    public func monitor() -> ReaderMonitor { ReaderMonitor() }

    // MARK: Internals

    static func status(from query: PCSCCalls.ReaderStateQuery, code: PCSCReturnCode) throws -> ReaderStatus {
        guard code == .success || code == .timeout else {
            throw code.error(during: "SCardGetStatusChange(\(query.reader))")
        }
        if query.eventState & ReaderStateBits.unknown != 0 {
            throw ReaderError(.unknownReader, "no reader named \(query.reader)")
        }
        return ReaderStatus(reader: query.reader, eventState: query.eventState, atr: query.atr)
    }

    private static func blockingWait(reader: String, present: Bool, timeout: Duration, wait: CancellableWait) throws -> ReaderStatus {
        let context = try PCSCCalls.establishContext()
        wait.publish(context: context)
        defer {
            wait.publish(context: nil)
            PCSCCalls.releaseContext(context)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var queries = [PCSCCalls.ReaderStateQuery(reader: reader, currentState: ReaderStateBits.unaware)]
        var code = PCSCCalls.getStatusChange(context, &queries, timeout: .zero)
        while true {
            if wait.isCancelled { throw ReaderError(.cancelled, "waiting for a card in \(reader) was cancelled") }
            let status = try Self.status(from: queries[0], code: code == .cancelled ? .success : code)
            if status.cardPresent == present && !(present && status.isMute) { return status }
            let left = clock.now.duration(to: deadline)
            guard left > .zero else {
                throw ReaderError(.timeout, "no card \(present ? "arrived in" : "left") \(reader) within \(timeout)")
            }
            queries[0].currentState = queries[0].eventState & ~ReaderStateBits.changed
            code = PCSCCalls.getStatusChange(context, &queries, timeout: min(left, CancellableWait.slice))
            if code == .timeout || code == .cancelled { queries[0].eventState = queries[0].currentState }
        }
    }
}

/// Runs a blocking job on a fresh thread and resumes with its result.
func runOnOwnThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DedicatedThread.start(name: name) {
            continuation.resume(with: Result { try body() })
        }
    }
}

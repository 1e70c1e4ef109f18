import Metrics
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// How the server treats connections, against floods of idle, slow and oversized requests
/// (docs/accounting.md, "Connections and floods").
///
/// Why these limits: every open connection costs the process a file descriptor, and a process
/// that runs out of them can accept nothing — not even `/health` — and cannot open its database
/// file. So the number of connections is held below the open-file limit, a connection that sends
/// nothing is closed after `idleTimeout`, and a request whose head and body do not arrive within
/// `requestReadTimeout` is closed however steadily it trickles.
public struct ConnectionLimits: Hashable, Sendable {
    /// At most this many connections are open at once; a new one beyond it takes the place of
    /// the longest-idle connection, or is closed at once when every connection is mid-request.
    public var maximumConnections: Int
    /// A connection with no request in progress is closed after this long; a request head must
    /// also arrive within it (the HTTP decoder hands nothing on before the head is complete).
    public var idleTimeout: Duration
    /// A request's head and whole body must arrive within this long after the head.
    public var requestReadTimeout: Duration
    /// On SIGTERM the server stops accepting and lets requests in progress finish for at most
    /// this long; then it cancels whatever is left, so a half-open connection cannot hold up
    /// a shutdown.
    public var shutdownGracePeriod: Duration

    /// Creates limits.
    public init(maximumConnections: Int, idleTimeout: Duration, requestReadTimeout: Duration, shutdownGracePeriod: Duration) {
        self.maximumConnections = max(1, maximumConnections)
        self.idleTimeout = idleTimeout
        self.requestReadTimeout = requestReadTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
    }

    /// 900 connections (below the common 1024 open-file limit), 30 s idle, 60 s to read a request
    /// (4 MiB at about 0.6 Mbit/s), 10 s to finish requests on shutdown.
    public static let standard = ConnectionLimits(
        maximumConnections: 900, idleTimeout: .seconds(30), requestReadTimeout: .seconds(60), shutdownGracePeriod: .seconds(10))

    /// The most connections a process with `openFileLimit` descriptors may hold while keeping
    /// `reserve` of them for its database, its log and the listening socket.
    public static func maximumConnections(openFileLimit: Int, reserve: Int = 64) -> Int {
        max(1, openFileLimit - reserve)
    }
}

/// Counts a server's connections and decides which to close when there are too many.
///
/// One guard serves one server; its `handler()` goes into every connection's pipeline. It
/// reads no clock of its own: the connections report their activity with the event loop's time.
public final class ConnectionGuard: Sendable {
    /// The limits it enforces.
    public let limits: ConnectionLimits

    /// What the guard has seen, for tests and operators.
    public struct Statistics: Hashable, Sendable {
        /// Connections open now.
        public var open = 0
        /// The most connections that were open at once.
        public var peak = 0
        /// Idle connections closed to make room for a new one.
        public var evicted = 0
        /// New connections closed at once because every open one was mid-request.
        public var refused = 0
        /// Connections closed because a request did not arrive within the read timeout.
        public var timedOut = 0
    }

    private struct Tracked {
        let channel: any Channel
        var busy: Bool
        var lastActive: NIODeadline
    }

    private struct State {
        var connections: [ObjectIdentifier: Tracked] = [:]
        var statistics = Statistics()
    }

    /// The counters on `/metrics`, once a server's metrics are attached.
    private struct Counters: Sendable {
        let evicted: Counter
        let refused: Counter
        let timedOut: Counter
    }

    private let state = Mutex(State())
    private let counters = Mutex<Counters?>(nil)

    /// Creates a guard for `limits`.
    public init(limits: ConnectionLimits = .standard) {
        self.limits = limits
    }

    /// Counts evictions, refusals and read timeouts from now on with `factory`'s counters
    /// (`hromada_connections_evicted_total`, `…_refused_total`, `…_timed_out_total`), so that a
    /// flood shows on `/metrics` and not only in a test's statistics.
    func countClosures(with factory: any MetricsFactory) {
        let made = Counters(
            evicted: Counter(label: "hromada_connections_evicted_total", factory: factory),
            refused: Counter(label: "hromada_connections_refused_total", factory: factory),
            timedOut: Counter(label: "hromada_connections_timed_out_total", factory: factory))
        counters.withLock { $0 = made }
    }

    /// The counts so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// The handler to put into each connection's pipeline (after the HTTP decoder).
    func handler() -> ConnectionGuardHandler {
        ConnectionGuardHandler(guard: self, readTimeout: TimeAmount(limits.requestReadTimeout))
    }

    /// Admits a new connection; returns the connection to close to stay within the limit
    /// (the longest-idle other one, or this one when every other is mid-request), if any.
    func admit(_ channel: any Channel, now: NIODeadline) -> (any Channel)? {
        state.withLock { state in
            let id = ObjectIdentifier(channel)
            state.connections[id] = Tracked(channel: channel, busy: false, lastActive: now)
            guard state.connections.count > limits.maximumConnections else {
                state.statistics.open = state.connections.count
                state.statistics.peak = max(state.statistics.peak, state.statistics.open)
                return nil
            }
            let idle = state.connections.filter { $0.key != id && !$0.value.busy }
            if let oldest = idle.min(by: { $0.value.lastActive < $1.value.lastActive }) {
                state.connections[oldest.key] = nil
                state.statistics.evicted += 1
                counters.withLock { $0?.evicted.increment() }
                state.statistics.open = state.connections.count
                state.statistics.peak = max(state.statistics.peak, state.statistics.open)
                return oldest.value.channel
            }
            state.connections[id] = nil
            state.statistics.refused += 1
            counters.withLock { $0?.refused.increment() }
            return channel
        }
    }

    /// Forgets a closed connection.
    func release(_ channel: any Channel) {
        state.withLock { state in
            if state.connections.removeValue(forKey: ObjectIdentifier(channel)) != nil {
                state.statistics.open = state.connections.count
            }
        }
    }

    /// Records whether a connection has a request in progress (a busy one is never evicted).
    func mark(_ channel: any Channel, busy: Bool, now: NIODeadline) {
        state.withLock { state in
            let id = ObjectIdentifier(channel)
            guard state.connections[id] != nil else { return }
            state.connections[id]?.busy = busy
            state.connections[id]?.lastActive = now
        }
    }

    /// Counts a connection closed by the read timeout.
    func countTimedOut() {
        state.withLock { $0.statistics.timedOut += 1 }
        counters.withLock { $0?.timedOut.increment() }
    }
}

/// One connection's part of the guard: admission, the request read deadline, and closing a
/// connection whose response went out before its request was read to the end.
///
/// Why close rather than read the rest: Hummingbird otherwise drains an unread request body
/// before the next request, so a refused 1 GiB upload would still be read to its end. A
/// response written while the request is still arriving (a 413, a 401 before the body) is
/// sent with `Connection: close`, and the connection is closed once it is out.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let connectionGuard: ConnectionGuard
    private let readTimeout: TimeAmount
    private var admitted = false
    /// The guard turned this connection away; it is closed as soon as it can be.
    private var refused = false
    /// A request head has arrived and its end has not.
    private var readingRequest = false
    /// The response being written answers a request that was not read to its end.
    private var closeAfterResponse = false
    private var readDeadline: Scheduled<Void>?
    /// The response is out and the connection half closed: what still arrives is discarded.
    private var lingering = false
    private var discardedBytes = 0

    /// How long, and for how many bytes, a connection closed after an early response goes on
    /// discarding what the client still sends. Why at all: closing a socket with unread input
    /// makes the kernel send a reset, which can destroy the response (the 413) before the
    /// client reads it; a short, bounded linger lets the client see it and stop.
    ///
    /// The byte bound must exceed what the socket buffers already hold when the response goes
    /// out — a client streaming a body before any answer fills both ends' buffers (Linux
    /// autotunes them to 4 MiB for sending and 6 MiB for receiving): with a 1 MiB bound a 413
    /// sent at the head was sometimes reset away before the client could read it.
    static let lingerTime = TimeAmount.seconds(2)
    static let lingerBytes = 16 << 20

    init(guard connectionGuard: ConnectionGuard, readTimeout: TimeAmount) {
        self.connectionGuard = connectionGuard
        self.readTimeout = readTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        admitted = true
        guard let victim = connectionGuard.admit(context.channel, now: .now()) else { return }
        if victim === context.channel {
            // Set up before it is active: closed in channelActive (or now, if it already is).
            refused = true
            if context.channel.isActive { context.close(promise: nil) }
        } else {
            victim.close(promise: nil)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        if refused {
            context.close(promise: nil)
            return
        }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        readDeadline?.cancel()
        readDeadline = nil
        if admitted { connectionGuard.release(context.channel) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        readDeadline?.cancel()
        readDeadline = nil
        connectionGuard.release(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }
        if lingering {
            if case .body(let buffer) = unwrapInboundIn(data) { discardedBytes += buffer.readableBytes }
            if discardedBytes > Self.lingerBytes { context.close(promise: nil) }
            return
        }
        switch unwrapInboundIn(data) {
        case .head:
            readingRequest = true
            connectionGuard.mark(context.channel, busy: true, now: .now())
            let channel = context.channel
            let connectionGuard = self.connectionGuard
            readDeadline?.cancel()
            readDeadline = context.eventLoop.scheduleTask(in: readTimeout) {
                connectionGuard.countTimedOut()
                channel.close(promise: nil)
            }
        case .body:
            break
        case .end:
            readingRequest = false
            readDeadline?.cancel()
            readDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where readingRequest && head.status.kind != .informational:
            closeAfterResponse = true
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where closeAfterResponse:
            readDeadline?.cancel()
            readDeadline = nil
            lingering = true
            let channel = context.channel
            let written = context.writeAndFlush(data)
            written.whenComplete { _ in
                channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
            }
            context.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
            if let promise { written.cascade(to: promise) }
        case .end:
            connectionGuard.mark(context.channel, busy: false, now: .now())
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }
}

@available(*, unavailable)
extension ConnectionGuardHandler: Sendable {}

extension TimeAmount {
    /// The same span in NIO's nanoseconds.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// Serves a Prometheus registry as `GET /metrics` on the loopback interface, as a `Service`.
///
/// Built on SwiftNIO, which the validator already links through AsyncHTTPClient, so the page
/// costs no new dependency on a bus computer. It binds to 127.0.0.1 by default, so nothing off
/// the bus computer can reach it. Each answer closes its connection (a scraper every few
/// seconds needs no keep-alive), and graceful shutdown closes the listener and any connection
/// still open: the page is read-only, so nothing is lost by cutting it short.
public final class MetricsServer: Service, Sendable {
    private let host: String
    private let port: Int
    private let registry: PrometheusCollectorRegistry
    private let group: any EventLoopGroup
    private let bound = BoundPort()

    /// A server for `registry` on `host`:`port` (port 0: any free port; see `boundPort`).
    public init(
        host: String = "127.0.0.1", port: Int, registry: PrometheusCollectorRegistry,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.host = host
        self.port = port
        self.registry = registry
        self.group = eventLoopGroup
    }

    /// A server for the validator's metrics on 127.0.0.1:`port`.
    public convenience init(port: Int, metrics: ValidatorMetrics) {
        self.init(port: port, registry: metrics.registry)
    }

    /// The port listened on, once listening (waits until then; throws if binding failed).
    public var boundPort: Int {
        get async throws { try await bound.value() }
    }

    /// Listens until graceful shutdown or cancellation.
    public func run() async throws {
        let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            let failure = ValidatorError(.invalidConfiguration, "metrics: cannot listen on \(host):\(port): \(error)")
            bound.set(.failure(failure))
            throw failure
        }
        bound.set(.success(server.channel.localAddress?.port ?? port))
        // Cancellation (graceful shutdown included) ends the accept loop and every open
        // connection's read loop; `executeThenClose` then closes the sockets.
        try await cancelWhenGracefulShutdown {
            try await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask { await self.serve(connection) }
                        }
                    } catch {
                        // The listener failed or was cancelled: stop accepting.
                    }
                }
            }
        }
    }

    /// Answers the one request of a connection, then closes it.
    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var request: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let head):
                    request = head
                case .body:
                    continue
                case .end:
                    guard let head = request else { return }
                    try await respond(to: head, with: outbound)
                    return
                }
            }
        }
    }

    private func respond(to request: HTTPRequestHead, with outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let status: HTTPResponseStatus
        let contentType: String
        var body = ByteBuffer()
        if request.method == .GET, path == "/metrics" {
            status = .ok
            contentType = "text/plain; version=0.0.4; charset=utf-8"
            body.writeBytes(registry.emitToBuffer())
        } else {
            status = .notFound
            contentType = "text/plain; charset=utf-8"
            body.writeString("not found\n")
        }
        let headers = HTTPHeaders([
            ("Content-Type", contentType), ("Content-Length", String(body.readableBytes)), ("Connection", "close"),
        ])
        try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(body)))
        try await outbound.write(.end(nil))
    }
}

/// The listening port, learnt once; waiters before that are resumed when it is.
private final class BoundPort: Sendable {
    private let state = Mutex<(result: Result<Int, ValidatorError>?, waiters: [CheckedContinuation<Result<Int, ValidatorError>, Never>])>(
        (nil, []))

    func set(_ result: Result<Int, ValidatorError>) {
        let waiters = state.withLock { state in
            guard state.result == nil else { return [CheckedContinuation<Result<Int, ValidatorError>, Never>]() }
            state.result = result
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    func value() async throws -> Int {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, ValidatorError>, Never>) in
            let known: Result<Int, ValidatorError>? = state.withLock { state in
                if let result = state.result { return result }
                state.waiters.append(continuation)
                return nil
            }
            if let known { continuation.resume(returning: known) }
        }
        return try result.get()
    }
}

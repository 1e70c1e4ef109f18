import Foundation
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.0 server on the loopback interface that answers `GET /metrics` with the
/// validator's Prometheus text, and 404 to anything else.
///
/// It runs on a thread of its own, one short request at a time (a scraper every few seconds);
/// it binds to 127.0.0.1 only, so nothing off the bus computer can reach it. A full HTTP stack
/// would bring a large dependency to a bus computer for one read-only page.
public final class MetricsServer: Service, Sendable {
    private let port: UInt16
    private let metrics: ValidatorMetrics
    private let state = Mutex<(descriptor: Int32, stopped: Bool, boundPort: UInt16?)>((-1, false, nil))

    /// A server for `metrics` on 127.0.0.1:`port` (0: any free port; see `boundPort`).
    public init(port: UInt16, metrics: ValidatorMetrics) {
        self.port = port
        self.metrics = metrics
    }

    /// The port listened on, once listening.
    public var boundPort: UInt16? { state.withLock { $0.boundPort } }

    /// Listens until graceful shutdown or cancellation.
    public func run() async throws {
        let descriptor = try listen()
        state.withLock { $0.descriptor = descriptor }
        let done = Mutex<CheckedContinuation<Void, Never>?>(nil)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    done.withLock { $0 = continuation }
                    let thread = Thread { [self] in
                        self.serve(descriptor)
                        done.withLock { $0?.resume(); $0 = nil }
                    }
                    thread.start()
                }
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Stops listening.
    public func stop() {
        state.withLock { $0.stopped = true }
    }

    private func listen() throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ValidatorError(.invalidConfiguration, "metrics: cannot create a socket") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(descriptor, 8) == 0 else {
            close(descriptor)
            throw ValidatorError(.invalidConfiguration, "metrics: cannot listen on 127.0.0.1:\(port) (errno \(errno))")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        state.withLock { $0.boundPort = UInt16(bigEndian: actual.sin_port) }
        return descriptor
    }

    private func serve(_ descriptor: Int32) {
        defer { close(descriptor) }
        while !state.withLock({ $0.stopped }) {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let client = accept(descriptor, nil, nil)
            guard client >= 0 else { continue }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while request.count < 8192, !request.containsHeaderEnd {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            request += buffer[0..<count]
        }
        let line = String(decoding: request.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let response: String
        if parts.count >= 2, parts[0] == "GET", parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?") {
            let body = metrics.prometheusText()
            response =
                "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
                + body
        } else {
            let body = "not found\n"
            response = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        }
        var bytes = Array(response.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeMutableBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { break }
            sent += count
        }
    }
}

extension [UInt8] {
    fileprivate var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        for index in 0...(count - 4) where self[index] == 0x0D && self[index + 1] == 0x0A && self[index + 2] == 0x0D && self[index + 3] == 0x0A {
            return true
        }
        return false
    }
}

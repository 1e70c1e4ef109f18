import HTTPTypes

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP connection to a live service on 127.0.0.1: for what an HTTP client will not do
/// (hold a socket idle, trickle a request, stream a body without end). Non-blocking and polled,
/// so waiting never blocks a thread of the test's executor.
final class RawConnection: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private var descriptor: Int32
    /// The bytes received so far.
    private(set) var received: [UInt8] = []
    /// The peer closed (end of stream or reset).
    private(set) var closedByPeer = false

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw Failure(description: "connect: errno \(code)")
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Sends what the kernel takes now; the count sent, or nil once the peer has closed.
    func sendSome(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return 0 }
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent >= 0 { return sent }
        if errno == EAGAIN || errno == EWOULDBLOCK { return 0 }
        closedByPeer = true
        return nil
    }

    /// Sends all of `bytes` (polling); false if the peer closed first.
    func send(_ bytes: [UInt8]) async throws -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard let sent = sendSome(bytes[offset...]) else { return false }
            offset += sent
            if sent == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }
        return true
    }

    /// Reads whatever has arrived; notes when the peer has closed.
    func poll() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !closedByPeer {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[0..<count]
            } else if count == 0 {
                closedByPeer = true
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return
            } else {
                closedByPeer = true
            }
        }
    }

    /// Waits until the peer closes or `timeout` passes; whether it closed.
    func waitForClose(timeout: Duration) async throws -> Bool {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            poll()
            if closedByPeer { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The response's status code, once a whole status line has arrived.
    var status: Int? {
        guard let line = String(decoding: received, as: UTF8.self).split(separator: "\r\n", maxSplits: 1).first else { return nil }
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1.") else { return nil }
        return Int(parts[1])
    }

    /// The response once complete: waits for the head and `Content-Length` bytes of body.
    func response(timeout: Duration) async throws -> (status: Int, headers: [String: String], body: [UInt8]) {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            poll()
            if let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self)
                var headers: [String: String] = [:]
                for line in head.split(separator: "\r\n").dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = headers["content-length"].flatMap(Int.init) ?? 0
                let body = Array(received[end.upperBound...])
                if body.count >= length, let status {
                    return (status, headers, Array(body.prefix(length)))
                }
            }
            if closedByPeer { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw Failure(description: "no complete response within \(timeout) (received \(received.count) bytes, closed: \(closedByPeer))")
    }

    /// The bytes of an HTTP/1.1 request with `Connection: close`.
    static func request(_ method: String, _ path: String, headers: HTTPFields = [:], body: [UInt8] = []) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for field in headers { text += "\(field.name.rawName): \(field.value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        return Array(text.utf8) + body
    }

    /// One request on a new connection, and its response.
    static func exchange(port: Int, _ request: [UInt8], timeout: Duration = .seconds(30)) async throws -> (status: Int, headers: [String: String], body: [UInt8]) {
        let connection = try RawConnection(port: port)
        defer { connection.close() }
        _ = try await connection.send(request)
        return try await connection.response(timeout: timeout)
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking test code on a thread of its own, off Swift's small cooperative pool.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

struct FakeVpcdFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A stand-in for vpcd: a TCP listener on 127.0.0.1 that a vpcd link connects to, driven by the
/// test. Written from the protocol description alone, independently of the link's own framing.
final class FakeVpcd: Sendable {
    let port: UInt16
    private let listener: Int32

    /// Listens on `port` (0: any free port).
    init(port: UInt16 = 0) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw FakeVpcdFailure("socket: \(errno)") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 4) == 0 else {
            close(listener)
            throw FakeVpcdFailure("bind/listen on \(port): errno \(errno)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    deinit { close(listener) }

    /// A port nothing listens on right now (bound once, then released).
    static func unusedPort() throws -> UInt16 {
        try FakeVpcd().port
    }

    /// Waits for the link to connect.
    func accept(timeout: Duration = .seconds(10)) throws -> Connection {
        guard waitReadable(listener, timeout: timeout) else { throw FakeVpcdFailure("no connection within \(timeout)") }
        let fd = Glibc.accept(listener, nil, nil)
        guard fd >= 0 else { throw FakeVpcdFailure("accept: errno \(errno)") }
        return Connection(fd: fd)
    }

    /// One accepted connection: the card in the fake reader's field.
    final class Connection: Sendable {
        private let fd: Int32
        init(fd: Int32) { self.fd = fd }
        deinit { close(fd) }

        /// Sends bytes exactly as given (no framing).
        func sendRaw(_ bytes: [UInt8]) throws {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == bytes.count else { throw FakeVpcdFailure("send: \(sent), errno \(errno)") }
        }

        /// Sends a frame the way vpcd does: the 2-byte length and the payload in two sends.
        func sendFrame(_ payload: [UInt8]) throws {
            try sendRaw([UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)])
            try sendRaw(payload)
        }

        /// Receives one frame's payload.
        func receiveFrame(timeout: Duration = .seconds(10)) throws -> [UInt8] {
            let header = try receiveExactly(2, timeout: timeout)
            let length = Int(header[0]) << 8 | Int(header[1])
            return try receiveExactly(length, timeout: timeout)
        }

        /// Sends a command APDU frame and returns the response frame.
        func exchange(_ command: [UInt8]) throws -> [UInt8] {
            try sendFrame(command)
            return try receiveFrame()
        }

        /// True when the link closed the connection (end of stream) within `timeout`; false
        /// if it is still open then. Throws if it sent data instead.
        func waitForClose(timeout: Duration = .seconds(10)) throws -> Bool {
            guard waitReadable(fd, timeout: timeout) else { return false }
            var byte: UInt8 = 0
            let count = recv(fd, &byte, 1, 0)
            if count == 0 || (count < 0 && errno == ECONNRESET) { return true }
            throw FakeVpcdFailure("expected the link to close, got \(count) byte(s)")
        }

        /// True if nothing arrives within `quiet` (used to check a message needs no reply).
        func staysSilent(for quiet: Duration) -> Bool {
            !waitReadable(fd, timeout: quiet)
        }

        /// Closes the connection: the reader ends the session.
        func hangUp() { shutdown(fd, Int32(SHUT_RDWR)) }

        private func receiveExactly(_ count: Int, timeout: Duration) throws -> [UInt8] {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: max(count, 1))
            while out.count < count {
                guard waitReadable(fd, timeout: timeout) else { throw FakeVpcdFailure("no data within \(timeout)") }
                let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count - out.count, 0) }
                guard got > 0 else { throw FakeVpcdFailure("connection closed after \(out.count) of \(count) bytes") }
                out += buffer.prefix(got)
            }
            return out
        }
    }
}

private func waitReadable(_ fd: Int32, timeout: Duration) -> Bool {
    var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let (seconds, attoseconds) = timeout.components
    let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    return poll(&descriptor, 1, milliseconds) > 0
}

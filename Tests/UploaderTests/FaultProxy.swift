#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A TCP proxy on 127.0.0.1 between the uploader and the service that injects faults.
///
/// Blocking sockets and one thread per direction: simple enough to trust, and a test pushes
/// at most a few hundred connections through it. Each accepted connection gets one fault,
/// chosen by `plan` from the connection's number.
final class FaultProxy: @unchecked Sendable {
    enum Fault: Sendable, Equatable {
        /// Forward both ways.
        case pass
        /// Reset the connection at once (the request never reaches the service).
        case refuse
        /// Wait, then forward.
        case delay(milliseconds: Int)
        /// Forward the request, then reset the client when the response starts: the service
        /// did the work, the client never hears of it.
        case cutResponse
        /// Forward, and send the client's first bytes a second time on another connection.
        case duplicate
    }

    private let listener: Int32
    let port: Int
    private let lock = NSLock()
    private var upstreamPort: Int
    private var stopped = false
    private var connections = 0
    private var faultsUsed: [String: Int] = [:]
    private let plan: @Sendable (Int) -> Fault

    init(upstreamPort: Int, plan: @escaping @Sendable (Int) -> Fault) throws {
        signal(SIGPIPE, SIG_IGN)
        self.upstreamPort = upstreamPort
        self.plan = plan
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        guard listener >= 0 else { throw ProxyError("socket failed") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = FaultProxy.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw ProxyError("bind/listen failed") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Points the proxy at a restarted service.
    func setUpstream(port: Int) {
        lock.lock()
        upstreamPort = port
        lock.unlock()
    }

    /// How many connections got each fault.
    var usage: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return faultsUsed
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            lock.lock()
            let done = stopped
            let number = connections
            connections += 1
            let upstream = upstreamPort
            lock.unlock()
            if client < 0 || done {
                if client >= 0 { close(client) }
                return
            }
            let fault = plan(number)
            lock.lock()
            faultsUsed["\(fault)", default: 0] += 1
            lock.unlock()
            let thread = Thread { [self] in serve(client: client, upstreamPort: upstream, fault: fault) }
            thread.start()
        }
    }

    private func connectUpstream(_ port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = FaultProxy.loopback(port: port)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if status != 0 {
            close(fd)
            return nil
        }
        return fd
    }

    private func reset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
    }

    private func serve(client: Int32, upstreamPort: Int, fault: Fault) {
        switch fault {
        case .refuse:
            reset(client)
            return
        case .delay(let milliseconds):
            usleep(useconds_t(milliseconds * 1000))
        default: break
        }
        guard let upstream = connectUpstream(upstreamPort) else {
            reset(client)
            return
        }
        let finished = DispatchGroup()
        finished.enter()
        let duplicate = fault == .duplicate
        let forward = Thread { [self] in
            pump(from: client, to: upstream, copyFirstChunkTo: duplicate ? upstreamPort : nil)
            finished.leave()
        }
        forward.start()
        if fault == .cutResponse {
            var buffer = [UInt8](repeating: 0, count: 1)
            _ = recv(upstream, &buffer, 1, 0)  // the service has answered: the work is done
            // Wake the forward pump (its recv returns 0) and reset the client below, once the
            // pump has let go of it: closing it here and again below closed a descriptor
            // number the process (NIO) may already have reused.
            shutdown(client, Int32(SHUT_RD))
            shutdown(upstream, Int32(SHUT_RDWR))
        } else {
            pump(from: upstream, to: client, copyFirstChunkTo: nil)
        }
        finished.wait()
        close(upstream)
        if fault == .cutResponse { reset(client) } else { close(client) }
    }

    private func pump(from source: Int32, to destination: Int32, copyFirstChunkTo duplicatePort: Int?) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var duplicated = duplicatePort == nil
        while true {
            let count = recv(source, &buffer, buffer.count, 0)
            if count <= 0 { break }
            if !duplicated, let duplicatePort {
                duplicated = true
                let chunk = Array(buffer[0..<count])
                Thread { [self] in
                    guard let copy = connectUpstream(duplicatePort) else { return }
                    _ = chunk.withUnsafeBytes { send(copy, $0.baseAddress, chunk.count, Int32(MSG_NOSIGNAL)) }
                    var sink = [UInt8](repeating: 0, count: 4096)
                    _ = recv(copy, &sink, sink.count, 0)
                    close(copy)
                }.start()
            }
            var offset = 0
            while offset < count {
                let sent = buffer[offset..<count].withUnsafeBytes { send(destination, $0.baseAddress, count - offset, Int32(MSG_NOSIGNAL)) }
                if sent <= 0 {
                    shutdown(source, Int32(SHUT_RDWR))
                    return
                }
                offset += sent
            }
        }
        shutdown(destination, Int32(SHUT_WR))
    }
}

struct ProxyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking TCP connection to vpcd with the latency fixes applied.
///
/// vpcd sends a frame's length and payload in two `send()` calls on a socket without
/// TCP_NODELAY. With Nagle's algorithm on vpcd's side and delayed ACKs on ours, the payload
/// waits for our ACK of the length (~40 ms per APDU). TCP_QUICKACK makes the kernel ACK at once,
/// but Linux clears it after use, so it is set again after every `recv()`. TCP_NODELAY on our
/// side sends each response as soon as it is written.
struct VpcdSocket: ~Copyable {
    let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// What `waitReadable` saw.
    enum Wake {
        case readable
        case stopped
        case timedOut
    }

    /// Outcome of a receive.
    enum Received {
        case bytes(Int)
        case closedByPeer
        case wouldBlock
    }

    /// Connects, retrying while nothing listens on the port, until `timeout` has passed.
    /// Returns nil when the stop signal fires first.
    static func establish(
        host: String, port: UInt16, timeout: Duration, stop: VpcdStopSignal?
    ) throws(VpcdLinkError) -> VpcdSocket? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var retryDelay = Duration.milliseconds(10)
        var lastError = VpcdLinkError(.connectionRefused, "nothing listens on \(host):\(port)")
        while true {
            if stop?.isStopped == true { return nil }
            let addresses = try resolve(host: host, port: port)
            for address in addresses {
                switch attempt(address: address, until: deadline, stop: stop) {
                case .connected(let fd):
                    let socket = VpcdSocket(descriptor: fd)
                    socket.applyLatencyOptions()
                    return socket
                case .stopped:
                    return nil
                case .failed(let error):
                    lastError = error
                }
            }
            let now = clock.now
            guard now < deadline else {
                throw VpcdLinkError(lastError.code, "\(lastError.reason) (gave up after \(timeout))")
            }
            let pause = min(retryDelay, deadline - now)
            if waitOnStop(stop, for: pause) { return nil }
            retryDelay = min(retryDelay * 2, .milliseconds(200))
        }
    }

    private struct ResolvedAddress {
        var family: Int32
        var storage: sockaddr_storage
        var length: socklen_t
    }

    private static func resolve(host: String, port: UInt16) throws(VpcdLinkError) -> [ResolvedAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if os(Linux)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            let why = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw VpcdLinkError(.unknownHost, "cannot resolve \(host): \(why)")
        }
        defer { freeaddrinfo(list) }
        var out: [ResolvedAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var storage = sockaddr_storage()
            let length = entry.pointee.ai_addrlen
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: entry.pointee.ai_addr, count: Int(length)))
            }
            out.append(ResolvedAddress(family: entry.pointee.ai_family, storage: storage, length: length))
            cursor = entry.pointee.ai_next
        }
        return out
    }

    private enum Attempt {
        case connected(Int32)
        case stopped
        case failed(VpcdLinkError)
    }

    private static func attempt(address: ResolvedAddress, until deadline: ContinuousClock.Instant, stop: VpcdStopSignal?) -> Attempt {
        #if os(Linux)
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(address.family, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return .failed(.socketFailure("socket()", errno)) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
        }
        if result == 0 { return .connected(fd) }
        let connectErrno = errno
        guard connectErrno == EINPROGRESS || connectErrno == EINTR else {
            close(fd)
            return .failed(.connectErrno(connectErrno))
        }
        while true {
            // Poll at least once even when the deadline has passed: a refusal from a local
            // port is already known and should be reported as such, not as a timeout.
            let remaining = max(ContinuousClock.now.duration(to: deadline), .zero)
            switch waitFor(fd, events: Int16(POLLOUT), stop: stop, timeout: remaining) {
            case .stopped:
                close(fd)
                return .stopped
            case .timedOut:
                guard ContinuousClock.now < deadline else {
                    close(fd)
                    return .failed(VpcdLinkError(.connectTimeout, "connect did not complete in time"))
                }
                continue
            case .readable:
                var socketError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
                if socketError == 0 { return .connected(fd) }
                close(fd)
                return .failed(.connectErrno(socketError))
            }
        }
    }

    /// Sleeps up to `duration`; returns true if the stop signal fired meanwhile.
    private static func waitOnStop(_ stop: VpcdStopSignal?, for duration: Duration) -> Bool {
        guard let stop else {
            var remaining = duration
            while remaining > .zero {
                let start = ContinuousClock.now
                _ = poll(nil, 0, milliseconds(remaining))
                remaining -= ContinuousClock.now - start
            }
            return false
        }
        var descriptor = pollfd(fd: stop.pollDescriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, milliseconds(duration))
        return stop.isStopped
    }

    private func applyLatencyOptions() {
        var on: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        rearmQuickACK()
    }

    /// Asks the kernel to ACK the next segment at once instead of delaying it.
    func rearmQuickACK() {
        #if os(Linux)
        var on: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_QUICKACK, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// Waits until the socket is readable, the stop signal fires, or `timeout` passes
    /// (nil: no timeout).
    func waitReadable(stop: VpcdStopSignal?, timeout: Duration?) -> Wake {
        Self.waitFor(descriptor, events: Int16(POLLIN), stop: stop, timeout: timeout)
    }

    private static func waitFor(_ fd: Int32, events: Int16, stop: VpcdStopSignal?, timeout: Duration?) -> Wake {
        var descriptors = [pollfd(fd: fd, events: events, revents: 0)]
        if let stop, stop.pollDescriptor >= 0 {
            descriptors.append(pollfd(fd: stop.pollDescriptor, events: Int16(POLLIN), revents: 0))
        }
        let timeoutMilliseconds = timeout.map(milliseconds) ?? -1
        let count = poll(&descriptors, nfds_t(descriptors.count), timeoutMilliseconds)
        if stop?.isStopped == true { return .stopped }
        if count > 0 && descriptors[0].revents != 0 { return .readable }
        // EINTR or a timeout: the caller re-checks its deadline and polls again.
        return .timedOut
    }

    /// Milliseconds for poll(), rounded up so a wait never ends before its deadline.
    private static func milliseconds(_ duration: Duration) -> Int32 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: millis)
    }

    /// Receives into `buffer`, re-arming TCP_QUICKACK afterwards.
    func receive(into buffer: inout [UInt8]) throws(VpcdLinkError) -> Received {
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        let receiveErrno = errno
        rearmQuickACK()
        if count > 0 { return .bytes(count) }
        if count == 0 { return .closedByPeer }
        switch receiveErrno {
        case EAGAIN, EWOULDBLOCK, EINTR: return .wouldBlock
        case ECONNRESET, ETIMEDOUT, EPIPE: return .closedByPeer
        default: throw .socketFailure("recv()", receiveErrno)
        }
    }

    /// Sends all of `bytes`; returns false if the reader closed the connection.
    func sendAll(_ bytes: [UInt8]) throws(VpcdLinkError) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let sendErrno = errno
            switch sendErrno {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                var descriptor = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&descriptor, 1, 1000)
            case EPIPE, ECONNRESET:
                return false
            default:
                throw .socketFailure("send()", sendErrno)
            }
        }
        return true
    }
}

extension VpcdLinkError {
    static func socketFailure(_ call: String, _ value: Int32) -> VpcdLinkError {
        VpcdLinkError(.socketFailure, "\(call) failed: \(String(cString: strerror(value))) (errno \(value))")
    }

    static func connectErrno(_ value: Int32) -> VpcdLinkError {
        switch value {
        case ECONNREFUSED:
            VpcdLinkError(.connectionRefused, "connection refused: is pcscd running with a vpcd reader on this port?")
        case ETIMEDOUT:
            VpcdLinkError(.connectTimeout, "connect timed out")
        default:
            .socketFailure("connect()", value)
        }
    }
}

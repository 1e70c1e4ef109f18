#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Stops a running vpcd session from another thread (a SIGTERM handler, a test's teardown).
///
/// Once fired it stays fired: every session watching it ends as ``VpcdSessionEnd/stopped(apdus:)``
/// and a session started later with it ends at once. It wakes a session blocked in `poll()`
/// through a pipe, so stopping takes effect immediately rather than at the next timeout.
public final class VpcdStopSignal: Sendable {
    private let fired = Atomic<Bool>(false)
    private let readEnd: Int32
    private let writeEnd: Int32

    /// Creates an unfired signal.
    public init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        if readEnd >= 0 { close(readEnd) }
        if writeEnd >= 0 { close(writeEnd) }
    }

    /// Fires the signal. Safe to call any number of times, from any thread.
    public func stop() {
        guard !fired.exchange(true, ordering: .sequentiallyConsistent) else { return }
        var byte: UInt8 = 1
        // The pipe is never read, so one byte keeps it readable for every poller from now on.
        _ = write(writeEnd, &byte, 1)
    }

    /// Whether ``stop()`` has been called.
    public var isStopped: Bool { fired.load(ordering: .sequentiallyConsistent) }

    /// The descriptor that becomes readable when the signal fires (-1 if the pipe failed, in
    /// which case sessions still see ``isStopped`` at their next wake-up).
    var pollDescriptor: Int32 { readEnd }
}

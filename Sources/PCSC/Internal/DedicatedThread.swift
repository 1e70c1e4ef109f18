#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SmartCard
import Synchronization

/// Starts an OS thread of its own for blocking PC/SC calls.
///
/// `SCardGetStatusChange` blocks for as long as nothing happens, and `SCardTransmit` for as long
/// as a card takes; neither may sit on Swift's cooperative pool, whose few threads every task in
/// the process shares.
enum DedicatedThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new detached thread. Traps if the system cannot create a thread (`name`
    /// says which, in the message).
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard status == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            fatalError("pthread_create failed for \(name): \(status)")
        }
        pthread_detach(thread)
    }
}

/// A wait that another thread can cut short: the monitor's backoff sleeps on it.
final class Wakeup: Sendable {
    private let state = Mutex(false)
    private let semaphore = Semaphore()

    /// Wakes the waiter now and makes every later wait return at once.
    func fire() {
        let first = state.withLock { fired in
            defer { fired = true }
            return !fired
        }
        if first { semaphore.signal() }
    }

    var hasFired: Bool { state.withLock { $0 } }

    /// Waits up to `duration`; returns true if fired.
    func wait(for duration: Duration) -> Bool {
        if hasFired { return true }
        if semaphore.wait(for: duration) {
            semaphore.signal()
            return true
        }
        return hasFired
    }
}

/// A counting semaphore with a timed wait (POSIX `sem_t`, heap-allocated so it never moves).
final class Semaphore: @unchecked Sendable {
    // sem_t is safe to use from any thread; the pointer never changes after init.
    private let handle: UnsafeMutablePointer<sem_t>

    init(value: UInt32 = 0) {
        handle = .allocate(capacity: 1)
        sem_init(handle, 0, value)
    }

    deinit {
        sem_destroy(handle)
        handle.deallocate()
    }

    func signal() { sem_post(handle) }

    func wait() {
        while sem_wait(handle) != 0 && errno == EINTR {}
    }

    /// Waits up to `duration`; returns false on timeout.
    func wait(for duration: Duration) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let (seconds, attoseconds) = max(duration, .zero).components
        let nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var deadline = timespec()
        deadline.tv_sec = now.tv_sec + Int(seconds) + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        while true {
            if sem_timedwait(handle, &deadline) == 0 { return true }
            if errno != EINTR { return false }
        }
    }
}

/// One thread that runs submitted jobs in order: a card session's PC/SC calls all happen on it,
/// so its context is only ever used from one thread.
final class SerialWorker: Sendable {
    private let jobs = Mutex<(queue: [@Sendable () -> Void], closed: Bool)>(([], false))
    private let available = Semaphore()

    init(name: String) {
        DedicatedThread.start(name: name) { [self] in self.loop() }
    }

    private func loop() {
        while true {
            available.wait()
            let next: (@Sendable () -> Void)? = jobs.withLock { state in
                state.queue.isEmpty ? nil : state.queue.removeFirst()
            }
            guard let next else { return }  // woken with nothing to do: closed
            next()
        }
    }

    /// Ends the thread once the jobs already submitted have run.
    func close() {
        let wasOpen = jobs.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        if wasOpen { available.signal() }
    }

    /// Runs `body` on the worker's thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = jobs.withLock { state in
                guard !state.closed else { return false }
                state.queue.append { continuation.resume(with: Result { try body() }) }
                return true
            }
            if accepted {
                available.signal()
            } else {
                continuation.resume(throwing: ReaderError(.internalFailure, "the card session has ended"))
            }
        }
    }
}

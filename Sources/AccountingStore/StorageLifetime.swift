import ServiceLifecycle
import Synchronization

/// The life of a storage, shared by `run()`, `close()` and the calls in between: closing ends
/// `run()`, `run()` ending closes the storage, and calls made before `run()` has started can
/// wait for it (`waitUntilRunning()`).
final class StorageLifetime: Sendable {
    private struct State {
        var closed = false
        var runClaimed = false
        var running = false
        var waitingForRun: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let closedStream: AsyncStream<Never>
    private let closedContinuation: AsyncStream<Never>.Continuation

    init() {
        (closedStream, closedContinuation) = AsyncStream.makeStream()
    }

    /// Whether the storage is closed.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Marks the storage closed, wakes `waitUntilClosed()` and every `waitUntilRunning()`. Idempotent.
    func close() {
        let waiting = state.withLock { state in
            state.closed = true
            defer { state.waitingForRun = [] }
            return state.waitingForRun
        }
        for waiter in waiting { waiter.resume() }
        closedContinuation.finish()
    }

    /// Claims the one `run()` a storage allows.
    func claimRun() throws {
        try state.withLock { state in
            guard !state.runClaimed else { throw StorageError(.alreadyRunning, "the storage is already running") }
            state.runClaimed = true
        }
    }

    /// Called by `run()` as the storage starts working; wakes `waitUntilRunning()`.
    func markRunning() {
        let waiting = state.withLock { state in
            state.running = true
            defer { state.waitingForRun = [] }
            return state.waitingForRun
        }
        for waiter in waiting { waiter.resume() }
    }

    /// Returns once `run()` has started or the storage is closed.
    func waitUntilRunning() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.running || state.closed { return true }
                state.waitingForRun.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Returns once the storage is closed, the task is cancelled, or graceful shutdown begins
    /// (which closes the storage).
    func waitUntilClosed() async {
        await withGracefulShutdownHandler {
            for await _ in closedStream {}
        } onGracefulShutdown: {
            self.close()
        }
    }
}

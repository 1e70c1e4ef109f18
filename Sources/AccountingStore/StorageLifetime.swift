import ServiceLifecycle
import Synchronization

/// The end of a storage's life, shared by `close()` and `run()`: closing ends `run()`, and
/// `run()` ending closes the storage.
final class StorageLifetime: Sendable {
    private struct State {
        var closed = false
        var running = false
    }

    private let state = Mutex(State())
    private let closedStream: AsyncStream<Never>
    private let closedContinuation: AsyncStream<Never>.Continuation

    init() {
        (closedStream, closedContinuation) = AsyncStream.makeStream()
    }

    /// Whether the storage is closed.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Marks the storage closed and wakes `waitUntilClosed()`. Idempotent.
    func close() {
        state.withLock { $0.closed = true }
        closedContinuation.finish()
    }

    /// Claims the one `run()` a storage allows.
    func beginRun() throws {
        try state.withLock { state in
            guard !state.running else { throw StorageError("the storage is already running") }
            state.running = true
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

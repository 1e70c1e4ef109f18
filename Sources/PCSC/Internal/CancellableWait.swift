import Synchronization

/// Lets another thread interrupt a thread blocked in `SCardGetStatusChange` on its context.
///
/// pcsc-lite only honours `SCardCancel` while the call is actually waiting; a cancel that lands
/// just before the wait starts is lost. So the flag is checked before every wait and waits are
/// sliced (``slice``) as a backstop: a lost cancel costs at most one slice, a delivered one
/// takes effect at once.
final class CancellableWait: Sendable {
    /// The longest single wait; only matters when a cancel races the start of a wait.
    static let slice = Duration.milliseconds(500)

    private let state = Mutex<(context: Int?, cancelled: Bool, waiting: Bool)>((nil, false, false))
    let wakeup = Wakeup()

    /// The context the waiting thread now uses (nil while it has none).
    func publish(context: Int?) {
        state.withLock { $0.context = context }
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Whether the owning thread is (about to be) blocked in a wait; tests use it to cancel
    /// only once the wait has begun.
    var isWaiting: Bool { state.withLock { $0.waiting } }

    /// Runs a blocking wait, marked as such for ``isWaiting``.
    func waiting<T>(_ body: () -> T) -> T {
        state.withLock { $0.waiting = true }
        defer { state.withLock { $0.waiting = false } }
        return body()
    }

    /// Interrupts the wait now and every later one. Callable from any thread, any number of times.
    func cancel() {
        let context: Int? = state.withLock { state in
            state.cancelled = true
            return state.context
        }
        if let context { PCSCCalls.cancel(context) }
        wakeup.fire()
    }
}

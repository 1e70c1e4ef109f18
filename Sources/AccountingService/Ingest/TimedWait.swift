import Synchronization

/// A suspension that someone else ends by resuming its continuation, or that ends by itself
/// after a timeout: how `InFlightBatches` and `CommitsUnderWay` wait for each other's batches.
enum TimedWait {
    /// Suspends until the continuation `register` stores is resumed, or `timeout` passes.
    ///
    /// `register` stores the continuation where the resumer will find it (under the caller's
    /// lock) and returns the number it is stored under; nil when there is nothing to wait for,
    /// and the call returns at once. After the timeout, `remove` takes the continuation back out
    /// if nobody has resumed it yet (the two cannot both resume it: each takes it out under the
    /// lock first).
    static func suspend(
        timeout: Duration, register: (CheckedContinuation<Void, Never>) -> UInt64?,
        remove: @escaping @Sendable (UInt64) -> CheckedContinuation<Void, Never>?
    ) async {
        let timer = Mutex<Task<Void, Never>?>(nil)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            guard let number = register(continuation) else {
                continuation.resume()
                return
            }
            // Started only once the continuation is stored, so a short timeout cannot fire first
            // and leave the waiter to wait for a resumption that may never come.
            timer.withLock {
                $0 = Task {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    remove(number)?.resume()
                }
            }
        }
        timer.withLock { $0?.cancel() }
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts `process` from a fresh thread whose signal mask is empty.
///
/// A child inherits the signal mask of the thread that spawns it, and Swift's cooperative
/// threads (libdispatch workers) block nearly every signal. A pcscd or `hromada-vcard` started
/// from a test task would then never see SIGTERM and could only be killed. Spawning from a
/// thread with nothing blocked gives the child the mask it would get from a shell.
func launchWithDefaultSignalMask(_ process: Process) throws {
    let outcome = LaunchOutcome()
    let thread = Thread {
        var nothing = sigset_t()
        sigemptyset(&nothing)
        pthread_sigmask(SIG_SETMASK, &nothing, nil)
        do {
            try process.run()
            outcome.finish(nil)
        } catch {
            outcome.finish(error)
        }
    }
    thread.start()
    try outcome.wait()
}

private final class LaunchOutcome: @unchecked Sendable {
    // Guarded by the condition's lock.
    private let condition = NSCondition()
    private var done = false
    private var error: (any Error)?

    func finish(_ error: (any Error)?) {
        condition.lock()
        self.error = error
        done = true
        condition.signal()
        condition.unlock()
    }

    func wait() throws {
        condition.lock()
        while !done { condition.wait() }
        let error = self.error
        condition.unlock()
        if let error { throw error }
    }
}

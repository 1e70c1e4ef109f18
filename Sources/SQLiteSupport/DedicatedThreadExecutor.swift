import CSQLite
import Foundation

/// A serial executor that runs its jobs, in the order they arrive, on a thread of its own.
///
/// For an actor that owns an SQLite connection (`unownedExecutor`). SQLite blocks the calling
/// thread for the whole of a call: a commit's inserts, its writes, its fsync. On Swift's shared
/// cooperative pool, which has one thread per core, such an actor takes a core's thread from
/// every other task while it writes, and each time it suspends (an `await`, a `Task.yield`) it
/// queues again behind whatever the pool has queued. A store whose writer is the bottleneck
/// then waits for decoding and HTTP work that could have run beside it. On a thread of its own
/// the actor neither waits for a pool thread nor takes one away; the kernel shares the cores.
///
/// The thread ends once the executor is released and its queue is empty (an actor keeps its
/// executor for its life, and every job of an actor keeps the actor).
public final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let queue = JobQueue()

    /// Starts the thread, named `name` (as `top` and `perf` show it).
    public init(name: String) {
        queue.executor = asUnownedSerialExecutor()
        let queue = self.queue
        let thread = Thread {
            // Named from inside, by the system call itself. Foundation's `Thread.name` names the
            // system thread only once the `Thread` knows its handle, which `start()` records after
            // the thread may already be running: a thread that started that fast kept the name of
            // the thread that made it (seen once in CI, on the test of this type).
            Self.nameCurrentThread(name)
            queue.runUntilStopped()
        }
        thread.start()
    }

    deinit { queue.stop() }

    /// Names the calling thread (Linux keeps the first 15 bytes).
    private static func nameCurrentThread(_ name: String) {
        #if os(Linux)
        _ = csqlite_name_current_thread(String(decoding: name.utf8.prefix(15), as: UTF8.self))
        #else
        Thread.current.name = name
        #endif
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        queue.append(UnownedJob(job))
    }
}

/// The jobs waiting for the executor's thread, behind a condition variable.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false
    /// Set once, before the thread starts; unowned, like every reference a job has to its executor.
    var executor: UnownedSerialExecutor?

    func append(_ job: UnownedJob) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// Runs the jobs as they come, all that are waiting at a time, oldest first; returns once
    /// stopped with none left.
    func runUntilStopped() {
        guard let executor else { return }
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            let waiting = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            if waiting.isEmpty { return }
            for job in waiting { job.runSynchronously(on: executor) }
        }
    }
}

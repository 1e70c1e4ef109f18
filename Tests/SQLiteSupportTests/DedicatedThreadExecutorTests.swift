import Foundation
import SQLiteSupport
import Testing

/// An actor on a `DedicatedThreadExecutor`, as `SQLiteStorage` is: it records where and in what
/// order its calls ran.
private actor ThreadRecorder {
    nonisolated let executor: DedicatedThreadExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private(set) var calls: [Int] = []
    private var inside = false

    init(threadName: String) { executor = DedicatedThreadExecutor(name: threadName) }

    /// Records `call`, and the name of the thread it ran on; fails if another call ran at the same time.
    func record(_ call: Int) -> (thread: String, overlapped: Bool) {
        let overlapped = inside
        inside = true
        defer { inside = false }
        calls.append(call)
        // Long enough for calls arriving together to pile up behind this one.
        usleep(200)
        return (currentThreadName(), overlapped)
    }
}

/// The name of the calling thread (Linux: /proc/thread-self/comm).
private func currentThreadName() -> String {
    ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The names of the process's threads now (Linux: /proc/self/task/*/comm).
private func threadNames() -> [String] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.compactMap { task in
        (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

@Suite("A serial executor with a thread of its own")
struct DedicatedThreadExecutorTests {
    @Test func everyCallRunsOneAtATimeOnTheExecutorsThread() async throws {
        let recorder = ThreadRecorder(threadName: "hc-test-exec-1")
        let results = await withTaskGroup(of: (thread: String, overlapped: Bool).self) { group in
            for call in 0..<200 { group.addTask { await recorder.record(call) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 200)
        #expect(Set(results.map(\.thread)) == ["hc-test-exec-1"])
        #expect(!results.contains { $0.overlapped })
        #expect(await recorder.calls.sorted() == Array(0..<200))
        // The caller's own thread is one of the pool's, not the executor's.
        #expect(currentThreadName() != "hc-test-exec-1")
    }

    @Test func callsAwaitedOneAfterAnotherRunInThatOrder() async throws {
        let recorder = ThreadRecorder(threadName: "hc-test-exec-2")
        for call in 0..<50 { _ = await recorder.record(call) }
        #expect(await recorder.calls == Array(0..<50))
    }

    @Test func theThreadEndsOnceTheExecutorIsReleased() async throws {
        var recorder: ThreadRecorder? = ThreadRecorder(threadName: "hc-test-exec-3")
        _ = await recorder?.record(1)
        #expect(threadNames().contains("hc-test-exec-3"))
        recorder = nil
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while threadNames().contains("hc-test-exec-3") && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!threadNames().contains("hc-test-exec-3"))
    }
}

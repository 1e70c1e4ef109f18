@testable import PCSC
import SmartCard
import Synchronization
import Testing
import TestBedSupport
import VirtualCard

@Suite("reader monitor")
struct ReaderMonitorTests {
    @Test func reportsReadersThenCardInsertionAndRemoval() async throws {
        try await TestBed.shared.withReader { reader in
            let monitor = ReaderMonitor()
            let (log, recording) = EventLog.recording(monitor)
            defer { recording.cancel() }
            let name = reader.name
            try await log.next("serviceAvailable") { $0 == .serviceAvailable }
            try await log.next("readerAdded(\(name))") { $0 == .readerAdded(name) }
            try await reader.withVirtualCard(EchoCard()) { _ in
                let inserted = try await log.next("cardInserted(\(name))") {
                    if case .cardInserted(name, _) = $0 { return true }
                    return false
                }
                #expect(inserted == .cardInserted(reader: name, atr: CardIdentity.desfireATR))
            }
            try await log.next("cardRemoved(\(name))") { $0 == .cardRemoved(reader: name) }
            // A second card in the same reader is a second insertion.
            try await reader.withVirtualCard(EchoCard()) { _ in
                try await log.next("second cardInserted(\(name))") {
                    if case .cardInserted(name, _) = $0 { return true }
                    return false
                }
            }
            try await log.next("second cardRemoved(\(name))") { $0 == .cardRemoved(reader: name) }
            recording.cancel()
            await monitor.waitUntilIdle()
            #expect(monitor.runningWatchers == 0)
        }
    }

    @Test func aCardAlreadyPresentIsReportedAtStart() async throws {
        try await TestBed.shared.withReader { reader in
            try await reader.withVirtualCard(EchoCard()) { _ in
                let monitor = ReaderMonitor()
                let (log, recording) = EventLog.recording(monitor)
                defer { recording.cancel() }
                let name = reader.name
                try await log.next("readerAdded(\(name))") { $0 == .readerAdded(name) }
                try await log.next("cardInserted(\(name))") { $0 == .cardInserted(reader: name, atr: CardIdentity.desfireATR) }
                monitor.stop()
                await monitor.waitUntilIdle()
            }
        }
    }

    /// The backstop slice is an hour here, and the test holds the whole bed so no other test's
    /// card wakes the wait: only `SCardCancel` can end it before the test's own timeout.
    @Test func cancellingTheIterationInterruptsTheBlockedWait() async throws {
        try await TestBed.shared.withWholeTestBed { _ in
            let monitor = ReaderMonitor(firstRetryDelay: .milliseconds(100), maximumRetryDelay: .seconds(1), backstop: .seconds(3600))
            let (log, recording) = EventLog.recording(monitor)
            try await log.next("serviceAvailable") { $0 == .serviceAvailable }
            try await log.next("a reader") { if case .readerAdded = $0 { return true } else { return false } }
            #expect(monitor.runningWatchers == 1)
            // Cancel only once the thread is inside SCardGetStatusChange, where only
            // SCardCancel can reach it (a flag check would catch a cancel before the wait).
            try await withTimeout(.seconds(20), "the monitor to block in its wait") {
                while monitor.blockedWatchers == 0 { try? await Task.sleep(for: .milliseconds(5)) }
            }
            try await Task.sleep(for: .milliseconds(50))  // into the wait proper, past the flag
            recording.cancel()
            try await withTimeout(.seconds(20), "the monitor thread to end after cancellation") {
                await monitor.waitUntilIdle()
            }
            #expect(monitor.runningWatchers == 0)
        }
    }

    @Test func stopEndsEveryIteration() async throws {
        try await TestBed.shared.withReader { _ in
            let monitor = ReaderMonitor(firstRetryDelay: .milliseconds(100), maximumRetryDelay: .seconds(1), backstop: .seconds(3600))
            let first = Task { var count = 0; for await _ in monitor { count += 1 }; return count }
            let second = Task { var count = 0; for await _ in monitor { count += 1 }; return count }
            let (log, recording) = EventLog.recording(monitor)
            defer { recording.cancel() }
            try await log.next("serviceAvailable") { $0 == .serviceAvailable }
            monitor.stop()
            try await withTimeout(.seconds(20), "both iterations to end") {
                _ = await first.value
                _ = await second.value
                await monitor.waitUntilIdle()
            }
            // A stopped monitor starts nothing new.
            var late = monitor.makeAsyncIterator()
            #expect(await late.next() == nil)
        }
    }

    /// pcscd goes away and comes back: the monitor reports the loss, retries with backoff,
    /// and reports the readers and cards again. It restarts the test bed's pcscd, so it holds
    /// the whole bed, and only a pcscd this test run started itself.
    @Test func recoversWhenPcscdIsRestarted() async throws {
        try await TestBed.shared.withWholeTestBed { readers in
            guard await TestBed.shared.ownsService else {
                try Test.cancel("pcscd was already running when the tests started; restarting it could disturb its other users. Run with a fresh HROMADA_TESTBED_DIR to include this test.")
            }
            let monitor = ReaderMonitor(firstRetryDelay: .milliseconds(50), maximumRetryDelay: .milliseconds(400))
            let (log, recording) = EventLog.recording(monitor)
            defer { recording.cancel() }
            try await log.nextAll("every reader added", readers.map { .readerAdded($0.name) })
            try await TestBed.shared.restartService {
                try await log.next("serviceUnavailable") { if case .serviceUnavailable = $0 { return true } else { return false } }
                #expect(throws: ReaderError(.serviceUnavailable, "")) { try PCSCClient().readers() }
                let removed = await log.all.compactMap { event -> String? in
                    if case .readerRemoved(let name) = event { return name } else { return nil }
                }
                #expect(Set(removed) == Set(readers.map(\.name)))
            }
            try await log.next("serviceAvailable again", timeout: .seconds(20)) { $0 == .serviceAvailable }
            try await log.nextAll("every reader added again", readers.map { .readerAdded($0.name) })
            let name = readers[0].name
            try await readers[0].withVirtualCard(EchoCard()) { _ in
                try await log.next("cardInserted after restart") {
                    if case .cardInserted(name, _) = $0 { return true } else { return false }
                }
            }
            try await log.next("cardRemoved after restart") { $0 == .cardRemoved(reader: name) }
        }
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Runs `body`, failing if it has not finished within `timeout` (a bound, not a measurement).
/// A body that never finishes is left behind rather than awaited, so the test fails instead
/// of hanging the run.
func withTimeout(_ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async -> Void) async throws {
    let finished = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        let once = Once(continuation)
        Task {
            await body()
            once.resume(true)
        }
        Task {
            try? await Task.sleep(for: timeout)
            once.resume(false)
        }
    }
    guard finished else { throw TimedOut(description: "waited \(timeout) for \(what)") }
}

/// Resumes a continuation with the first value offered.
private final class Once: Sendable {
    private let continuation: Mutex<CheckedContinuation<Bool, Never>?>
    init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = Mutex(continuation) }
    func resume(_ value: Bool) {
        continuation.withLock { stored in
            defer { stored = nil }
            return stored
        }?.resume(returning: value)
    }
}

import AccountingStore
import Logging
import Synchronization
import Testing

/// Runs the storages a test opens for the length of that test, in a task group, and closes them
/// when it ends: a storage is a `Service` whose `run()` must run while it is used (PostgreSQL's
/// pool does its work there), and a test keeps its storage from its first line to its last.
///
/// Suites that open storages carry the `.runsStorage` trait; `StorageScope.open` fails loudly
/// outside one.
struct RunsStorage: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func scopeProvider(for test: Test, testCase: Test.Case?) -> RunsStorage? {
        // One scope per test case (each backend of a parameterized test), none around a suite.
        testCase == nil ? nil : self
    }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await StorageScope.run(function)
    }
}

extension Trait where Self == RunsStorage {
    /// Runs the storages each test opens, and closes them when it ends.
    static var runsStorage: Self { RunsStorage() }
}

/// The storages of one test, and the task group that runs them.
final class StorageScope: Sendable {
    @TaskLocal static var current: StorageScope?

    private let started: AsyncStream<any AccountingStorage>.Continuation
    private let opened = Mutex<[any AccountingStorage]>([])

    private init(started: AsyncStream<any AccountingStorage>.Continuation) {
        self.started = started
    }

    /// Opens the storage at `location` in the current test's scope, running, migrated.
    static func open(_ location: StorageLocation) async throws -> any AccountingStorage {
        guard let scope = current else {
            Issue.record("a test that opens a storage needs its suite marked `.runsStorage`")
            throw ScopeMissing()
        }
        let storage = try location.makeStorage(logger: Logger(label: "test"))
        scope.opened.withLock { $0.append(storage) }
        scope.started.yield(storage)
        try await storage.migrate()
        return storage
    }

    /// Runs `test` with a scope; then closes every storage it opened and waits for their `run()`.
    static func run(_ test: () async throws -> Void) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: (any AccountingStorage).self)
        let scope = StorageScope(started: continuation)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await withThrowingDiscardingTaskGroup { runners in
                    for await storage in stream {
                        runners.addTask { try await storage.run() }
                    }
                }
            }
            let outcome: Result<Void, any Error>
            do {
                try await $current.withValue(scope) { try await test() }
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            continuation.finish()
            for storage in scope.opened.withLock({ $0 }) { try? await storage.close() }
            try await group.waitForAll()
            try outcome.get()
        }
    }

    private struct ScopeMissing: Error {}
}

import Synchronization
import Testing
import TestBedSupport

@Suite("test bed support")
struct TestBedSupportTests {
    /// Many tests at once never hold the same reader.
    @Test func leasesAreExclusive() async throws {
        actor Holders {
            var held: Set<String> = []
            var clashes = 0
            func take(_ name: String) { if !held.insert(name).inserted { clashes += 1 } }
            func give(_ name: String) { held.remove(name) }
        }
        let holders = Holders()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await TestBed.shared.withReader { reader in
                        await holders.take(reader.name)
                        await Task.yield()
                        await holders.give(reader.name)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await holders.clashes == 0)
        #expect(await holders.held.isEmpty)
    }

    /// A process started for a test is stopped by PID when the test body fails, and it gets
    /// SIGTERM it can act on (not blocked by the cooperative thread's signal mask).
    @Test func aProcessIsTerminatedWhenTheBodyThrows() async throws {
        struct BodyFailed: Error {}
        let stopped = Mutex<TestProcess?>(nil)
        await #expect(throws: BodyFailed.self) {
            try await withProcess("/bin/sleep", arguments: ["600"]) { process in
                stopped.withLock { $0 = process }
                throw BodyFailed()
            }
        }
        let process = try #require(stopped.withLock { $0 })
        // 128 + SIGTERM; a SIGKILL after the grace period would give 137.
        #expect(process.exitStatus == 143)
    }

    @Test func aMissingExecutableIsANamedError() async {
        await #expect(throws: TestBedError(.launchFailed, "")) {
            try await withProcess("/nonexistent/hromada-vcard", arguments: []) { _ in }
        }
    }
}

@testable import AccountingService
import Identifiers
import Synchronization
import LedgerCore
import Testing

/// The registry behind "Two batches in flight", on its own: what a batch that found a gap
/// waits for, and when it stops waiting.
@Suite("In-flight batches and commits under way")
struct InFlightBatchesTests {
    let device = DeviceID(17)
    let other = DeviceID(18)

    func later(_ seconds: Int) -> ContinuousClock.Instant { ContinuousClock.now.advanced(by: .seconds(seconds)) }

    /// Whether a waiter of `device` is registered within 10 s (a waiter that returned instead
    /// never registers again).
    func someoneWaits(_ batches: InFlightBatches, for device: DeviceID) async throws -> Bool {
        let giveUp = later(10)
        while batches.waiterCount(of: device) == 0 {
            guard ContinuousClock.now < giveUp else { return false }
            try await Task.sleep(for: .milliseconds(1))
        }
        return true
    }

    @Test func aBatchEndedSinceTheMarkMeansLookAgainAtOnce() async {
        let batches = InFlightBatches()
        let mark = batches.mark(of: device)
        batches.end(batches.begin(device, firstSequence: 1))
        // No grace and no earlier batch in flight, yet the head read before may be stale.
        #expect(await batches.waitForEarlierBatches(of: device, beginningBefore: 11, since: mark, graceEnds: .now, deadline: .seconds(60)))
    }

    @Test func nothingEarlierWithinTheGraceMeansAGap() async {
        let batches = InFlightBatches()
        // A later batch and another device's batch are not waited for.
        _ = batches.begin(device, firstSequence: 21)
        _ = batches.begin(other, firstSequence: 1)
        let mark = batches.mark(of: device)
        let grace = ContinuousClock.now.advanced(by: .milliseconds(20))
        #expect(!(await batches.waitForEarlierBatches(of: device, beginningBefore: 11, since: mark, graceEnds: grace, deadline: .seconds(60))))
        #expect(batches.waiterCount(of: device) == 0)
    }

    @Test func anEarlierBatchInFlightIsWaitedForUntilItEnds() async throws {
        let batches = InFlightBatches()
        let earlier = batches.begin(device, firstSequence: 1)
        let mark = batches.mark(of: device)
        let waiting = Task { await batches.waitForEarlierBatches(of: device, beginningBefore: 11, since: mark, graceEnds: later(60), deadline: .seconds(60)) }
        #expect(try await someoneWaits(batches, for: device))
        // A batch of another device, and a later one of this device, do not end the wait.
        batches.end(batches.begin(other, firstSequence: 1))
        _ = batches.begin(device, firstSequence: 21)
        #expect(try await someoneWaits(batches, for: device))
        batches.end(earlier)
        #expect(await waiting.value)
    }

    @Test func anEarlierBatchArrivingWithinTheGraceIsWaitedFor() async throws {
        let batches = InFlightBatches()
        let mark = batches.mark(of: device)
        let waiting = Task { await batches.waitForEarlierBatches(of: device, beginningBefore: 11, since: mark, graceEnds: later(60), deadline: .seconds(60)) }
        #expect(try await someoneWaits(batches, for: device))
        let earlier = batches.begin(device, firstSequence: 1)
        #expect(try await someoneWaits(batches, for: device))
        batches.end(earlier)
        #expect(await waiting.value)
    }

    @Test func anEarlierBatchThatNeverEndsIsWaitedForOnlyUntilTheDeadline() async {
        let batches = InFlightBatches()
        _ = batches.begin(device, firstSequence: 1)
        let mark = batches.mark(of: device)
        #expect(!(await batches.waitForEarlierBatches(of: device, beginningBefore: 11, since: mark, graceEnds: later(60), deadline: .milliseconds(30))))
    }

    @Test func aCommitWaitsForTheCommitLeavingItsExpectedHeadOrTheLimit() async throws {
        let commits = CommitsUnderWay()
        let head = ChainHead(deviceID: device, sequence: 10, hash: try ChainHash(bytes: [UInt8](repeating: 7, count: 32)))
        // Nothing under way: no wait.
        await commits.waitForCommits(leaving: head, atMost: .seconds(60))
        commits.begin(leaving: head)
        commits.begin(leaving: head)
        let done = Atomic<Bool>(false)
        let waiting = Task {
            await commits.waitForCommits(leaving: head, atMost: .seconds(60))
            done.store(true, ordering: .releasing)
        }
        try await Task.sleep(for: .milliseconds(20))
        commits.end(leaving: head)
        // One of the two commits leaving that head is still under way: still waiting.
        try await Task.sleep(for: .milliseconds(20))
        let doneEarly = done.load(ordering: .acquiring)
        #expect(!doneEarly)
        commits.end(leaving: head)
        await waiting.value
        let doneAtLast = done.load(ordering: .acquiring)
        #expect(doneAtLast)
        // A commit that never ends is waited for only up to the limit.
        commits.begin(leaving: head)
        await commits.waitForCommits(leaving: head, atMost: .milliseconds(20))
    }
}

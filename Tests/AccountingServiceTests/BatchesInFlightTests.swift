import AccountingCore
import AccountingStore
@testable import AccountingService
import Hummingbird
import HummingbirdTesting
import LedgerCore
import PropertyTesting
import SQLiteSupport
import Testing

/// An uploader keeps two batches in flight, on two connections: the later one can reach the
/// service first. It must wait for the one before it, not be refused for the gap that one is
/// about to fill; a real gap is still refused and kept as evidence.
@Suite("Ingest: batches of one device in flight together", .runsStorage)
struct BatchesInFlightTests {
    /// A service waiting `grace` for earlier batches, its device's chain of `count` entries and
    /// that chain in batches of 10.
    func makeService(_ backend: Backend, grace: Duration, entries count: Int) async throws -> (TestService, [LedgerEntry], [UploadBatch]) {
        let service = try await TestService(backend, limits: AccountingLimits(earlierBatchGrace: grace))
        let chain = service.device.chain(count: count)
        let batches = stride(from: 0, to: count, by: 10).map { service.device.batch(chain[$0..<($0 + 10)]) }
        return (service, chain, batches)
    }

    /// Returns once `condition` holds, or after `limit`, looking every 2 ms.
    func poll(atMost limit: Duration, until condition: () -> Bool) async throws {
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: limit)
        while !condition(), clock.now < giveUp {
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// How many wait for a change to the service device's batches, once one does (or after 30 s).
    func waiters(of service: TestService) async throws -> Int {
        try await poll(atMost: .seconds(30)) { service.engine.inFlight.waiterCount(of: service.device.id) > 0 }
        return service.engine.inFlight.waiterCount(of: service.device.id)
    }

    /// Batch 3 arrives while batch 2 has not: it finds a gap and waits (the grace is long here,
    /// so the test does not depend on timing). Batch 2 then arrives; both are accepted, in
    /// order, nothing is refused, and the service counts the recheck.
    @Test(arguments: Backend.all)
    func aBatchAheadOfTheOneBeforeItWaitsForIt(backend: Backend) async throws {
        let (service, chain, batches) = try await makeService(backend, grace: .seconds(60), entries: 30)
        let device = service.device
        try await service.withClient { client in
            #expect(try await client.upload(batches[0], as: device).decode(UploadResponse.self).outcome == .accepted)
            async let third = client.upload(batches[2], as: device)
            // Batch 3 is waiting once it has registered to hear of the device's next batch.
            #expect(try await waiters(of: service) == 1, "batch 3 should be waiting")
            let second = try await client.upload(batches[1], as: device)
            #expect(try second.decode(UploadResponse.self).outcome == .accepted)
            let answer = try await third
            #expect(answer.status == .ok)
            let accepted = try answer.decode(UploadResponse.self)
            #expect(accepted.outcome == .accepted)
            #expect(accepted.storedEntries == 10)
        }
        let stored = try await service.storage.entries(device: device.id, after: nil, limit: 100).map(\.entry)
        #expect(stored == chain)
        #expect(try await service.storage.refusedBatches().isEmpty)
        let metrics = await service.engine.metrics.render(countingHeldEntries: { 30 })
        #expect(metrics.contains("hromada_gap_rechecks_total 1"), "\(metrics)")
    }

    /// Three in flight: batch 3 arrives while batch 2 is still being checked (a ticket the test
    /// holds stands for those checks). It waits for batch 2 to begin its commit, is decided from
    /// the head batch 2 will leave, and is answered while the ticket is still open, with no gap
    /// recheck. Decided from the database instead, it would find a gap and wait for every batch
    /// before it to be answered, the held ticket too (and be refused after 30 s).
    @Test(arguments: Backend.all)
    func aBatchTwoAheadIsDecidedFromTheHeadTheBatchBeforeItWillLeave(backend: Backend) async throws {
        let (service, chain, batches) = try await makeService(backend, grace: .seconds(60), entries: 30)
        let device = service.device
        try await service.withClient { client in
            #expect(try await client.upload(batches[0], as: device).decode(UploadResponse.self).outcome == .accepted)
            let checking = service.engine.inFlight.begin(device.id, firstSequence: 11)
            async let third = client.upload(batches[2], as: device)
            #expect(try await waiters(of: service) == 1, "batch 3 should wait for its turn")
            #expect(try await client.upload(batches[1], as: device).decode(UploadResponse.self).outcome == .accepted)
            let answer = try await third
            #expect(answer.status == .ok)
            #expect(try answer.decode(UploadResponse.self).storedEntries == 10)
            service.engine.inFlight.end(checking)
        }
        let stored = try await service.storage.entries(device: device.id, after: nil, limit: 100).map(\.entry)
        #expect(stored == chain)
        #expect(try await service.storage.refusedBatches().isEmpty)
        let metrics = await service.engine.metrics.render(countingHeldEntries: { 30 })
        #expect(!metrics.contains("hromada_gap_rechecks_total"), "\(metrics)")
    }

    /// Batch 3 waits for batch 2 to *begin* its commit, not to end it: while another connection
    /// holds the SQLite file's write lock, so that batch 2's commit cannot end, batch 3 is
    /// decided and begins its own commit behind it. (The wait is the engine's and the same on
    /// both engines; SQLite's write lock is the simple way to hold a commit open.) Woken only when
    /// batch 2 ends, batch 3 would not begin its commit until the lock is let go.
    @Test func aBatchTwoAheadBeginsItsCommitWhileTheCommitBeforeItIsHeld() async throws {
        let (service, chain, batches) = try await makeService(.sqlite, grace: .seconds(60), entries: 30)
        let path = await try #require(service.storage as? SQLiteStorage).path
        let device = service.device
        try await service.withClient { client in
            #expect(try await client.upload(batches[0], as: device).decode(UploadResponse.self).outcome == .accepted)
            let checking = service.engine.inFlight.begin(device.id, firstSequence: 11)
            async let third = client.upload(batches[2], as: device)
            #expect(try await waiters(of: service) == 1, "batch 3 should wait for its turn")
            // Held for at most 3 s, inside the store's 5 s busy timeout.
            let lock = try SQLiteConnection(path: path, flags: [.readWrite])
            try lock.execute("BEGIN IMMEDIATE")
            async let second = client.upload(batches[1], as: device)
            try await poll(atMost: .seconds(3)) { service.engine.headLastSeen(of: device.id)?.sequence == 30 }
            let began = service.engine.headLastSeen(of: device.id)?.sequence
            try lock.execute("ROLLBACK")
            lock.close()
            #expect(began == 30, "batch 3 should begin its commit while batch 2's is held")
            #expect(try await second.decode(UploadResponse.self).outcome == .accepted)
            #expect(try await third.decode(UploadResponse.self).storedEntries == 10)
            service.engine.inFlight.end(checking)
        }
        let stored = try await service.storage.entries(device: device.id, after: nil, limit: 100).map(\.entry)
        #expect(stored == chain)
    }

    /// With nothing in flight before it, a batch past the head waits out the grace and is
    /// refused for the gap, kept as the device's word that it went on.
    @Test(arguments: Backend.all)
    func aRealGapIsRefusedAfterTheGrace(backend: Backend) async throws {
        let (service, chain, _) = try await makeService(backend, grace: .milliseconds(50), entries: 30)
        let device = service.device
        try await service.withClient { client in
            #expect(try await client.upload(device.batch(chain[0..<10]), as: device).decode(UploadResponse.self).outcome == .accepted)
            let refused = try await client.upload(device.batch(chain[20..<30]), as: device)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "gap")
            #expect(try refused.decode(ErrorResponse.self).error.resumeSequence == 11)
        }
        let kept = try await service.storage.refusedBatches()
        #expect(kept.map { [$0.firstSequence, $0.lastSequence, $0.heldSequence] } == [[21, 30, 10]])
        #expect(try await service.storage.head(of: device.id) == ChainHead(after: chain[9]))
    }

    /// Eight batches of the device at once, in the reverse of their order (seed 0) or in a
    /// random order, each sent 0–3 ms after the one before: every batch waits for those before
    /// it, either for its turn or through the gap's wait, and all are stored, in order, with
    /// nothing refused.
    @Test(arguments: Backend.all, [0, 1, 2, 3] as [UInt64])
    func batchesSentInAnyOrderAreAllStored(backend: Backend, seed: UInt64) async throws {
        let (service, chain, batches) = try await makeService(backend, grace: .seconds(60), entries: 80)
        let device = service.device
        var random = SeededGenerator(seed: seed)
        let order = seed == 0 ? Array(batches.reversed()) : batches.shuffled(using: &random)
        let pauses = order.map { _ in Int.random(in: 0...3, using: &random) }
        try await service.withClient { client in
            try await withThrowingTaskGroup(of: UploadResponse.self) { group in
                for (batch, pause) in zip(order, pauses) {
                    group.addTask { try await client.upload(batch, as: device).decode(UploadResponse.self) }
                    try await Task.sleep(for: .milliseconds(pause))
                }
                var outcomes: [UploadOutcome] = []
                for try await answer in group { outcomes.append(answer.outcome) }
                #expect(outcomes == Array(repeating: .accepted, count: 8))
            }
        }
        let stored = try await service.storage.entries(device: device.id, after: nil, limit: 100).map(\.entry)
        #expect(stored == chain)
        #expect(try await service.storage.refusedBatches().isEmpty)
    }
}

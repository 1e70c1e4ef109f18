import AccountingCore
import AccountingStore
import Entitlements
import Identifiers
import LedgerCore
import Testing

/// The bulk paths of `commit`: SQLite's multi-row INSERTs, PostgreSQL's COPY.
@Suite("Bulk ingest")
struct BulkIngestTests {
    /// A chain holding one entry of every kind, in order, then `benefitUse` entries up to `count`.
    /// `formatOneOnly` leaves out the format 2 records (desk kinds, card counters), as a
    /// database from before schema 7 holds none.
    static func chainOfEveryKind(count: Int, device: DeviceID = Fixture.device, formatOneOnly: Bool = false) -> [LedgerEntry] {
        let time = UnixTime(1_800_000_000)
        let card = CardSerial(0x00BB_0000_0000_0001)
        let everyKind: [LedgerRecord] = [
            .startUp(at: time, software: "hromada-validator 1.0 \t tab, \\ backslash, \n newline, ї"),
            .rideAccepted(at: time, card: card, layout: 1, fareKopecks: 1500, route: 7, vehicle: 11),
            .benefitUse(at: time, card: card, layout: 1, entitlement: 5, category: 3, fareKopecks: 0, fullFareKopecks: 1500, route: 7, vehicle: 11),
            .purseDebit(at: time, card: card, layout: 2, amountKopecks: 800, balanceAfterKopecks: 1200, route: 7, vehicle: 11),
            .tapDeclined(at: time, card: nil, layout: nil, reasonCode: "ride-limit-reached", route: 7, vehicle: 11),
            .cardTransactionPending(at: time, card: card, layout: 1, fareKopecks: 1500, route: 7, vehicle: 11),
            .cardTransactionConfirmed(at: time, card: card, pending: 6),
            .cardTransactionPending(at: time, card: card, layout: 1, fareKopecks: 1500, route: 7, vehicle: 11),
            .cardTransactionAbandoned(at: time, card: card, pending: 8, why: "card-removed"),
            .denyListHit(at: time, card: card, layout: 1, listingReason: "stolen", route: 7, vehicle: 11),
            .configurationChanged(at: time, description: "tariff v3 sha256:00ff"),
            // A clock set back before 1970: a negative device time and correction.
            .clockAdjusted(from: time, to: UnixTime(-86_400), source: "operator"),
            .shutdown(at: time),
            // Format 2: the desk kinds and a ride with the card's counters.
            .cardIssued(at: time, card: card, layout: 2),
            .entitlementWritten(
                at: time, card: card, layout: 2, entitlement: 5, category: 3,
                terms: WrittenEntitlementTerms(product: .rides, validFrom: CivilDate(daysSinceEpoch: 20_000), validUntil: CivilDate(daysSinceEpoch: 20_400), rideLimit: 40, ridePeriod: .month)),
            .purseCredit(at: time, card: card, amountKopecks: 5000, receipt: UInt64.max, balanceAfterKopecks: 6200),
            .cardBlocked(at: time, card: card, reason: "lost"),
            .cardReplaced(at: time, old: card, new: CardSerial(UInt64.max), balanceMovedKopecks: 6200),
            .cardReturned(at: time, card: CardSerial(UInt64.max), reason: "moved-away"),
            LedgerRecord(
                kind: .benefitUse, deviceTime: time, cardSerial: card, layoutVersion: 2, entitlementID: 5, category: 3, fareKopecks: 0,
                fullFareKopecks: 1500, route: 7, vehicle: 11, cardCounters: CardCounters(tripSequence: 65_535, countedRides: 3, countPeriodStart: CivilDate(daysSinceEpoch: 20_393))),
        ]
        let records = formatOneOnly ? everyKind.filter { $0.format == 1 } : everyKind
        var head = ChainHead.genesis(for: device)
        var entries: [LedgerEntry] = []
        for index in 0..<count {
            let record = index < records.count
                ? records[index]
                : .benefitUse(
                    at: UnixTime(1_800_000_000 + Int64(index)), card: CardSerial(0x00BB_0000_0000_0000 | UInt64(index)), layout: 1,
                    entitlement: 5, category: 3, fareKopecks: 0, fullFareKopecks: 1500, route: 7, vehicle: 11)
            let entry = try! head.seal(record)
            entries.append(entry)
            head = ChainHead(after: entry)
        }
        return entries
    }

    @Test(arguments: Engine.all)
    func everyKindOfEntryIsStoredByteForByte(engine: Engine) async throws {
        #expect(Set(Self.chainOfEveryKind(count: 20).map(\.record.kind)) == Set(LedgerEntryKind.allCases))
        try await engine.withFreshStorage { storage async throws in
            let chain = Self.chainOfEveryKind(count: 25)
            #expect(try await storage.commit(Fixture.commit(chain[...], after: .genesis(for: Fixture.device))) == .committed)
            let stored = try await storage.entries(device: Fixture.device, after: nil, limit: 100)
            #expect(stored.map(\.entry) == chain)
            #expect(stored.map(\.entry.canonicalBytes) == chain.map(\.canonicalBytes))
            #expect(stored.allSatisfy { $0.receivedAt == Fixture.now })
            // The columns of format 2 entries, filled at ingest, agree with their bytes (both engines).
            #expect(try await storage.verifyEntryColumns().isClean)
            let held = try await storage.heldHashes(of: Fixture.device, in: 1...25)
            #expect(held == Dictionary(uniqueKeysWithValues: chain.map { ($0.sequence, $0.hash) }))
        }
    }

    /// Batch sizes around SQLite's rows per statement (45 since schema 7, 55 in schemas 5 and 6, 128 before) and a
    /// full batch of 1000: every entry lands once, in order, whatever the remainder.
    @Test(arguments: Engine.all)
    func batchesOfAnySizeAreStoredWhole(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let sizes = [1, 44, 45, 46, 54, 55, 56, 90, 127, 128, 129, 300, 1000]
            let chain = Fixture.chain(count: sizes.reduce(0, +))
            var head = ChainHead.genesis(for: Fixture.device)
            var start = 0
            for size in sizes {
                let batch = chain[start..<(start + size)]
                #expect(try await storage.commit(Fixture.commit(batch, after: head)) == .committed)
                head = ChainHead(after: batch.last!)
                start += size
            }
            #expect(try await storage.entryCount() == chain.count)
            #expect(try await storage.head(of: Fixture.device) == head)
            let stored = try await storage.entries(device: Fixture.device, after: nil, limit: 10_000)
            #expect(stored.map(\.entry) == chain)
            #expect(try await storage.checkpoints(of: Fixture.device).map(\.sequence) == [1, 45, 90, 136, 190, 245, 301, 391, 518, 646, 775, 1075, 2075])
        }
    }

    /// A row that fails in the middle of the bulk insert (here a sequence already held) fails
    /// the whole commit: no entry, no head move, no checkpoint, no receipt.
    @Test(arguments: Engine.all)
    func aFailureInTheMiddleOfTheEntriesLeavesNothing(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let chain = Fixture.chain(count: 400)
            let first = Fixture.commit(chain[0..<10], after: .genesis(for: Fixture.device))
            #expect(try await storage.commit(first) == .committed)
            let held = ChainHead(after: chain[9])
            // Entries 11…400 with entry 200 again in the middle of them.
            var broken = Fixture.commit(chain[10..<400], after: held)
            broken.entries.insert(chain[199], at: 250)
            await #expect(throws: (any Error).self) { try await storage.commit(broken) }
            #expect(try await storage.entryCount() == 10)
            #expect(try await storage.head(of: Fixture.device) == held)
            #expect(try await storage.checkpoints(of: Fixture.device).map(\.sequence) == [10])
            #expect(try await storage.latestReceipt(of: Fixture.device)?.sequence == 10)
            // And the storage goes on: the honest commit after it is stored.
            #expect(try await storage.commit(Fixture.commit(chain[10..<400], after: held)) == .committed)
            #expect(try await storage.entryCount() == 400)
        }
    }
}

/// The one-statement nonce admission (PostgreSQL) answers as "forget, then insert" did.
@Suite("Nonce admission in one statement")
struct NonceAdmissionTests {
    @Test(arguments: Engine.all)
    func theDevicesOwnForgottenNonceIsAdmittedAgainInTheSameCall(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let early = Fixture.now
            let later = early.adding(seconds: 400)
            #expect(try await storage.admitNonce("n-same-0123456789a", of: DeviceID(1), signedAt: early, forgettingBefore: early.adding(seconds: -300)))
            #expect(try await storage.admitNonce("n-keep-0123456789a", of: DeviceID(2), signedAt: later, forgettingBefore: early.adding(seconds: -300)))
            // 400 s later the first use is outside the window: this very call forgets it and admits the nonce again.
            #expect(try await storage.admitNonce("n-same-0123456789a", of: DeviceID(1), signedAt: later, forgettingBefore: later.adding(seconds: -300)))
            #expect(try await storage.admitNonce("n-same-0123456789a", of: DeviceID(1), signedAt: later, forgettingBefore: later.adding(seconds: -300)) == false)
            // A nonce still inside the window is kept by the same calls.
            #expect(try await storage.admitNonce("n-keep-0123456789a", of: DeviceID(2), signedAt: later, forgettingBefore: later.adding(seconds: -300)) == false)
        }
    }
}

/// Commits arriving at once (SQLite writes them in one group transaction): each gets its own
/// outcome, as if written alone.
@Suite("Commits at once")
struct ConcurrentCommitTests {
    /// Commits a chain of `count` entries of each of `devices`, all at once, and checks that every
    /// one is stored with its head and receipt.
    private static func commitEachAtOnce(_ devices: [DeviceID], entries count: Int, into storage: any AccountingStorage) async throws {
        let outcomes = try await withThrowingTaskGroup(of: CommitOutcome.self) { group in
            for device in devices {
                let chain = Fixture.chain(count: count, device: device)
                group.addTask { try await storage.commit(Fixture.commit(chain[...], after: .genesis(for: device))) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes == Array(repeating: .committed, count: devices.count))
        #expect(try await storage.entryCount() == devices.count * count)
        for device in devices {
            let chain = Fixture.chain(count: count, device: device)
            #expect(try await storage.head(of: device) == ChainHead(after: chain[count - 1]))
            #expect(try await storage.latestReceipt(of: device)?.sequence == UInt64(count))
        }
    }

    @Test(arguments: Engine.all)
    func commitsOfManyDevicesAtOnceAreAllStored(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            try await Self.commitEachAtOnce((1...10).map { DeviceID(UInt32(100 + $0)) }, entries: 50, into: storage)
        }
    }

    /// More than one group transaction takes (SQLite: `groupEntryLimit`, two full batches): the
    /// rest go in the groups after it.
    @Test(arguments: Engine.all)
    func sixFullBatchesOfSixDevicesAtOnceAreAllStored(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            try await Self.commitEachAtOnce((1...6).map { DeviceID(UInt32(300 + $0)) }, entries: 1000, into: storage)
        }
    }

    @Test(arguments: Engine.all)
    func twoCommitsFromOneHeadAtOnceStoreOne(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let chain = Fixture.chain(count: 20)
            let genesis = ChainHead.genesis(for: Fixture.device)
            async let first = storage.commit(Fixture.commit(chain[0..<10], after: genesis))
            async let second = storage.commit(Fixture.commit(chain[0..<20], after: genesis))
            let outcomes = try await [first, second]
            #expect(outcomes.filter { $0 == .committed }.count == 1)
            #expect(outcomes.filter { $0 == .headMoved }.count == 1)
            let stored = try await storage.entryCount()
            #expect(stored == (outcomes[0] == .committed ? 10 : 20))
        }
    }

    @Test(arguments: Engine.all)
    func aFailingCommitAmongOthersAtOnceLeavesTheOthersStored(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let good = (1...4).map { DeviceID(UInt32(200 + $0)) }
            let chain = Fixture.chain(count: 30)
            var failing = Fixture.commit(chain[0..<30], after: .genesis(for: Fixture.device))
            failing.entries.insert(chain[9], at: 20)
            let broken = failing
            let results = await withTaskGroup(of: (DeviceID, Bool).self) { group in
                for device in good {
                    let entries = Fixture.chain(count: 30, device: device)
                    group.addTask { (device, (try? await storage.commit(Fixture.commit(entries[...], after: .genesis(for: device)))) == .committed) }
                }
                group.addTask { (Fixture.device, (try? await storage.commit(broken)) != nil) }
                return await group.reduce(into: [DeviceID: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(results[Fixture.device] == false)
            for device in good { #expect(results[device] == true) }
            #expect(try await storage.entryCount() == 120)
            #expect(try await storage.head(of: Fixture.device) == .genesis(for: Fixture.device))
            #expect(try await storage.checkpoints(of: Fixture.device).isEmpty)
        }
    }
}

/// `head(of:withHeldAt:)`: the head and what is held at one sequence, as the separate calls say.
@Suite("Head with what is held at a sequence")
struct HeadWithHeldTests {
    @Test(arguments: Engine.all)
    func theViewAgreesWithTheSeparateCalls(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let genesis = ChainHead.genesis(for: Fixture.device)
            #expect(try await storage.head(of: Fixture.device, withHeldAt: 10) == HeadWithHeld(head: genesis, hash: nil, receipt: nil))
            let chain = Fixture.chain(count: 30)
            let first = Fixture.commit(chain[0..<10], after: genesis)
            let second = Fixture.commit(chain[10..<30], after: ChainHead(after: chain[9]))
            #expect(try await storage.commit(first) == .committed)
            #expect(try await storage.commit(second) == .committed)
            let head = ChainHead(after: chain[29])
            // At a batch's end: its hash and its receipt.
            #expect(try await storage.head(of: Fixture.device, withHeldAt: 10) == HeadWithHeld(head: head, hash: chain[9].hash, receipt: first.receipt))
            #expect(try await storage.head(of: Fixture.device, withHeldAt: 30) == HeadWithHeld(head: head, hash: chain[29].hash, receipt: second.receipt))
            // Inside a batch: the hash, no receipt; past the head: nothing.
            #expect(try await storage.head(of: Fixture.device, withHeldAt: 17) == HeadWithHeld(head: head, hash: chain[16].hash, receipt: nil))
            #expect(try await storage.head(of: Fixture.device, withHeldAt: 31) == HeadWithHeld(head: head, hash: nil, receipt: nil))
            // Another device's view is its own.
            #expect(try await storage.head(of: DeviceID(99), withHeldAt: 10) == HeadWithHeld(head: .genesis(for: DeviceID(99)), hash: nil, receipt: nil))
        }
    }
}

/// One device's batches sent one after another without waiting for the answers, as the
/// uploader does, each a full batch (SQLite: more than one group transaction takes).
@Suite("A device's batches sent together")
struct OneDevicesBatchesTogetherTests {
    @Test(arguments: Engine.all)
    func oneDevicesThreeBatchesSentTogetherAreStoredInOrder(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let chain = Fixture.chain(count: 3000)
            let heads = [ChainHead.genesis(for: Fixture.device), ChainHead(after: chain[999]), ChainHead(after: chain[1999])]
            // Sent in order, as the uploader sends them: each commit is on the actor's queue before the next.
            async let first = storage.commit(Fixture.commit(chain[0..<1000], after: heads[0]))
            try await Task.sleep(for: .milliseconds(50))
            async let second = storage.commit(Fixture.commit(chain[1000..<2000], after: heads[1]))
            try await Task.sleep(for: .milliseconds(50))
            async let third = storage.commit(Fixture.commit(chain[2000..<3000], after: heads[2]))
            let outcomes = try await [first, second, third]
            // SQLite writes them in the order they reached its queue. On PostgreSQL a commit whose
            // compare-and-set runs before the one it follows has moved the head finds it unmoved:
            // `.headMoved`, nothing stored, and the engine decides it again.
            #expect(outcomes[0] == .committed)
            if engine == .sqlite { #expect(outcomes == [.committed, .committed, .committed]) }
            let committed = outcomes.prefix { $0 == .committed }.count
            #expect(try await storage.entryCount() == committed * 1000)
            #expect(try await storage.head(of: Fixture.device) == ChainHead(after: chain[committed * 1000 - 1]))
        }
    }
}

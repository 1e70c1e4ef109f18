import Entitlements
import Foundation
import Identifiers
import LedgerCore
import LedgerStore
import SmartCard
import Testing
import Validator

/// A card whose read brings back only the newest trip record, as the validator's read does, and
/// that can read older records back on request (counted).
struct NewestOnlyCard: TapCard {
    var inner: MemoryCard
    var readBacks: [(skippingNewest: Int, count: Int)] = []

    init(storage: MemoryCard.Storage, failure: MemoryCard.Failure = .none) {
        inner = MemoryCard(storage: storage, failure: failure)
    }

    var apduCount: Int { inner.apduCount }

    mutating func read() async throws -> TapReading {
        var reading = try await inner.read()
        reading.trips = Array(reading.trips.suffix(1))
        return reading
    }

    mutating func stage(_ write: TapWrite) async throws { try await inner.stage(write) }
    mutating func commit() async throws { try await inner.commit() }

    mutating func readOlderTrips(skippingNewest: Int, count: Int) async throws -> [TripIdentity] {
        readBacks.append((skippingNewest, count))
        inner.apduCount += 1
        let log = inner.storage.reading.trips
        let end = max(0, log.count - skippingNewest)
        return Array(log[max(0, end - count)..<end])
    }
}

/// Reading the trip log back to settle a pending entry: how far, and only when needed.
@Suite("Reading the trip log back to settle a pending entry")
struct ReadBackUnitTests {
    @Test(
        "how many records behind the newest a pending ride's record lies (pending: card sequence 5)",
        arguments: [
            ([(7001, 5, 100)], nil),  // the newest: settled as read
            ([(7001, 4, 90)], nil),  // before it: not committed, as read
            ([(9999, 5, 100)], nil),  // its sequence, another tap: not committed, as read
            ([(9999, 6, 200)], 1),
            ([(9999, 8, 400)], 3),
            ([(7001, 5, 100), (9999, 6, 200)], nil),  // already read back
            ([], nil),
        ] as [([(UInt32, UInt16, Int64)], Int?)])
    func recordsBehind(trips: [(UInt32, UInt16, Int64)], expected: Int?) {
        #expect(Self.pending(sequence: 5).recordsBehindNewest(on: PipelineUnitTests.reading(trips: trips)) == expected)
    }

    @Test("the card sequence wraps: a pending 65535 lies 2 behind a newest 1")
    func wraps() {
        #expect(Self.pending(sequence: 65_535).recordsBehindNewest(on: PipelineUnitTests.reading(trips: [(9, 1, 500)])) == 2)
    }

    @Test("an open entry whose record lies behind the newest is settled by one read-back; ordinary taps read nothing back")
    func pipelineReadsBackOnlyWhenNeeded() async throws {
        for (failure, settledAs) in [
            (MemoryCard.Failure.commitAnswerLost, LedgerEntryKind.cardTransactionConfirmed),
            (.commitNeverArrives, .cardTransactionAbandoned),
        ] {
            let directory = Paths.temporaryDirectory("hromada-validator-readback")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (pipeline, ledger, _) = try PipelineUnitTests.pipeline(directory)
            let storage = PipelineUnitTests.card()
            var torn = NewestOnlyCard(storage: storage, failure: failure)
            #expect(await pipeline.process(&torn, reader: "r", now: Clock.now).verdict == .uncertain)
            #expect(torn.readBacks.isEmpty)

            // Two rides on another bus.
            let elsewhere = (storage.reading.trips.last?.cardSequence ?? 0) &+ 1
            for (offset, sequence) in [elsewhere, elsewhere &+ 1].enumerated() {
                storage.reading.trips.append(TripIdentity(deviceID: 7002, cardSequence: sequence, time: Clock.later(60 * Int64(offset + 1))))
            }
            let asRead = try await torn.read()
            let open = await ledger.openTransactions()
            let behind = try #require(open.first?.recordsBehindNewest(on: asRead))
            #expect(behind == (failure == .commitAnswerLost ? 2 : 1))

            var back = NewestOnlyCard(storage: storage)
            let result = await pipeline.process(&back, reader: "r", now: Clock.later(3_600))
            #expect(result.resolvedPending == 1, "\(failure)")
            #expect(back.readBacks.count == 1 && back.readBacks[0].skippingNewest == 1 && back.readBacks[0].count == behind, "\(failure): \(back.readBacks)")
            #expect(try PipelineUnitTests.kinds(directory).contains(settledAs), "\(failure)")
            #expect(await ledger.openTransactions().isEmpty)

            // Nothing open any more: the next tap is an ordinary one.
            var ordinary = NewestOnlyCard(storage: storage)
            _ = await pipeline.process(&ordinary, reader: "r", now: Clock.later(7_200))
            #expect(ordinary.readBacks.isEmpty)
        }
    }

    static func pending(sequence: UInt16) -> PendingTransaction {
        PendingTransaction(
            purpose: .ride, card: PipelineUnitTests.serial, layout: 1, time: UnixTime(100),
            trip: TripIdentity(deviceID: 7001, cardSequence: sequence, time: UnixTime(100)), charges: [.rideAccepted], entitlement: nil,
            category: nil, fareKopecks: 0, fullFareKopecks: 0, purseBalanceAfterKopecks: 0, route: 1, vehicle: 1)
    }
}

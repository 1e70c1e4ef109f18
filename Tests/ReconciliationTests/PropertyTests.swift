import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import PropertyBased
import PropertyTesting
import Synchronization
import Testing

@testable import Reconciliation

/// Random months of taps on the town's buses, from a seed.
enum RandomMonth {
    static let cards: [CardSerial] = (1...6).map { CardSerial(0x00AA_0000_0000_1000 + $0) }

    static func buses(_ rng: inout some RandomNumberGenerator) -> [Bus] {
        var counters: [CardSerial: UInt16] = [:]
        var buses: [Bus] = []
        let start = Town.period.start.rawValue - 2 * day
        let end = Town.period.end.rawValue + day
        for device in [Town.busA1, Town.busA2, Town.busB1, 999] {
            var bus = Bus(device)
            for _ in 0..<Int.random(in: 0...25, using: &rng) {
                let index = Int.random(in: 0..<cards.count, using: &rng)
                let card = cards[index]
                let time = UnixTime(Int64.random(in: start..<end, using: &rng))
                // Mostly the card's own category; now and then one it was never issued.
                let category = Int.random(in: 0..<8, using: &rng) == 0 ? CategoryCode(3) : categoryOf(index)
                bus.receiveDelay = Int64.random(in: 0...(6 * day), using: &rng)
                let route = RouteNumber(UInt16.random(in: 1...2, using: &rng))
                let counter = counters[card, default: 0] &+ UInt16.random(in: 0...2, using: &rng)
                counters[card] = counter
                switch Int.random(in: 0..<9, using: &rng) {
                case 0: bus.benefit(card, at: time, category: category, fare: Int64.random(in: 0...1500, using: &rng), route: route)
                case 1: bus.paidRide(card, at: time, route: route)
                case 2: bus.tap(card, counter: counter, at: time, category: category, route: route, confirm: true)
                case 3: bus.tap(card, counter: counter, at: time, category: category, route: route, confirm: nil)
                case 4: bus.tap(card, counter: counter, at: time, category: category, route: route, confirm: false)
                case 5:
                    bus.tap(
                        card, counter: counter, at: time, category: nil, entitlement: nil, fare: 1500, balanceAfter: Int64.random(in: 0...5000, using: &rng),
                        route: route)
                case 6:
                    // The same ride written twice.
                    bus.benefit(card, at: time, category: category, route: route)
                    bus.benefit(card, at: time, category: category, route: route)
                case 7: bus.append(.clockAdjusted(from: time, to: time.adding(seconds: 30), source: "ntp"))
                default: bus.tap(card, counter: counter, at: time, category: category, fare: 750, balanceAfter: 1000, route: route)
                }
            }
            if Bool.random(using: &rng) { bus.receiptSequence = UInt64.random(in: 0...bus.head.sequence, using: &rng) }
            if bus.head.sequence > 0, Int.random(in: 0..<4, using: &rng) == 0 {
                let sequence = UInt64.random(in: 1...bus.head.sequence, using: &rng)
                bus.tamperAlarms = [
                    TamperAlarmRecord(
                        device: device, sequence: sequence, heldHash: String(repeating: "a", count: 64), offeredHash: String(repeating: "b", count: 64),
                        batchFirstSequence: sequence, batchLastSequence: bus.head.sequence, raisedAt: Town.morning + 3 * day)
                ]
            }
            if Int.random(in: 0..<4, using: &rng) == 0 {
                bus.refusedBatches = [RefusedBatch(firstSequence: bus.head.sequence + 3, lastSequence: bus.head.sequence + 9, offeredAt: nil)]
            }
            buses.append(bus)
        }
        return buses
    }

    static func categoryOf(_ cardIndex: Int) -> CategoryCode { CategoryCode(UInt16(cardIndex % 2 + 1)) }

    static func reference(_ rng: inout some RandomNumberGenerator) -> ReferenceSet {
        var reference = Town.reference()
        let november = CivilDate(year: 2026, month: 11, day: 1)!
        reference.entitlements = cards.indices.map { index in
            IssuedEntitlement(
                card: cards[index], entitlement: 1, category: categoryOf(index), product: .rides,
                rideLimit: UInt16.random(in: 1...4, using: &rng), ridePeriod: .day, validFrom: november.adding(days: -10),
                validUntil: november.adding(days: Int.random(in: 0...40, using: &rng)))
        }
        reference.denyListings = [DenyListing(card: cards[0], reason: "stolen", reportedAt: Town.since, effectiveAt: Town.morning + 10 * day, bundleVersion: 2)]
        reference.programme = CompensationProgramme(year: 2026, lines: [.init(category: 1, budgetKopecks: 1_000_000), .init(category: 2, budgetKopecks: 500_000)])
        return reference
    }

    static let options = ReconciliationOptions(silentDeviceDays: 3)

    static func input(seed: UInt64) -> (ReconciliationInput, [Bus]) {
        var rng = SeededGenerator(seed: seed)
        let buses = buses(&rng)
        let reference = reference(&rng)
        // October was closed two days into November: October entries received later are late.
        let input = ReconciliationInput(
            period: Town.period, devices: buses.map(\.ledger), reference: reference, previousClose: Town.period.start + 2 * day, options: options)
        return (input, buses)
    }
}

@Suite struct PropertyTests {
    @Test("totals equal the sum of the lines; acts add up")
    func totalsEqualTheSumOfLines() async {
        await propertyCheck(count: 150, input: Gen.uint64()) { seed in
            let report = reconcile(RandomMonth.input(seed: seed).0)
            let lines = report.lines
            #expect(report.total.compensationKopecks == lines.reduce(0) { $0 + $1.compensationKopecks }, "seed \(seed)")
            #expect(report.total.rides == lines.reduce(0) { $0 + $1.rides }, "seed \(seed)")
            #expect(report.total.paidKopecks == lines.reduce(0) { $0 + $1.paidKopecks }, "seed \(seed)")
            #expect(report.total.fullFareKopecks == lines.reduce(0) { $0 + $1.fullFareKopecks }, "seed \(seed)")
            for total in report.totalsByCarrier {
                #expect(total.compensationKopecks == lines.filter { $0.carrier == total.key }.reduce(0) { $0 + $1.compensationKopecks })
            }
            for total in report.totalsByCategory {
                #expect(total.rides == lines.filter { $0.category == total.key }.reduce(0) { $0 + $1.rides })
            }
            for total in report.totalsByRoute {
                #expect(total.paidKopecks == lines.filter { $0.carrier == total.key.carrier && $0.route == total.key.route }.reduce(0) { $0 + $1.paidKopecks })
            }
            for grouping in [report.totalsByCarrier.map(\.compensationKopecks), report.totalsByCategory.map(\.compensationKopecks), report.totalsByRoute.map(\.compensationKopecks)] {
                #expect(grouping.reduce(0, +) == report.total.compensationKopecks, "seed \(seed)")
            }
            for line in lines {
                #expect(line.rides == line.entries.count)
                #expect(line.compensationKopecks <= line.fullFareKopecks)
            }
            for act in report.acts {
                #expect(act.closingDebtKopecks == act.openingDebtKopecks + act.accruedKopecks - act.paidKopecks)
            }
            #expect(report.acts.reduce(0) { $0 + $1.accruedKopecks } == report.total.compensationKopecks + report.late.reduce(0) { $0 + $1.compensationKopecks })
        }
    }

    @Test("every benefit entry of the period is in a line or listed as excluded, never both")
    func nothingDroppedSilently() async {
        await propertyCheck(count: 150, input: Gen.uint64()) { seed in
            let (input, buses) = RandomMonth.input(seed: seed)
            let report = reconcile(input)
            let inLines = report.lines.flatMap(\.entries)
            let excluded = report.excluded.map(\.entry)
            #expect(Set(inLines).count == inLines.count && Set(inLines).isDisjoint(with: excluded), "seed \(seed)")
            let benefitEntries = buses.flatMap(\.entries).filter {
                $0.entry.record.kind == .benefitUse && Town.period.contains($0.entry.record.deviceTime) && $0.entry.record.relatedSequence == nil
            }
            for held in benefitEntries {
                #expect(inLines.contains(held.reference) || excluded.contains(held.reference), "seed \(seed): \(held.reference)")
            }
        }
    }

    @Test("the report does not depend on device order, entry order, or how entries were batched")
    func orderAndBatchingDoNotMatter() async {
        await propertyCheck(count: 100, input: Gen.uint64()) { seed in
            let (input, buses) = RandomMonth.input(seed: seed)
            let expected = reconcile(input)
            var rng = SeededGenerator(seed: seed ^ 0x5EED)
            var shuffled = input
            shuffled.devices = buses.map { bus -> [DeviceLedger] in
                var ledger = bus.ledger
                // Cut the chain into batches; some batches were sent twice (a replay after a
                // lost answer: the service keeps the first receipt time), and the copies
                // arrive in any order.
                var batches: [[HeldEntry]] = []
                var rest = ledger.entries[...]
                while !rest.isEmpty {
                    let size = Int.random(in: 1...max(1, rest.count), using: &rng)
                    batches.append(Array(rest.prefix(size)))
                    rest = rest.dropFirst(size)
                }
                var entries: [HeldEntry] = []
                for batch in batches {
                    entries += batch
                    if Bool.random(using: &rng) {
                        entries += batch.map { HeldEntry($0.entry, receivedAt: $0.receivedAt!.adding(seconds: 600)) }
                    }
                }
                ledger.entries = entries.shuffled(using: &rng)
                // Some devices come as several values, one per part of their batches, each
                // knowing the head.
                guard ledger.entries.count > 1, Bool.random(using: &rng) else { return [ledger] }
                let cut = Int.random(in: 1..<ledger.entries.count, using: &rng)
                var first = ledger
                var second = ledger
                first.entries = Array(ledger.entries[..<cut])
                second.entries = Array(ledger.entries[cut...])
                second.tamperAlarms = []
                return [first, second]
            }
            .flatMap { $0 }
            .shuffled(using: &rng)
            shuffled.claims = shuffled.claims.shuffled(using: &rng)
            #expect(reconcile(shuffled) == expected, "seed \(seed)")
        }
    }
}

/// Keeps spilled chunks in memory, so the card pass's spill is exercised without files.
final class ChunkShelf: FactSpill {
    private let shelf = Mutex<(chunks: [Int: [[UInt8]]], appended: Int)>(([:], 0))

    var appended: Int { shelf.withLock { $0.appended } }

    func append(_ chunk: [UInt8], toPartition partition: Int) {
        shelf.withLock {
            $0.chunks[partition, default: []].append(chunk)
            $0.appended += 1
        }
    }

    func takeChunks(ofPartition partition: Int) -> [[UInt8]] {
        shelf.withLock { $0.chunks.removeValue(forKey: partition) ?? [] }
    }
}

@Suite struct CardPassTests {
    @Test("the report does not depend on how the cards are partitioned, or on spilling them")
    func partitionsAndSpillDoNotMatter() async {
        await propertyCheck(count: 100, input: Gen.uint64()) { seed in
            let (input, _) = RandomMonth.input(seed: seed)
            let expected = reconcile(input)
            var rng = SeededGenerator(seed: seed ^ 0xCA4D)
            let partitions = Int.random(in: 2...9, using: &rng)
            let inMemory = ReconciliationAccumulator(input, cardPartitions: partitions).finish()
            #expect(inMemory == expected, "seed \(seed), \(partitions) partitions")
            // Spilled after every device, or after a few facts.
            let shelf = ChunkShelf()
            let spilled = ReconciliationAccumulator(input, cardPartitions: partitions, spill: shelf, spillThreshold: Int.random(in: 0...2000, using: &rng)).finish()
            #expect(spilled == expected, "seed \(seed), \(partitions) partitions, spilled")
        }
    }

    @Test func aSpilledMonthIsReadBackWhole() {
        let (input, _) = RandomMonth.input(seed: 7)
        let shelf = ChunkShelf()
        let report = ReconciliationAccumulator(input, cardPartitions: 3, spill: shelf, spillThreshold: 0).finish()
        #expect(shelf.appended > 3)
        #expect(report == reconcile(input))
        #expect(report.total.rides > 0)
        #expect((0..<3).allSatisfy { shelf.takeChunks(ofPartition: $0).isEmpty })
    }
}

import Entitlements
import Identifiers
import PropertyBased
import PropertyTesting
import SocialCard
import Tariff
import Testing

@Suite("Reading: records decode and map to the tariff's card state")
struct DecodingTests {
    @Test("card info and trip records round-trip through the layout's formats")
    func roundTrips() async {
        let layout = Fixtures.layout
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            do {
                var generator = SeededGenerator(seed: seed)
                let issue = Fixtures.today.adding(days: Int.random(in: -5000...5000, using: &generator))
                let info = CardInfo(
                    layoutVersion: 1, communityCode: UInt16.random(in: 0...UInt16.max, using: &generator),
                    serial: CardSerial(UInt64.random(in: 1...UInt64.max, using: &generator)), issueDate: issue,
                    expiryDate: issue.adding(days: Int.random(in: 0...3000, using: &generator)),
                    holderPseudonym: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) },
                    entitlementSlotsUsed: Int.random(in: 0...4, using: &generator))
                #expect(try layout.decodeCardInfo(try layout.encode(info)) == info)

                let kinds = ["entry", "transfer", "passbackRepeat", "topUp", "blocked", "issued"]
                let flags: Set<String> = Set(["benefitRide", "discounted", "purseUsed", "offlineDecision"].filter { _ in Bool.random(using: &generator) })
                let trip = TripLogRecord(
                    time: Fixtures.now.adding(seconds: Int64.random(in: -100_000_000...100_000_000, using: &generator)),
                    deviceID: UInt32.random(in: 0...UInt32.max, using: &generator), sequence: Int.random(in: 0...65535, using: &generator),
                    route: Int.random(in: 0...65535, using: &generator), vehicle: Int.random(in: 0...65535, using: &generator),
                    fareKopecks: Int.random(in: 0...0xFF_FFFF, using: &generator), category: Int.random(in: 0...65535, using: &generator),
                    entitlementSlot: Bool.random(using: &generator) ? nil : Int.random(in: 0...3, using: &generator),
                    kind: kinds.randomElement(using: &generator)!, flags: flags, zone: Int.random(in: 0...255, using: &generator))
                #expect(try layout.decodeTrips([try layout.encode(trip)]) == [trip])
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    @Test("any bytes decode to a value or a named error, never a crash")
    func fuzz() async {
        let layout = Fixtures.layout
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...300)) { bytes in
            for attempt in [{ _ = try layout.decodeCardInfo(bytes) }, { _ = try layout.decodeSlot(bytes) },
                            { _ = try layout.decodeCounters(bytes) }, { _ = try layout.decodeStatus(bytes) },
                            { _ = try layout.decodeTrips([bytes]) }] as [() throws -> Void] {
                do { try attempt() } catch { #expect(error is SocialCardError, "\(error)") }
            }
        }
    }

    @Test("an unwritten card info is nil; a known-bad enum or flag is malformed-file")
    func unwrittenAndMalformed() throws {
        #expect(try Fixtures.layout.decodeCardInfo([UInt8](repeating: 0, count: 32)) == nil)
        var record = [UInt8](repeating: 0, count: 24)
        record[20] = 0x77   // no trip kind has code 0x77
        #expect(throws: SocialCardError(.malformedFile, "")) { try Fixtures.layout.decodeTrips([record]) }
        #expect(throws: SocialCardError(.malformedFile, "")) { try Fixtures.layout.decodeStatus([0x80, 0, 0, 0]) }
        #expect(try Fixtures.layout.decodeStatus([0x01, 0x26, 0xE7, 0x01]).isBlocked)
    }

    @Test("the tariff's card state: rides only (not the issue record), counters of the slot's entitlement only")
    func cardState() throws {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 77, products: [.rides(count: 2, per: .day), .free], purse: 300)
        let info = try #require(try Fixtures.layout.decodeCardInfo(plan.cardInfoBytes))
        let ride = TripLogRecord(time: Fixtures.now, deviceID: 9, sequence: 1, route: 3, vehicle: 12, fareKopecks: 0, category: 1,
                                 entitlementSlot: 0, kind: "entry", flags: ["benefitRide"], zone: 1)
        var transfer = ride
        transfer.kind = "transfer"
        transfer.entitlementSlot = nil
        transfer.fareKopecks = 750
        transfer.category = 0
        let issued = try Fixtures.layout.decodeTrips([plan.issuedRecordBytes])[0]
        let contents = SocialCardContents(
            uid: [4, 1, 2, 3, 4, 5, 6], keyVersion: 1, info: info,
            slots: plan.request.entitlements.map { .entitlement($0) }, purseKopecks: 300,
            counters: [UsageCounterRecord(entitlementID: 1, periodStart: Fixtures.today, ridesUsed: 1),
                       UsageCounterRecord(entitlementID: 0, periodStart: CivilDate(daysSinceEpoch: 10_957), ridesUsed: 0)],
            trips: [issued, ride, transfer], status: CardStatus(isBlocked: false, blockedOn: Fixtures.today, blockReason: "none"),
            apduCount: 12)
        let state = contents.cardState
        #expect(state.serial == 77 && state.layoutVersion == 1 && state.purseKopecks == 300 && !state.isBlocked)
        #expect(state.counters == [UsageCounter(entitlementID: 1, periodStart: Fixtures.today, rides: 1)])
        #expect(state.recentTrips.count == 2)
        #expect(state.recentTrips[0].kind == .ride && state.recentTrips[0].entitlementID == 1 && state.recentTrips[0].category == 1)
        #expect(state.recentTrips[1].kind == .transfer && state.recentTrips[1].entitlementID == nil && state.recentTrips[1].fareKopecks == 750)
        #expect(contents.entitlements == plan.request.entitlements)
    }
}

import AccountingCore
import Entitlements
import Identifiers
import Testing

@Suite("Reference data CSV files and values")
struct ReferenceCSVTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func creditsReadWithEitherSeparatorABomQuotesAndCRLF() throws {
        let semicolons = "\u{FEFF}card;amount;credited_at;reference\r\n00BB-0000-0000-0001;150,50;2026-11-03T10:15:00+02:00;\"квитанція 1; каса \"\"А\"\"\"\r\n\r\n"
        let commas = "reference,card,credited_at,amount\n\"квитанція 1; каса \"\"А\"\"\",00bb000000000001,1793693700,150.5\n"
        let expected = [
            PurseCredit(
                card: CardSerial(0x00BB_0000_0000_0001), amountKopecks: 15_050, creditedAt: UnixTime(1_793_693_700), source: "import",
                reference: "квитанція 1; каса \"А\"")
        ]
        #expect(try ReferenceCSV.purseCredits(from: Self.bytes(semicolons)) == expected)
        #expect(try ReferenceCSV.purseCredits(from: Self.bytes(commas)) == expected)
    }

    @Test func everyBadLineIsNamedAndNoRowIsReturned() {
        let text = """
            card,amount,credited_at,reference
            00BB-0000-0000-0001,100,2026-11-03T10:15:00Z,r1
            00BB-0000-0000-0002,1.234,2026-11-03T10:15:00Z,r2
            00BB-0000-0000-0003,100,2026-11-03 10:15,r3
            00BB-0000-0000-0001,100,2026-11-03T10:15:00Z,r1
            00BB-0000-0000-0004,100
            00BB-0000-0000-0005,0,2026-11-03T10:15:00Z,r5
            """
        #expect {
            try ReferenceCSV.purseCredits(from: Self.bytes(text))
        } throws: { error in
            guard let refusal = error as? ReferenceCSV.Refusal else { return false }
            #expect(refusal.lines.map(\.line) == [3, 4, 5, 6, 7])
            #expect(refusal.lines[2].english == "the same credit as line 2")
            #expect(refusal.message.hasPrefix("помилка: рядок 3: amount"))
            #expect(refusal.message.contains("error: line 6: 2 fields instead of 4"))
            return true
        }
    }

    @Test func aWrongHeaderOrAnUnclosedQuoteIsRefused() {
        #expect(throws: ReferenceCSV.Refusal.self) { try ReferenceCSV.purseCredits(from: Self.bytes("card,amount,reference\n")) }
        #expect(throws: ReferenceCSV.Refusal.self) {
            try ReferenceCSV.purseCredits(from: Self.bytes("card,amount,credited_at,reference\n00BB000000000001,1,1,\"open\n"))
        }
        #expect(throws: ReferenceCSV.Refusal.self) { try ReferenceCSV.purseCredits(from: [0xFF, 0xFE]) }
        #expect(throws: ReferenceCSV.Refusal.self) { try ReferenceCSV.purseCredits(from: []) }
    }

    @Test func entitlementsReadWithTheirProductTerms() throws {
        let text = """
            card;entitlement;category;product;ride_limit;ride_period;discount_percent;valid_from;valid_until
            00BB-0000-0000-0001;5;3;rides;40;month;;2026-01-01;2026-12-31
            00BB-0000-0000-0002;1;1;free;;;;2026-01-01;2030-12-31
            00BB-0000-0000-0003;2;4;discount;;;50;2026-02-01;2026-08-31
            """
        let read = try ReferenceCSV.issuedEntitlements(from: Self.bytes(text))
        #expect(read.map(\.product) == [.rides, .free, .discount])
        #expect(read[0].rideLimit == 40 && read[0].ridePeriod == .month)
        #expect(read[2].discountPercent == 50)
        let bad = text + "\n00BB-0000-0000-0004;3;1;free;5;;;2026-01-01;2026-12-31\n00BB-0000-0000-0005;3;1;pass;;;;2026-12-01;2026-01-01"
        #expect {
            try ReferenceCSV.issuedEntitlements(from: Self.bytes(bad))
        } throws: { error in
            (error as? ReferenceCSV.Refusal)?.lines.map(\.line) == [5, 6]
        }
    }

    @Test(arguments: [
        ("1793693700", Int64?(1_793_693_700)), ("2026-11-03T10:15:00+02:00", 1_793_693_700), ("2026-11-03 08:15Z", 1_793_693_700),
        ("2026-11-03T10:15:00-01:30", 1_793_706_300), ("2026-11-03T10:15:00", nil), ("2026-11-03T25:15:00Z", nil), ("-5", nil), ("", nil),
    ])
    func timesNeedAnOffset(text: String, seconds: Int64?) {
        #expect(ReferenceTime.parse(text)?.rawValue == seconds)
    }

    @Test(arguments: [("150", Int64?(15_000)), ("150,5", 15_050), ("0.07", 7), ("1.234", nil), (",50", nil), ("-1", nil), ("1 000", nil)])
    func hryvniasBecomeKopecks(text: String, kopecks: Int64?) {
        #expect(ReferenceCSV.kopecks(hryvnias: text) == kopecks)
    }

    @Test func edrpouCheckDigitsAndOverlaps() throws {
        #expect(EDRPOU.isValid("14360570") && EDRPOU.isValid("00032129") && EDRPOU.isValid("32855961"))
        #expect(!EDRPOU.isValid("14360571") && !EDRPOU.isValid("1436057") && !EDRPOU.isValid("1436057a"))
        let open = DeviceAssignment(device: 1, vehicle: 1, carrier: 1, validFrom: UnixTime(100), validUntil: nil)
        let spans = try DeviceAssignment.adding(
            DeviceAssignment(device: 1, vehicle: 2, carrier: 1, validFrom: UnixTime(200), validUntil: nil), to: [open], closingOpenSpan: true)
        #expect(spans.map(\.validUntil) == [UnixTime(200), nil])
        #expect(throws: ReferenceDataError(.assignmentOverlap, uk: "", en: "")) {
            try DeviceAssignment.adding(
                DeviceAssignment(device: 1, vehicle: 3, carrier: 1, validFrom: UnixTime(50), validUntil: UnixTime(101)), to: spans, closingOpenSpan: true)
        }
        // Touching ends do not overlap (the end is exclusive).
        #expect(try DeviceAssignment.adding(
            DeviceAssignment(device: 1, vehicle: 3, carrier: 1, validFrom: UnixTime(50), validUntil: UnixTime(100)), to: spans, closingOpenSpan: true).count == 3)
    }
}

import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Testing

@testable import Reconciliation

@Suite struct ClaimFileTests {
    let nov3 = CivilDate(year: 2026, month: 11, day: 3)!

    /// What Excel writes in a Ukrainian locale: BOM, `;`, decimal comma, a Ukrainian header.
    @Test func excelUkrainian() throws {
        let text = "\u{FEFF}Маршрут;Дата;Категорія;Поїздки;Сума\r\n1;03.11.2026;1;12;\"1 234,50\"\r\n2;2026-11-04;2;3;45,5\r\n\r\n"
        let lines = try CarrierClaimFile.parse(Array(text.utf8), carrier: 7)
        #expect(lines == [
            ClaimLine(carrier: 7, route: 1, date: nov3, category: 1, rides: 12, amountKopecks: 123_450, sourceLine: 2),
            ClaimLine(carrier: 7, route: 2, date: nov3.adding(days: 1), category: 2, rides: 3, amountKopecks: 4550, sourceLine: 3),
        ])
    }

    /// Comma-separated, decimal point, no BOM, no header.
    @Test func commaAndPoint() throws {
        let lines = try CarrierClaimFile.parse(Array("1,2026-11-03,1,2,30.00\n1,2026-11-03,2,1,\"15,00\"\n".utf8), carrier: 1)
        #expect(lines.map(\.amountKopecks) == [3000, 1500])
        #expect(lines.map(\.sourceLine) == [1, 2])
    }

    /// A header in another order is followed.
    @Test func headerInAnyOrder() throws {
        let lines = try CarrierClaimFile.parse(Array("amount;rides;category;date;route\n15;1;2;2026-11-03;9\n".utf8), carrier: 1)
        #expect(lines == [ClaimLine(carrier: 1, route: 9, date: nov3, category: 2, rides: 1, amountKopecks: 1500, sourceLine: 2)])
    }

    @Test(arguments: [
        ("1;2026-11-03;1;2\n", 1, "fields"),
        ("route;date;category;rides;amount\n1;2026-11-03;1;2;30\nx;2026-11-03;1;2;30\n", 3, "route"),
        ("1;31.11.2026;1;2;30\n", 1, "date"),
        ("1;2026-11-03;1;-2;30\n", 1, "rides"),
        ("1;2026-11-03;1;2;30,005\n", 1, "amount"),
        ("1;2026-11-03;1;2;1.234,50\n", 1, "amount"),
        ("1;2026-11-03;1;2;-30\n", 1, "amount"),
        ("1,2026-11-03,1,2,30,50\n", 1, "unexpected field"),
        ("1;2026-11-03;1;2;\"30\n", 1, "quoted"),
        ("\n\nroute;date;kind;rides;amount\n", 3, "category"),
    ])
    func errorsNameTheLine(_ text: String, _ line: Int, _ word: String) {
        do {
            _ = try CarrierClaimFile.parse(Array(text.utf8), carrier: 1)
            Issue.record("accepted \(text)")
        } catch let error as ReconciliationError {
            #expect(error.code == .invalidClaim)
            #expect(error.reason.hasPrefix("line \(line):"), "\(error.reason)")
            #expect(error.reason.contains(word), "\(error.reason)")
        } catch {
            Issue.record(error)
        }
    }

    @Test func notUTF8() {
        let bytes = Array("1;2026-11-03;1;2;30\n".utf8) + [0xFF, 0x3B, 0x0A]
        #expect(throws: ReconciliationError(.invalidClaim, "")) { try CarrierClaimFile.parse(bytes, carrier: 1) }
    }

    @Test func emptyFileIsAnEmptyClaim() throws {
        #expect(try CarrierClaimFile.parse([0xEF, 0xBB, 0xBF], carrier: 1).isEmpty)
        #expect(try CarrierClaimFile.parse([], carrier: 1).isEmpty)
    }
}

@Suite struct ActTests {
    let card: CardSerial = 0x00AA_0000_0000_0040
    let nov1 = CivilDate(year: 2026, month: 11, day: 1)!

    /// The carrier claims 3 rides where we count 2 and one more was left out (deny-listed):
    /// the variance names the left-out entry.
    @Test func actWithVariance() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        bus.benefit(card, at: Town.morning + hour)
        let denied = bus.benefit(0x66, at: Town.morning + 2 * hour)
        var reference = Town.reference()
        reference.denyListings = [DenyListing(card: 0x66, reason: "fraud", reportedAt: Town.since, effectiveAt: Town.since, bundleVersion: 1)]
        reference.payments = [
            CarrierPayment(carrier: 1, paidOn: nov1.adding(days: 9), amountKopecks: 50_000, reference: "ПД-311"),
            CarrierPayment(carrier: 1, paidOn: nov1.adding(days: -1), amountKopecks: 99_999, reference: "ПД-290"),
        ]
        let claims = [
            ClaimLine(carrier: 1, route: 1, date: nov1, category: 1, rides: 3, amountKopecks: 4500, sourceLine: 2),
            ClaimLine(carrier: 1, route: 1, date: nov1.adding(days: 1), category: 2, rides: 1, amountKopecks: 1500, sourceLine: 3),
        ]
        var input = Town.input([bus], reference: reference, claims: claims)
        input.opening = OpeningBalances(carrierDebtKopecks: [1: 60_000])
        let report = reconcile(input)
        let act = report.acts.first { $0.carrier.id == 1 }!
        #expect(act.carrier == Town.carrierA)
        #expect(act.openingDebtKopecks == 60_000 && act.accruedKopecks == 3000 && act.paidKopecks == 50_000)
        #expect(act.closingDebtKopecks == 60_000 + 3000 - 50_000)
        #expect(act.payments.map(\.reference) == ["ПД-311"])
        #expect(act.hasClaim && act.claimedKopecks == 6000)
        #expect(act.variances.count == 2)
        let first = act.variances[0]
        #expect(first.ourRides == 2 && first.claimedRides == 3 && first.rideDifference == 1 && first.amountDifferenceKopecks == 1500)
        #expect(first.explainingEntries == [denied] && first.explainingReasons == [.denyListed])
        #expect(first.claimLines == [2])
        let second = act.variances[1]
        #expect(second.ourRides == 0 && second.claimedRides == 1 && second.explainingEntries.isEmpty)
        // Carrier B has nothing but still gets its (empty) act.
        #expect(report.acts.map(\.carrier.id) == [1, 2])
    }

    @Test func budgetAndForecast() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        bus.benefit(card, at: Town.morning + hour, category: 2)
        var reference = Town.reference()
        reference.programme = CompensationProgramme(
            year: 2026, lines: [.init(category: 1, budgetKopecks: 100_000, monthlyCapKopecks: 1000), .init(category: 3, budgetKopecks: 50_000)])
        reference.payments = [CarrierPayment(carrier: 1, paidOn: CivilDate(year: 2026, month: 3, day: 1)!, amountKopecks: 7000, reference: "ПД-1")]
        var input = Town.input([bus], reference: reference)
        input.opening = OpeningBalances(accruedThisYearKopecks: [1: 90_000])
        let budget = reconcile(input).budget!
        #expect(budget.year == 2026)
        #expect(budget.lines.map(\.category) == [1, 2, 3])
        let pensioners = budget.lines[0]
        #expect(pensioners.accruedBeforeKopecks == 90_000 && pensioners.accruedInPeriodKopecks == 1500)
        // 91 500 over the 334 days to 30 November, for 365 days: 99 993 (rounded half up).
        #expect(pensioners.forecastYearKopecks == (91_500 * 365 * 2 + 334) / (2 * 334))
        #expect(pensioners.overMonthlyCap && !pensioners.forecastOverBudget)
        #expect(budget.lines[1].budgetKopecks == 0 && budget.lines[1].forecastOverBudget)
        #expect(budget.lines[2].accruedInPeriodKopecks == 0 && !budget.lines[2].forecastOverBudget)
        #expect(budget.budgetKopecks == 150_000 && budget.accruedToDateKopecks == 93_000 && budget.paidToDateKopecks == 7000)
    }
}

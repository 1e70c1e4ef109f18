#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PropertyBased
import PropertyTesting
import Testing

@testable import Reconciliation

@Suite struct ReportModelTests {
    /// The codes are part of the outputs (CSV, JSON) and of old reports: renaming one must be a
    /// deliberate change of this list.
    @Test func exceptionCodesAreStable() {
        #expect(ExceptionKind.allCases.map(\.rawValue) == [
            "sequence-gap", "not-receipted", "tamper-alarm", "device-silent", "received-after-close", "upload-delayed", "clock-ahead",
            "clock-adjusted", "pending-unknown", "pending-resolved", "duplicate", "clone-two-vehicles", "clone-purse-rose", "forged-credit",
            "clone-counter-backwards",
            "ride-after-deny-listing", "over-ride-limit", "entitlement-not-valid", "device-not-assigned",
        ])
        #expect(ExclusionReason.allCases.map(\.rawValue) == [
            "device-not-assigned", "no-tariff", "category-not-in-tariff", "duplicate", "deny-listed", "entitlement-not-issued",
            "entitlement-expired", "over-ride-limit", "pending-unknown",
        ])
    }

    @Test func everyKindAndReasonHasBothTexts() {
        for kind in ExceptionKind.allCases { #expect(!kind.title.uk.isEmpty && !kind.title.en.isEmpty && kind.title.uk != kind.title.en) }
        for reason in ExclusionReason.allCases { #expect(!reason.text.uk.isEmpty && !reason.text.en.isEmpty && reason.text.uk != reason.text.en) }
    }

    @Test func money() {
        #expect(Money.uk(123_450) == "1234,50 грн" && Money.en(123_450) == "UAH 1234.50")
        #expect(Money.uk(5) == "0,05 грн" && Money.en(-1500) == "UAH -15.00")
    }

    @Test("a report survives a JSON round trip unchanged")
    func jsonRoundTrip() async {
        await propertyCheck(count: 40, input: Gen.uint64()) { seed in
            await failOnThrow {
                let report = reconcile(RandomMonth.input(seed: seed).0)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let data = try encoder.encode(report)
                #expect(try JSONDecoder().decode(ReconciliationReport.self, from: data) == report, "seed \(seed)")
                #expect(try encoder.encode(reconcile(RandomMonth.input(seed: seed).0)) == data, "seed \(seed)")
            }
        }
    }
}

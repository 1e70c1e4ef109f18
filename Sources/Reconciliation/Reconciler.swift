import AccountingCore
import Entitlements
import Identifiers
import LedgerCore

/// Runs the rules in order over one input. Internal: `reconcile(_:)` is the entry point.
struct Reconciler {
    let input: ReconciliationInput

    func report() -> ReconciliationReport {
        let empty = CardUsage(category: nil, activeCards: 0, rides: 0, averageRidesPerCardHundredths: 0, distribution: [])
        return ReconciliationReport(
            period: input.period, closedAt: input.close, lines: [], totalsByCarrier: [], totalsByCategory: [], totalsByRoute: [],
            total: CompensationTotal(key: 0), budget: nil, excluded: [], exceptions: [], cards: CardStatistics(all: empty, byCategory: []),
            acts: [], late: [], coverage: [], tariffVersionsUsed: [])
    }
}

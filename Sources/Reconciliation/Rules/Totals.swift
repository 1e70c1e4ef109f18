import AccountingCore
import Identifiers

/// Totals over compensation lines: each is the sum of the lines with its key, so the totals
/// always equal the sum of the lines (a property test holds this).
struct Totals {
    var byCarrier: [CompensationTotal<CarrierID>]
    var byCategory: [CompensationTotal<CategoryCode>]
    var byRoute: [CompensationTotal<CarrierRoute>]
    var all: CompensationTotal<Int>

    init(lines: [CompensationLine]) {
        byCarrier = Totals.sum(lines) { $0.carrier }
        byCategory = Totals.sum(lines) { $0.category }
        byRoute = Totals.sum(lines) { CarrierRoute(carrier: $0.carrier, route: $0.route) }
        all = Totals.sum(lines) { _ in 0 }.first ?? CompensationTotal(key: 0)
    }

    static func sum<Key>(_ lines: [CompensationLine], by key: (CompensationLine) -> Key) -> [CompensationTotal<Key>] {
        var totals: [Key: CompensationTotal<Key>] = [:]
        for line in lines {
            let k = key(line)
            var total = totals[k] ?? CompensationTotal(key: k)
            total.rides += line.rides
            total.fullFareKopecks += line.fullFareKopecks
            total.paidKopecks += line.paidKopecks
            total.compensationKopecks += line.compensationKopecks
            totals[k] = total
        }
        return totals.values.sorted { $0.key < $1.key }
    }
}

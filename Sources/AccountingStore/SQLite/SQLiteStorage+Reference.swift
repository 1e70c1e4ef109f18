import AccountingCore
import Bundles
import Entitlements
import Identifiers
import SQLiteSupport

// The reference data in SQLite. Every write checks and writes inside one IMMEDIATE transaction
// on the actor's connection, so a check (an overlap, a duplicate) and the write it allows see
// the same rows.
extension SQLiteStorage {
    // MARK: Bundle effects

    /// What storing a new bundle means for the reference data; runs inside `storeBundle`'s transaction.
    func recordEffects(of bundle: StoredBundle) throws {
        switch bundle.kind {
        case .tariff:
            try run(
                "INSERT INTO tariff_periods (version, effective_from) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [.integer(Int64(bundle.version)), .integer(bundle.uploadedAt.rawValue)])
        case .denyList:
            for serial in ReferenceChecks.deniedCards(in: bundle.bytes) ?? [] {
                try run(
                    "UPDATE deny_list_requests SET effective_at = ?, bundle_version = ? WHERE card_serial = ? AND effective_at IS NULL",
                    [.integer(bundle.uploadedAt.rawValue), .integer(Int64(bundle.version)), .text(serial)])
            }
        case .trust: break
        }
    }

    // MARK: Carriers and routes

    public func addCarrier(_ carrier: Carrier) throws {
        try carrier.validate()
        try writeTransaction { _ in
            guard try count("SELECT count(*) FROM carriers WHERE carrier_id = ? OR edrpou = ?", [.integer(Int64(carrier.id.rawValue)), .text(carrier.edrpou)]) == 0
            else { throw ReferenceChecks.duplicateCarrier(carrier) }
            try run("INSERT INTO carriers (carrier_id, name, edrpou, contract) VALUES (?, ?, ?, ?)", carrierValues(carrier))
        }
    }

    public func replaceCarrier(_ carrier: Carrier) throws {
        try carrier.validate()
        try writeTransaction { _ in
            guard try carrierExists(carrier.id) else { throw ReferenceChecks.unknownCarrier(carrier.id) }
            guard try count("SELECT count(*) FROM carriers WHERE edrpou = ? AND carrier_id <> ?", [.text(carrier.edrpou), .integer(Int64(carrier.id.rawValue))]) == 0
            else { throw ReferenceChecks.duplicateCarrier(carrier) }
            try run("UPDATE carriers SET name = ?, edrpou = ?, contract = ? WHERE carrier_id = ?", Array(carrierValues(carrier).dropFirst()) + [.integer(Int64(carrier.id.rawValue))])
        }
    }

    public func carriers() throws -> [Carrier] {
        try rows("SELECT carrier_id, name, edrpou, contract FROM carriers ORDER BY carrier_id") {
            Carrier(id: CarrierID(rawValue: UInt32(truncatingIfNeeded: $0.integer(0))), name: $0.text(1), edrpou: $0.text(2), contract: $0.text(3))
        }
    }

    public func addRoute(_ route: RouteAssignment) throws {
        try route.validate()
        try writeTransaction { _ in
            guard try count("SELECT count(*) FROM routes WHERE route = ?", [.integer(Int64(route.route.rawValue))]) == 0 else {
                throw ReferenceChecks.duplicateRoute(route)
            }
            guard try carrierExists(route.carrier) else { throw ReferenceChecks.unknownCarrier(route.carrier) }
            try run("INSERT INTO routes (route, name, carrier_id) VALUES (?, ?, ?)", routeValues(route))
        }
    }

    public func replaceRoute(_ route: RouteAssignment) throws {
        try route.validate()
        try writeTransaction { _ in
            guard try count("SELECT count(*) FROM routes WHERE route = ?", [.integer(Int64(route.route.rawValue))]) == 1 else {
                throw ReferenceDataError.unknown(uk: "маршруту \(route.route) немає", en: "no route \(route.route)")
            }
            guard try carrierExists(route.carrier) else { throw ReferenceChecks.unknownCarrier(route.carrier) }
            try run("UPDATE routes SET name = ?, carrier_id = ? WHERE route = ?", [.text(route.name), .integer(Int64(route.carrier.rawValue)), .integer(Int64(route.route.rawValue))])
        }
    }

    public func routes() throws -> [RouteAssignment] {
        try rows("SELECT route, name, carrier_id FROM routes ORDER BY route") {
            RouteAssignment(
                route: RouteNumber(rawValue: UInt16(truncatingIfNeeded: $0.integer(0))), name: $0.text(1),
                carrier: CarrierID(rawValue: UInt32(truncatingIfNeeded: $0.integer(2))))
        }
    }

    // MARK: Device assignments

    @discardableResult
    public func assignDevice(_ assignment: DeviceAssignment, closingOpenSpan: Bool) throws -> [DeviceAssignment] {
        try writeTransaction { _ in
            guard try carrierExists(assignment.carrier) else { throw ReferenceChecks.unknownCarrier(assignment.carrier) }
            let spans = try DeviceAssignment.adding(assignment, to: try assignments(of: assignment.device), closingOpenSpan: closingOpenSpan)
            try writeSpans(spans, of: assignment.device)
            return spans
        }
    }

    public func replaceDeviceAssignments(of device: DeviceID, with spans: [DeviceAssignment]) throws {
        guard spans.allSatisfy({ $0.device == device }) else {
            throw ReferenceDataError.invalid(uk: "усі періоди мають бути пристрою \(device)", en: "every span must be of device \(device)")
        }
        try DeviceAssignment.validateSpans(spans)
        try writeTransaction { _ in
            for carrier in Set(spans.map(\.carrier)) where try !carrierExists(carrier) { throw ReferenceChecks.unknownCarrier(carrier) }
            try writeSpans(spans, of: device)
        }
    }

    public func deviceAssignments(overlapping period: Range<UnixTime>?) throws -> [DeviceAssignment] {
        let columns = "SELECT device_id, vehicle, carrier_id, valid_from, valid_until FROM device_assignments"
        guard let period else { return try rows("\(columns) ORDER BY device_id, valid_from", [], readAssignment) }
        return try rows(
            "\(columns) WHERE valid_from < ? AND (valid_until IS NULL OR valid_until > ?) ORDER BY device_id, valid_from",
            [.integer(period.upperBound.rawValue), .integer(period.lowerBound.rawValue)], readAssignment)
    }

    private func assignments(of device: DeviceID) throws -> [DeviceAssignment] {
        try rows(
            "SELECT device_id, vehicle, carrier_id, valid_from, valid_until FROM device_assignments WHERE device_id = ? ORDER BY valid_from",
            [.integer(Int64(device.rawValue))], readAssignment)
    }

    /// Replaces the device's rows with `spans` (inside the caller's transaction).
    private func writeSpans(_ spans: [DeviceAssignment], of device: DeviceID) throws {
        try run("DELETE FROM device_assignments WHERE device_id = ?", [.integer(Int64(device.rawValue))])
        for span in spans {
            try run(
                "INSERT INTO device_assignments (device_id, valid_from, valid_until, vehicle, carrier_id) VALUES (?, ?, ?, ?, ?)", [
                    .integer(Int64(device.rawValue)), .integer(span.validFrom.rawValue), span.validUntil.map { .integer($0.rawValue) } ?? .null,
                    .integer(Int64(span.vehicle.rawValue)), .integer(Int64(span.carrier.rawValue)),
                ])
        }
    }

    private func readAssignment(_ row: SQLiteStatement) -> DeviceAssignment {
        DeviceAssignment(
            device: DeviceID(rawValue: UInt32(truncatingIfNeeded: row.integer(0))), vehicle: VehicleID(rawValue: UInt32(truncatingIfNeeded: row.integer(1))),
            carrier: CarrierID(rawValue: UInt32(truncatingIfNeeded: row.integer(2))), validFrom: UnixTime(row.integer(3)),
            validUntil: row.isNull(4) ? nil : UnixTime(row.integer(4)))
    }

    // MARK: Programme and tariff periods

    public func setProgramme(_ programme: CompensationProgramme) throws {
        try programme.validate()
        try writeTransaction { _ in
            try run("DELETE FROM programme_lines WHERE year = ?", [.integer(Int64(programme.year))])
            for line in programme.lines {
                try run(
                    "INSERT INTO programme_lines (year, category, budget_kopecks, monthly_cap_kopecks) VALUES (?, ?, ?, ?)", [
                        .integer(Int64(programme.year)), .integer(Int64(line.category.rawValue)), .integer(line.budgetKopecks),
                        line.monthlyCapKopecks.map { .integer($0) } ?? .null,
                    ])
            }
        }
    }

    public func programme(year: Int) throws -> CompensationProgramme? {
        let lines = try rows(
            "SELECT category, budget_kopecks, monthly_cap_kopecks FROM programme_lines WHERE year = ? ORDER BY category", [.integer(Int64(year))]
        ) {
            CompensationProgramme.Line(
                category: CategoryCode(rawValue: UInt16(truncatingIfNeeded: $0.integer(0))), budgetKopecks: $0.integer(1),
                monthlyCapKopecks: $0.isNull(2) ? nil : $0.integer(2))
        }
        return lines.isEmpty ? nil : CompensationProgramme(year: year, lines: lines)
    }

    public func setTariffPeriod(_ period: TariffPeriod) throws {
        try period.validate()
        try run(
            "INSERT INTO tariff_periods (version, effective_from) VALUES (?, ?) ON CONFLICT (version) DO UPDATE SET effective_from = excluded.effective_from",
            [.integer(Int64(period.version)), .integer(period.effectiveFrom.rawValue)])
    }

    public func tariffPeriods() throws -> [TariffPeriod] {
        try rows("SELECT version, effective_from FROM tariff_periods ORDER BY effective_from, version") {
            TariffPeriod(version: UInt32(truncatingIfNeeded: $0.integer(0)), effectiveFrom: UnixTime($0.integer(1)))
        }
    }

    // MARK: Deny listings

    public func denyListings() throws -> [DenyListing] {
        try rows("SELECT card_serial, reason, reported_at, effective_at, bundle_version FROM deny_list_requests ORDER BY id") { row in
            guard let card = CardSerial(printed: row.text(0)) else { throw StorageError(.inconsistent, "a deny-list report holds no card serial") }
            return DenyListing(
                card: card, reason: row.text(1), reportedAt: UnixTime(row.integer(2)), effectiveAt: row.isNull(3) ? nil : UnixTime(row.integer(3)),
                bundleVersion: row.isNull(4) ? nil : UInt32(truncatingIfNeeded: row.integer(4)))
        }
    }

    // MARK: Credits and entitlements

    public func importPurseCredits(_ credits: [PurseCredit]) throws {
        try ReferenceChecks.uniqueCredits(credits)
        try writeTransaction { _ in
            for credit in credits {
                let key: [SQLiteValue] = [.text(credit.card.printed), .integer(credit.creditedAt.rawValue), .text(credit.reference)]
                guard try count("SELECT count(*) FROM purse_credits WHERE card_serial = ? AND credited_at = ? AND reference = ?", key) == 0 else {
                    throw ReferenceChecks.duplicateCredit(credit)
                }
                try run(
                    "INSERT INTO purse_credits (card_serial, amount_kopecks, credited_at, source, reference) VALUES (?, ?, ?, ?, ?)",
                    [.text(credit.card.printed), .integer(credit.amountKopecks), .integer(credit.creditedAt.rawValue), .text(credit.source), .text(credit.reference)])
            }
        }
    }

    public func purseCredits(in period: Range<UnixTime>?) throws -> [PurseCredit] {
        let columns = "SELECT card_serial, amount_kopecks, credited_at, source, reference FROM purse_credits"
        let read = { (row: SQLiteStatement) throws -> PurseCredit in
            guard let card = CardSerial(printed: row.text(0)) else { throw StorageError(.inconsistent, "a purse credit holds no card serial") }
            return PurseCredit(card: card, amountKopecks: row.integer(1), creditedAt: UnixTime(row.integer(2)), source: row.text(3), reference: row.text(4))
        }
        guard let period else { return try rows("\(columns) ORDER BY credited_at, id", [], read) }
        return try rows(
            "\(columns) WHERE credited_at >= ? AND credited_at < ? ORDER BY credited_at, id",
            [.integer(period.lowerBound.rawValue), .integer(period.upperBound.rawValue)], read)
    }

    public func importIssuedEntitlements(_ entitlements: [IssuedEntitlement]) throws {
        try ReferenceChecks.uniqueEntitlements(entitlements)
        try writeTransaction { _ in
            for entitlement in entitlements {
                try run(
                    """
                    INSERT INTO issued_entitlements (card_serial, entitlement_id, category, product, ride_limit, ride_period, discount_percent,
                      valid_from_day, valid_until_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (card_serial, entitlement_id) DO UPDATE SET category = excluded.category, product = excluded.product,
                      ride_limit = excluded.ride_limit, ride_period = excluded.ride_period, discount_percent = excluded.discount_percent,
                      valid_from_day = excluded.valid_from_day, valid_until_day = excluded.valid_until_day
                    """,
                    [
                        .text(entitlement.card.printed), .integer(Int64(entitlement.entitlement.rawValue)), .integer(Int64(entitlement.category.rawValue)),
                        .integer(Int64(entitlement.product.rawValue)), entitlement.rideLimit.map { .integer(Int64($0)) } ?? .null,
                        entitlement.ridePeriod.map { .integer(Int64($0.rawValue)) } ?? .null,
                        entitlement.discountPercent.map { .integer(Int64($0)) } ?? .null,
                        .integer(Int64(entitlement.validFrom.daysSinceEpoch)), .integer(Int64(entitlement.validUntil.daysSinceEpoch)),
                    ])
            }
        }
    }

    public func issuedEntitlements(of cards: Set<CardSerial>?) throws -> [IssuedEntitlement] {
        let sql = """
            SELECT card_serial, entitlement_id, category, product, ride_limit, ride_period, discount_percent, valid_from_day, valid_until_day
            FROM issued_entitlements
            """
        let read = { (row: SQLiteStatement) throws -> IssuedEntitlement in
            guard let card = CardSerial(printed: row.text(0)), let product = ProductKind(rawValue: UInt8(truncatingIfNeeded: row.integer(3))) else {
                throw StorageError(.inconsistent, "an issued entitlement row does not read back")
            }
            return IssuedEntitlement(
                card: card, entitlement: EntitlementID(rawValue: UInt32(truncatingIfNeeded: row.integer(1))),
                category: CategoryCode(rawValue: UInt16(truncatingIfNeeded: row.integer(2))), product: product,
                rideLimit: row.isNull(4) ? nil : UInt16(truncatingIfNeeded: row.integer(4)),
                ridePeriod: row.isNull(5) ? nil : RidePeriod(rawValue: UInt8(truncatingIfNeeded: row.integer(5))),
                discountPercent: row.isNull(6) ? nil : UInt8(truncatingIfNeeded: row.integer(6)),
                validFrom: CivilDate(daysSinceEpoch: Int32(truncatingIfNeeded: row.integer(7))),
                validUntil: CivilDate(daysSinceEpoch: Int32(truncatingIfNeeded: row.integer(8))))
        }
        guard let cards else { return try rows("\(sql) ORDER BY card_serial, entitlement_id", [], read) }
        var out: [IssuedEntitlement] = []
        // One indexed lookup per card: the cards of a month are thousands, never the whole table.
        for card in cards.sorted() {
            out += try rows("\(sql) WHERE card_serial = ? ORDER BY entitlement_id", [.text(card.printed)], read)
        }
        return out
    }

    // MARK: Payments and closings

    public func addCarrierPayment(_ payment: CarrierPayment) throws {
        try payment.validate()
        try writeTransaction { _ in
            guard try carrierExists(payment.carrier) else { throw ReferenceChecks.unknownCarrier(payment.carrier) }
            guard try count("SELECT count(*) FROM carrier_payments WHERE carrier_id = ? AND reference = ?", [.integer(Int64(payment.carrier.rawValue)), .text(payment.reference)]) == 0
            else { throw ReferenceChecks.duplicatePayment(payment) }
            try run(
                "INSERT INTO carrier_payments (carrier_id, paid_on_day, amount_kopecks, reference) VALUES (?, ?, ?, ?)", [
                    .integer(Int64(payment.carrier.rawValue)), .integer(Int64(payment.paidOn.daysSinceEpoch)), .integer(payment.amountKopecks),
                    .text(payment.reference),
                ])
        }
    }

    public func carrierPayments(from first: CivilDate?, through last: CivilDate?) throws -> [CarrierPayment] {
        try rows(
            "SELECT carrier_id, paid_on_day, amount_kopecks, reference FROM carrier_payments WHERE paid_on_day >= ? AND paid_on_day <= ? ORDER BY paid_on_day, id",
            [.integer(Int64(first?.daysSinceEpoch ?? Int32.min)), .integer(Int64(last?.daysSinceEpoch ?? Int32.max))]
        ) {
            CarrierPayment(
                carrier: CarrierID(rawValue: UInt32(truncatingIfNeeded: $0.integer(0))), paidOn: CivilDate(daysSinceEpoch: Int32(truncatingIfNeeded: $0.integer(1))),
                amountKopecks: $0.integer(2), reference: $0.text(3))
        }
    }

    public func storePeriodClose(_ close: PeriodClose) throws {
        try close.validate()
        try writeTransaction { _ in
            guard try count("SELECT count(*) FROM period_closes WHERE month = ?", [.text(close.month)]) == 0 else {
                throw ReferenceChecks.alreadyClosed(close.month)
            }
            try run(
                "INSERT INTO period_closes (month, closed_at, record, signature) VALUES (?, ?, ?, ?)",
                [.text(close.month), .integer(close.closedAt.rawValue), .blob(close.record), .blob(close.signature)])
        }
    }

    public func periodClose(month: String) throws -> PeriodClose? {
        try rows("SELECT month, closed_at, record, signature FROM period_closes WHERE month = ?", [.text(month)], readClose).first
    }

    public func periodCloses() throws -> [PeriodClose] {
        try rows("SELECT month, closed_at, record, signature FROM period_closes ORDER BY month", [], readClose)
    }

    private func readClose(_ row: SQLiteStatement) -> PeriodClose {
        PeriodClose(month: row.text(0), closedAt: UnixTime(row.integer(1)), record: row.blob(2), signature: row.blob(3))
    }

    // MARK: Helpers

    private func count(_ sql: String, _ values: [SQLiteValue]) throws -> Int64 {
        try rows(sql, values) { $0.integer(0) }.first ?? 0
    }

    private func carrierExists(_ carrier: CarrierID) throws -> Bool {
        try count("SELECT count(*) FROM carriers WHERE carrier_id = ?", [.integer(Int64(carrier.rawValue))]) == 1
    }

    private func carrierValues(_ carrier: Carrier) -> [SQLiteValue] {
        [.integer(Int64(carrier.id.rawValue)), .text(carrier.name), .text(carrier.edrpou), .text(carrier.contract)]
    }

    private func routeValues(_ route: RouteAssignment) -> [SQLiteValue] {
        [.integer(Int64(route.route.rawValue)), .text(route.name), .integer(Int64(route.carrier.rawValue))]
    }
}

import AccountingCore
import Bundles
import Entitlements
import Identifiers
import Logging
import NIOCore
import PostgresNIO

// The reference data in PostgreSQL. A write whose check reads rows (a duplicate, an overlap, a
// closed month) locks its table first, so two service instances cannot both pass the check:
// reference data changes a few times a month, and serializing those writes costs nothing.
extension PostgresStorage {
    // MARK: Bundle effects

    /// What storing a new bundle means for the reference data; runs inside `storeBundle`'s transaction.
    static func recordEffects(of bundle: StoredBundle, on connection: PostgresConnection, logger: Logger) async throws {
        let version = Int64(bundle.version)
        let at = bundle.uploadedAt.rawValue
        switch bundle.kind {
        case .tariff:
            try await connection.query(
                "INSERT INTO tariff_periods (version, effective_from) VALUES (\(version), \(at)) ON CONFLICT DO NOTHING", logger: logger)
        case .denyList:
            let serials = ReferenceChecks.deniedCards(in: bundle.bytes) ?? []
            guard !serials.isEmpty else { return }
            try await connection.query(
                "UPDATE deny_list_requests SET effective_at = \(at), bundle_version = \(version) WHERE card_serial = ANY(\(serials)) AND effective_at IS NULL",
                logger: logger)
        case .trust: break
        }
    }

    /// Runs `body` in a transaction that first locks `table` against other writers.
    private func locked<Result: Sendable>(_ table: String, _ body: (PostgresConnection, Logger) async throws -> Result) async throws -> Result {
        let logger = self.logger
        do {
            return try await pool().withTransaction(logger: logger) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(table) IN SHARE ROW EXCLUSIVE MODE"), logger: logger)
                return try await body(connection, logger)
            }
        } catch let failure as PostgresTransactionError {
            // A refusal raised inside the transaction (which was rolled back) is answered as itself.
            if let refusal = failure.closureError as? ReferenceDataError, failure.rollbackError == nil { throw refusal }
            throw failure
        }
    }

    private static func count(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        for try await value in try await connection.query(query, logger: logger).decode(Int64.self) { return value }
        return 0
    }

    private static func carrierExists(_ carrier: CarrierID, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let id = Int64(carrier.rawValue)
        return try await count("SELECT count(*) FROM carriers WHERE carrier_id = \(id)", on: connection, logger: logger) == 1
    }

    // MARK: Carriers and routes

    public func addCarrier(_ carrier: Carrier) async throws {
        try carrier.validate()
        let (id, name, edrpou, contract) = (Int64(carrier.id.rawValue), carrier.name, carrier.edrpou, carrier.contract)
        try await locked("carriers") { connection, logger in
            guard try await Self.count("SELECT count(*) FROM carriers WHERE carrier_id = \(id) OR edrpou = \(edrpou)", on: connection, logger: logger) == 0
            else { throw ReferenceChecks.duplicateCarrier(carrier) }
            try await connection.query(
                "INSERT INTO carriers (carrier_id, name, edrpou, contract) VALUES (\(id), \(name), \(edrpou), \(contract))", logger: logger)
        }
    }

    public func replaceCarrier(_ carrier: Carrier) async throws {
        try carrier.validate()
        let (id, name, edrpou, contract) = (Int64(carrier.id.rawValue), carrier.name, carrier.edrpou, carrier.contract)
        try await locked("carriers") { connection, logger in
            guard try await Self.carrierExists(carrier.id, on: connection, logger: logger) else { throw ReferenceChecks.unknownCarrier(carrier.id) }
            guard try await Self.count("SELECT count(*) FROM carriers WHERE edrpou = \(edrpou) AND carrier_id <> \(id)", on: connection, logger: logger) == 0
            else { throw ReferenceChecks.duplicateCarrier(carrier) }
            try await connection.query(
                "UPDATE carriers SET name = \(name), edrpou = \(edrpou), contract = \(contract) WHERE carrier_id = \(id)", logger: logger)
        }
    }

    public func carriers() async throws -> [Carrier] {
        var out: [Carrier] = []
        for try await (id, name, edrpou, contract) in try await pool().query(
            "SELECT carrier_id, name, edrpou, contract FROM carriers ORDER BY carrier_id", logger: logger
        ).decode((Int64, String, String, String).self) {
            out.append(Carrier(id: CarrierID(rawValue: UInt32(truncatingIfNeeded: id)), name: name, edrpou: edrpou, contract: contract))
        }
        return out
    }

    public func addRoute(_ route: RouteAssignment) async throws {
        try route.validate()
        let (number, name, carrier) = (Int64(route.route.rawValue), route.name, Int64(route.carrier.rawValue))
        try await locked("routes") { connection, logger in
            guard try await Self.count("SELECT count(*) FROM routes WHERE route = \(number)", on: connection, logger: logger) == 0 else {
                throw ReferenceChecks.duplicateRoute(route)
            }
            guard try await Self.carrierExists(route.carrier, on: connection, logger: logger) else { throw ReferenceChecks.unknownCarrier(route.carrier) }
            try await connection.query("INSERT INTO routes (route, name, carrier_id) VALUES (\(number), \(name), \(carrier))", logger: logger)
        }
    }

    public func replaceRoute(_ route: RouteAssignment) async throws {
        try route.validate()
        let (number, name, carrier) = (Int64(route.route.rawValue), route.name, Int64(route.carrier.rawValue))
        try await locked("routes") { connection, logger in
            guard try await Self.count("SELECT count(*) FROM routes WHERE route = \(number)", on: connection, logger: logger) == 1 else {
                throw ReferenceDataError.unknown(uk: "маршруту \(route.route) немає", en: "no route \(route.route)")
            }
            guard try await Self.carrierExists(route.carrier, on: connection, logger: logger) else { throw ReferenceChecks.unknownCarrier(route.carrier) }
            try await connection.query("UPDATE routes SET name = \(name), carrier_id = \(carrier) WHERE route = \(number)", logger: logger)
        }
    }

    public func routes() async throws -> [RouteAssignment] {
        var out: [RouteAssignment] = []
        for try await (route, name, carrier) in try await pool().query(
            "SELECT route, name, carrier_id FROM routes ORDER BY route", logger: logger
        ).decode((Int64, String, Int64).self) {
            out.append(
                RouteAssignment(
                    route: RouteNumber(rawValue: UInt16(truncatingIfNeeded: route)), name: name, carrier: CarrierID(rawValue: UInt32(truncatingIfNeeded: carrier))))
        }
        return out
    }

    // MARK: Device assignments

    @discardableResult
    public func assignDevice(_ assignment: DeviceAssignment, closingOpenSpan: Bool) async throws -> [DeviceAssignment] {
        try await locked("device_assignments") { connection, logger in
            guard try await Self.carrierExists(assignment.carrier, on: connection, logger: logger) else {
                throw ReferenceChecks.unknownCarrier(assignment.carrier)
            }
            let existing = try await Self.readAssignments(
                try await connection.query(
                    "SELECT device_id, vehicle, carrier_id, valid_from, valid_until FROM device_assignments WHERE device_id = \(Int64(assignment.device.rawValue)) ORDER BY valid_from",
                    logger: logger))
            let spans = try DeviceAssignment.adding(assignment, to: existing, closingOpenSpan: closingOpenSpan)
            try await Self.writeSpans(spans, of: assignment.device, on: connection, logger: logger)
            return spans
        }
    }

    public func replaceDeviceAssignments(of device: DeviceID, with spans: [DeviceAssignment]) async throws {
        guard spans.allSatisfy({ $0.device == device }) else {
            throw ReferenceDataError.invalid(uk: "усі періоди мають бути пристрою \(device)", en: "every span must be of device \(device)")
        }
        try DeviceAssignment.validateSpans(spans)
        try await locked("device_assignments") { connection, logger in
            for carrier in Set(spans.map(\.carrier)) {
                guard try await Self.carrierExists(carrier, on: connection, logger: logger) else { throw ReferenceChecks.unknownCarrier(carrier) }
            }
            try await Self.writeSpans(spans, of: device, on: connection, logger: logger)
        }
    }

    public func deviceAssignments(overlapping period: Range<UnixTime>?) async throws -> [DeviceAssignment] {
        let from = period?.lowerBound.rawValue ?? Int64.min
        let until = period?.upperBound.rawValue ?? Int64.max
        return try await Self.readAssignments(
            try await pool().query(
                """
                SELECT device_id, vehicle, carrier_id, valid_from, valid_until FROM device_assignments
                WHERE valid_from < \(until) AND (valid_until IS NULL OR valid_until > \(from)) ORDER BY device_id, valid_from
                """, logger: logger))
    }

    private static func readAssignments(_ rows: PostgresRowSequence) async throws -> [DeviceAssignment] {
        var out: [DeviceAssignment] = []
        for try await (device, vehicle, carrier, from, until) in rows.decode((Int64, Int64, Int64, Int64, Int64?).self) {
            out.append(
                DeviceAssignment(
                    device: DeviceID(rawValue: UInt32(truncatingIfNeeded: device)), vehicle: VehicleID(rawValue: UInt32(truncatingIfNeeded: vehicle)),
                    carrier: CarrierID(rawValue: UInt32(truncatingIfNeeded: carrier)), validFrom: UnixTime(from), validUntil: until.map { UnixTime($0) }))
        }
        return out
    }

    private static func writeSpans(_ spans: [DeviceAssignment], of device: DeviceID, on connection: PostgresConnection, logger: Logger) async throws {
        let id = Int64(device.rawValue)
        try await connection.query("DELETE FROM device_assignments WHERE device_id = \(id)", logger: logger)
        for span in spans {
            let (from, until, vehicle, carrier) = (span.validFrom.rawValue, span.validUntil?.rawValue, Int64(span.vehicle.rawValue), Int64(span.carrier.rawValue))
            try await connection.query(
                "INSERT INTO device_assignments (device_id, valid_from, valid_until, vehicle, carrier_id) VALUES (\(id), \(from), \(until), \(vehicle), \(carrier))",
                logger: logger)
        }
    }

    // MARK: Programme and tariff periods

    public func setProgramme(_ programme: CompensationProgramme) async throws {
        try programme.validate()
        let year = Int64(programme.year)
        let logger = self.logger
        try await pool().withTransaction(logger: logger) { connection in
            try await connection.query("DELETE FROM programme_lines WHERE year = \(year)", logger: logger)
            for line in programme.lines {
                let (category, budget, cap) = (Int64(line.category.rawValue), line.budgetKopecks, line.monthlyCapKopecks)
                try await connection.query(
                    "INSERT INTO programme_lines (year, category, budget_kopecks, monthly_cap_kopecks) VALUES (\(year), \(category), \(budget), \(cap))",
                    logger: logger)
            }
        }
    }

    public func programme(year: Int) async throws -> CompensationProgramme? {
        let wanted = Int64(year)
        var lines: [CompensationProgramme.Line] = []
        for try await (category, budget, cap) in try await pool().query(
            "SELECT category, budget_kopecks, monthly_cap_kopecks FROM programme_lines WHERE year = \(wanted) ORDER BY category", logger: logger
        ).decode((Int64, Int64, Int64?).self) {
            lines.append(.init(category: CategoryCode(rawValue: UInt16(truncatingIfNeeded: category)), budgetKopecks: budget, monthlyCapKopecks: cap))
        }
        return lines.isEmpty ? nil : CompensationProgramme(year: year, lines: lines)
    }

    public func setTariffPeriod(_ period: TariffPeriod) async throws {
        try period.validate()
        let (version, from) = (Int64(period.version), period.effectiveFrom.rawValue)
        try await pool().query(
            "INSERT INTO tariff_periods (version, effective_from) VALUES (\(version), \(from)) ON CONFLICT (version) DO UPDATE SET effective_from = excluded.effective_from",
            logger: logger)
    }

    public func tariffPeriods() async throws -> [TariffPeriod] {
        var out: [TariffPeriod] = []
        for try await (version, from) in try await pool().query(
            "SELECT version, effective_from FROM tariff_periods ORDER BY effective_from, version", logger: logger
        ).decode((Int64, Int64).self) {
            out.append(TariffPeriod(version: UInt32(truncatingIfNeeded: version), effectiveFrom: UnixTime(from)))
        }
        return out
    }

    // MARK: Deny listings

    public func denyListings() async throws -> [DenyListing] {
        var out: [DenyListing] = []
        for try await (serial, reason, reported, effective, version) in try await pool().query(
            "SELECT card_serial, reason, reported_at, effective_at, bundle_version FROM deny_list_requests ORDER BY id", logger: logger
        ).decode((String, String, Int64, Int64?, Int64?).self) {
            guard let card = CardSerial(printed: serial) else { throw StorageError(.inconsistent, "a deny-list report holds no card serial") }
            out.append(
                DenyListing(
                    card: card, reason: reason, reportedAt: UnixTime(reported), effectiveAt: effective.map { UnixTime($0) },
                    bundleVersion: version.map { UInt32(truncatingIfNeeded: $0) }))
        }
        return out
    }

    // MARK: Credits and entitlements

    public func importPurseCredits(_ credits: [PurseCredit]) async throws {
        try ReferenceChecks.uniqueCredits(credits)
        try await locked("purse_credits") { connection, logger in
            for credit in credits {
                let (card, amount, at, source, reference) = (credit.card.printed, credit.amountKopecks, credit.creditedAt.rawValue, credit.source, credit.reference)
                guard try await Self.count(
                    "SELECT count(*) FROM purse_credits WHERE card_serial = \(card) AND credited_at = \(at) AND reference = \(reference)",
                    on: connection, logger: logger) == 0
                else { throw ReferenceChecks.duplicateCredit(credit) }
                try await connection.query(
                    "INSERT INTO purse_credits (card_serial, amount_kopecks, credited_at, source, reference) VALUES (\(card), \(amount), \(at), \(source), \(reference))",
                    logger: logger)
            }
        }
    }

    public func purseCredits(in period: Range<UnixTime>?) async throws -> [PurseCredit] {
        let from = period?.lowerBound.rawValue ?? Int64.min
        let until = period?.upperBound.rawValue ?? Int64.max
        // An open period includes the very last instant too.
        let inclusiveEnd = period == nil
        var out: [PurseCredit] = []
        for try await (serial, amount, at, source, reference) in try await pool().query(
            """
            SELECT card_serial, amount_kopecks, credited_at, source, reference FROM purse_credits
            WHERE credited_at >= \(from) AND (credited_at < \(until) OR \(inclusiveEnd)) ORDER BY credited_at, id
            """, logger: logger
        ).decode((String, Int64, Int64, String, String).self) {
            guard let card = CardSerial(printed: serial) else { throw StorageError(.inconsistent, "a purse credit holds no card serial") }
            out.append(PurseCredit(card: card, amountKopecks: amount, creditedAt: UnixTime(at), source: source, reference: reference))
        }
        return out
    }

    public func importIssuedEntitlements(_ entitlements: [IssuedEntitlement]) async throws {
        try ReferenceChecks.uniqueEntitlements(entitlements)
        let logger = self.logger
        try await pool().withTransaction(logger: logger) { connection in
            for entitlement in entitlements {
                let card = entitlement.card.printed
                let (number, category, product) = (Int64(entitlement.entitlement.rawValue), Int64(entitlement.category.rawValue), Int64(entitlement.product.rawValue))
                let limit = entitlement.rideLimit.map(Int64.init)
                let period = entitlement.ridePeriod.map { Int64($0.rawValue) }
                let discount = entitlement.discountPercent.map(Int64.init)
                let (from, until) = (Int64(entitlement.validFrom.daysSinceEpoch), Int64(entitlement.validUntil.daysSinceEpoch))
                try await connection.query(
                    """
                    INSERT INTO issued_entitlements (card_serial, entitlement_id, category, product, ride_limit, ride_period, discount_percent,
                      valid_from_day, valid_until_day) VALUES (\(card), \(number), \(category), \(product), \(limit), \(period), \(discount), \(from), \(until))
                    ON CONFLICT (card_serial, entitlement_id) DO UPDATE SET category = excluded.category, product = excluded.product,
                      ride_limit = excluded.ride_limit, ride_period = excluded.ride_period, discount_percent = excluded.discount_percent,
                      valid_from_day = excluded.valid_from_day, valid_until_day = excluded.valid_until_day
                    """, logger: logger)
            }
        }
    }

    public func issuedEntitlements(of cards: Set<CardSerial>?) async throws -> [IssuedEntitlement] {
        let all = cards == nil
        let serials = (cards ?? []).map(\.printed)
        var out: [IssuedEntitlement] = []
        for try await (serial, number, category, product, limit, period, discount, from, until) in try await pool().query(
            """
            SELECT card_serial, entitlement_id, category, product, ride_limit, ride_period, discount_percent, valid_from_day, valid_until_day
            FROM issued_entitlements WHERE \(all) OR card_serial = ANY(\(serials)) ORDER BY card_serial, entitlement_id
            """, logger: logger
        ).decode((String, Int64, Int64, Int64, Int64?, Int64?, Int64?, Int64, Int64).self) {
            guard let card = CardSerial(printed: serial), let kind = ProductKind(rawValue: UInt8(truncatingIfNeeded: product)) else {
                throw StorageError(.inconsistent, "an issued entitlement row does not read back")
            }
            out.append(
                IssuedEntitlement(
                    card: card, entitlement: EntitlementID(rawValue: UInt32(truncatingIfNeeded: number)),
                    category: CategoryCode(rawValue: UInt16(truncatingIfNeeded: category)), product: kind,
                    rideLimit: limit.map { UInt16(truncatingIfNeeded: $0) }, ridePeriod: period.flatMap { RidePeriod(rawValue: UInt8(truncatingIfNeeded: $0)) },
                    discountPercent: discount.map { UInt8(truncatingIfNeeded: $0) }, validFrom: CivilDate(daysSinceEpoch: Int32(truncatingIfNeeded: from)),
                    validUntil: CivilDate(daysSinceEpoch: Int32(truncatingIfNeeded: until))))
        }
        return out
    }

    // MARK: Payments and closings

    public func addCarrierPayment(_ payment: CarrierPayment) async throws {
        try payment.validate()
        let (carrier, day, amount, reference) = (Int64(payment.carrier.rawValue), Int64(payment.paidOn.daysSinceEpoch), payment.amountKopecks, payment.reference)
        try await locked("carrier_payments") { connection, logger in
            guard try await Self.carrierExists(payment.carrier, on: connection, logger: logger) else { throw ReferenceChecks.unknownCarrier(payment.carrier) }
            guard try await Self.count(
                "SELECT count(*) FROM carrier_payments WHERE carrier_id = \(carrier) AND reference = \(reference)", on: connection, logger: logger) == 0
            else { throw ReferenceChecks.duplicatePayment(payment) }
            try await connection.query(
                "INSERT INTO carrier_payments (carrier_id, paid_on_day, amount_kopecks, reference) VALUES (\(carrier), \(day), \(amount), \(reference))",
                logger: logger)
        }
    }

    public func carrierPayments(from first: CivilDate?, through last: CivilDate?) async throws -> [CarrierPayment] {
        let (from, through) = (Int64(first?.daysSinceEpoch ?? Int32.min), Int64(last?.daysSinceEpoch ?? Int32.max))
        var out: [CarrierPayment] = []
        for try await (carrier, day, amount, reference) in try await pool().query(
            "SELECT carrier_id, paid_on_day, amount_kopecks, reference FROM carrier_payments WHERE paid_on_day >= \(from) AND paid_on_day <= \(through) ORDER BY paid_on_day, id",
            logger: logger
        ).decode((Int64, Int64, Int64, String).self) {
            out.append(
                CarrierPayment(
                    carrier: CarrierID(rawValue: UInt32(truncatingIfNeeded: carrier)), paidOn: CivilDate(daysSinceEpoch: Int32(truncatingIfNeeded: day)),
                    amountKopecks: amount, reference: reference))
        }
        return out
    }

    public func storePeriodClose(_ close: PeriodClose) async throws {
        try close.validate()
        let (month, at, record, signature) = (close.month, close.closedAt.rawValue, buffer(close.record), buffer(close.signature))
        try await locked("period_closes") { connection, logger in
            guard try await Self.count("SELECT count(*) FROM period_closes WHERE month = \(month)", on: connection, logger: logger) == 0 else {
                throw ReferenceChecks.alreadyClosed(month)
            }
            try await connection.query(
                "INSERT INTO period_closes (month, closed_at, record, signature) VALUES (\(month), \(at), \(record), \(signature))", logger: logger)
        }
    }

    public func periodClose(month: String) async throws -> PeriodClose? {
        try await readCloses(try await pool().query("SELECT month, closed_at, record, signature FROM period_closes WHERE month = \(month)", logger: logger)).first
    }

    public func periodCloses() async throws -> [PeriodClose] {
        try await readCloses(try await pool().query("SELECT month, closed_at, record, signature FROM period_closes ORDER BY month", logger: logger))
    }

    private func readCloses(_ rows: PostgresRowSequence) async throws -> [PeriodClose] {
        var out: [PeriodClose] = []
        for try await (month, at, record, signature) in rows.decode((String, Int64, ByteBuffer, ByteBuffer).self) {
            out.append(PeriodClose(month: month, closedAt: UnixTime(at), record: bytes(record), signature: bytes(signature)))
        }
        return out
    }
}

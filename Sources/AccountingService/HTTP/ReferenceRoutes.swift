import AccountingCore
import AccountingStore
import Entitlements
import HTTPTypes
import Hummingbird
import Identifiers
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The admin endpoints of the reference data (docs/openapi.yaml, tag `reference`): carriers,
/// routes, device assignments, programmes, tariff periods, deny listings, purse credits, issued
/// entitlements, carrier payments, month closings.
///
/// Reading needs `readReferenceData` (finance, admin); writing `manageReferenceData` (admin).
/// A body that is not the documented JSON is 400 `malformed-body`; JSON of the documented form
/// whose content is refused is 422 (`invalid-reference`, `unknown-reference`) or 409
/// (`duplicate-reference`, `assignment-overlap`, `period-already-closed`).
enum ReferenceRoutes {
    /// Registers every reference-data route on `router`.
    static func register(on router: Router<AccountingRequestContext>, engine: AccountingEngine) {
        let handlers = ReferenceHandlers(storage: engine.storage)
        let limits = engine.configuration.limits
        let read = router.group().add(middleware: OperatorAuthorizationMiddleware(engine: engine, action: { _ in .readReferenceData }))
        let write = router.group()
            .add(middleware: OperatorAuthorizationMiddleware(engine: engine, action: { _ in .manageReferenceData }))
            .add(middleware: BodyCollectingMiddleware(limits: limits))

        read.get("/v1/carriers") { _, _ in try await handlers.carriers() }
        write.post("/v1/carriers") { _, context in try await handlers.addCarrier(context) }
        write.put("/v1/carriers/:carrier") { _, context in try await handlers.replaceCarrier(context) }

        read.get("/v1/routes") { _, _ in try await handlers.routes() }
        write.post("/v1/routes") { _, context in try await handlers.addRoute(context) }
        write.put("/v1/routes/:route") { _, context in try await handlers.replaceRoute(context) }

        read.get("/v1/device-assignments") { request, _ in try await handlers.deviceAssignments(request) }
        write.post("/v1/device-assignments") { _, context in try await handlers.assignDevice(context) }
        write.put("/v1/device-assignments/:device") { _, context in try await handlers.replaceDeviceAssignments(context) }

        read.get("/v1/programmes/:year") { _, context in try await handlers.programme(context) }
        write.put("/v1/programmes/:year") { _, context in try await handlers.setProgramme(context) }

        read.get("/v1/tariff-periods") { _, _ in try await handlers.tariffPeriods() }
        write.put("/v1/tariff-periods/:version") { _, context in try await handlers.setTariffPeriod(context) }

        read.get("/v1/deny-listings") { _, _ in try await handlers.denyListings() }

        read.get("/v1/purse-credits") { request, _ in try await handlers.purseCredits(request) }
        write.post("/v1/purse-credits") { _, context in try await handlers.importPurseCredits(context) }

        read.get("/v1/issued-entitlements") { request, _ in try await handlers.issuedEntitlements(request) }
        write.post("/v1/issued-entitlements") { _, context in try await handlers.importIssuedEntitlements(context) }

        read.get("/v1/carrier-payments") { request, _ in try await handlers.carrierPayments(request) }
        write.post("/v1/carrier-payments") { _, context in try await handlers.addCarrierPayment(context) }

        read.get("/v1/period-closes") { _, _ in try await handlers.periodCloses() }
    }
}

extension AccountingServiceError {
    /// Refused reference data: 409 for a clash with stored rows, else 422.
    init(refusing refusal: ReferenceDataError) {
        let status: HTTPResponse.Status
        switch refusal.code {
        case .duplicateReference, .assignmentOverlap, .periodAlreadyClosed: status = .conflict
        default: status = .unprocessableContent
        }
        self.init(status, refusal.code, uk: refusal.ukrainian, en: refusal.english, file: refusal.file, line: refusal.line)
    }
}

/// The handlers of `ReferenceRoutes`.
struct ReferenceHandlers: Sendable {
    let storage: any AccountingStorage

    // MARK: Bodies and views

    struct CarrierBody: Codable {
        var name: String
        var edrpou: String
        var contract: String
    }

    struct RouteBody: Codable {
        var name: String
        var carrier: CarrierID
    }

    struct SpansBody: Codable {
        struct Span: Codable {
            var vehicle: VehicleID
            var carrier: CarrierID
            var validFrom: UnixTime
            var validUntil: UnixTime?
        }
        var assignments: [Span]
    }

    struct ProgrammeBody: Codable {
        var lines: [CompensationProgramme.Line]
    }

    struct TariffPeriodBody: Codable {
        var effectiveFrom: UnixTime
    }

    struct CreditsBody: Codable {
        var credits: [PurseCredit]
    }

    struct EntitlementsBody: Codable {
        var entitlements: [IssuedEntitlement]
    }

    struct ImportResult: Codable {
        var stored: Int
    }

    struct PeriodCloseView: Codable {
        var month: String
        var closedAt: UnixTime
        /// Base64 of the closing record.
        var record: String
        /// Hex of the signature.
        var signature: String
    }

    // MARK: Helpers

    /// `body` decoded as `T`; 400 `malformed-body` naming `shape` when it is not that JSON.
    private func decode<T: Decodable>(_ type: T.Type, _ context: AccountingRequestContext, shape: String) throws -> T {
        let body = try context.collectedBody()
        guard let value = try? JSONDecoder().decode(type, from: Data(body)) else {
            throw AccountingServiceError.malformedBody(uk: "очікується JSON \(shape)", en: "expected JSON \(shape)")
        }
        return value
    }

    /// Runs a store call, answering a refusal of the data as 409/422.
    private func refusing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refusal as ReferenceDataError {
            throw AccountingServiceError(refusing: refusal)
        }
    }

    /// The path parameter `name` as a canonical decimal within `T`.
    private func pathNumber<T: FixedWidthInteger>(_ name: String, _ context: AccountingRequestContext, as type: T.Type) throws -> T {
        guard let text = context.parameters.get(name), let number = CanonicalDecimal.uint64(text).flatMap({ T(exactly: $0) }) else {
            throw AccountingServiceError.invalidField(uk: "\(name): ціле число без провідних нулів", en: "\(name): an integer without leading zeros")
        }
        return number
    }

    /// The query parameter `name` as Unix seconds (a canonical decimal), if present.
    private func queryTime(_ name: String, _ request: Request) throws -> UnixTime? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let number = CanonicalDecimal.uint64(text).flatMap({ Int64(exactly: $0) }) else {
            throw AccountingServiceError.invalidField(uk: "\(name): секунди Unix, ціле число", en: "\(name): Unix seconds, an integer")
        }
        return UnixTime(number)
    }

    /// The query parameter `name` as a `YYYY-MM-DD` date, if present.
    private func queryDate(_ name: String, _ request: Request) throws -> CivilDate? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let date = CivilDate(iso: String(text)) else {
            throw AccountingServiceError.invalidField(uk: "\(name): дата РРРР-ММ-ДД", en: "\(name): a YYYY-MM-DD date")
        }
        return date
    }

    /// The period of the `from`/`until` query (each end open when absent); nil when it holds no instant.
    private func queryPeriod(_ request: Request) throws -> Range<UnixTime>?? {
        let from = try queryTime("from", request)
        let until = try queryTime("until", request)
        if from == nil && until == nil { return .some(nil) }
        let lower = from ?? UnixTime(Int64.min)
        let upper = until ?? UnixTime(Int64.max)
        guard lower < upper else { return nil }
        return .some(lower..<upper)
    }

    // MARK: Carriers and routes

    func carriers() async throws -> Response {
        Handlers.json(["carriers": try await storage.carriers()])
    }

    func addCarrier(_ context: AccountingRequestContext) async throws -> Response {
        let carrier = try decode(Carrier.self, context, shape: "{id, name, edrpou, contract}")
        try await refusing { try await storage.addCarrier(carrier) }
        return Handlers.json(carrier, status: .created)
    }

    func replaceCarrier(_ context: AccountingRequestContext) async throws -> Response {
        let id = CarrierID(rawValue: try pathNumber("carrier", context, as: UInt32.self))
        let body = try decode(CarrierBody.self, context, shape: "{name, edrpou, contract}")
        let carrier = Carrier(id: id, name: body.name, edrpou: body.edrpou, contract: body.contract)
        try await refusing { try await storage.replaceCarrier(carrier) }
        return Handlers.json(carrier)
    }

    func routes() async throws -> Response {
        Handlers.json(["routes": try await storage.routes()])
    }

    func addRoute(_ context: AccountingRequestContext) async throws -> Response {
        let route = try decode(RouteAssignment.self, context, shape: "{route, name, carrier}")
        try await refusing { try await storage.addRoute(route) }
        return Handlers.json(route, status: .created)
    }

    func replaceRoute(_ context: AccountingRequestContext) async throws -> Response {
        let number = RouteNumber(rawValue: try pathNumber("route", context, as: UInt16.self))
        let body = try decode(RouteBody.self, context, shape: "{name, carrier}")
        let route = RouteAssignment(route: number, name: body.name, carrier: body.carrier)
        try await refusing { try await storage.replaceRoute(route) }
        return Handlers.json(route)
    }

    // MARK: Device assignments

    func deviceAssignments(_ request: Request) async throws -> Response {
        guard let period = try queryPeriod(request) else { return Handlers.json(["assignments": [DeviceAssignment]()]) }
        return Handlers.json(["assignments": try await storage.deviceAssignments(overlapping: period)])
    }

    func assignDevice(_ context: AccountingRequestContext) async throws -> Response {
        let assignment = try decode(DeviceAssignment.self, context, shape: "{device, vehicle, carrier, validFrom, validUntil?}")
        let spans = try await refusing { try await storage.assignDevice(assignment, closingOpenSpan: true) }
        return Handlers.json(["assignments": spans], status: .created)
    }

    func replaceDeviceAssignments(_ context: AccountingRequestContext) async throws -> Response {
        let device = DeviceID(rawValue: try pathNumber("device", context, as: UInt32.self))
        let body = try decode(SpansBody.self, context, shape: "{assignments: [{vehicle, carrier, validFrom, validUntil?}]}")
        let spans = body.assignments.map {
            DeviceAssignment(device: device, vehicle: $0.vehicle, carrier: $0.carrier, validFrom: $0.validFrom, validUntil: $0.validUntil)
        }
        try await refusing { try await storage.replaceDeviceAssignments(of: device, with: spans) }
        return Handlers.json(["assignments": spans.sorted { $0.validFrom < $1.validFrom }])
    }

    // MARK: Programme and tariff periods

    func programme(_ context: AccountingRequestContext) async throws -> Response {
        let year = try pathNumber("year", context, as: UInt16.self)
        guard let programme = try await storage.programme(year: Int(year)) else {
            throw AccountingServiceError(
                .notFound, .unknownReference, uk: "програми на \(year) рік немає", en: "no programme for \(year)")
        }
        return Handlers.json(programme)
    }

    func setProgramme(_ context: AccountingRequestContext) async throws -> Response {
        let year = try pathNumber("year", context, as: UInt16.self)
        let body = try decode(ProgrammeBody.self, context, shape: "{lines: [{category, budgetKopecks, monthlyCapKopecks?}]}")
        let programme = CompensationProgramme(year: Int(year), lines: body.lines)
        try await refusing { try await storage.setProgramme(programme) }
        return Handlers.json(programme)
    }

    func tariffPeriods() async throws -> Response {
        Handlers.json(["periods": try await storage.tariffPeriods()])
    }

    func setTariffPeriod(_ context: AccountingRequestContext) async throws -> Response {
        let version = try pathNumber("version", context, as: UInt32.self)
        let body = try decode(TariffPeriodBody.self, context, shape: "{effectiveFrom}")
        let period = TariffPeriod(version: version, effectiveFrom: body.effectiveFrom)
        try await refusing { try await storage.setTariffPeriod(period) }
        return Handlers.json(period)
    }

    func denyListings() async throws -> Response {
        Handlers.json(["listings": try await storage.denyListings()])
    }

    // MARK: Credits, entitlements, payments, closings

    func purseCredits(_ request: Request) async throws -> Response {
        guard let period = try queryPeriod(request) else { return Handlers.json(["credits": [PurseCredit]()]) }
        return Handlers.json(["credits": try await storage.purseCredits(in: period)])
    }

    func importPurseCredits(_ context: AccountingRequestContext) async throws -> Response {
        let body = try decode(CreditsBody.self, context, shape: "{credits: [{card, amountKopecks, creditedAt, source, reference}]}")
        try await refusing { try await storage.importPurseCredits(body.credits) }
        return Handlers.json(ImportResult(stored: body.credits.count), status: .created)
    }

    func issuedEntitlements(_ request: Request) async throws -> Response {
        var cards: Set<CardSerial>?
        if let text = request.uri.queryParameters["card"] {
            guard let card = CardSerial(printed: String(text)) else {
                throw AccountingServiceError.invalidField(uk: "card: номер картки, 16 шістнадцяткових цифр", en: "card: a card serial, 16 hex digits")
            }
            cards = [card]
        }
        return Handlers.json(["entitlements": try await storage.issuedEntitlements(of: cards)])
    }

    func importIssuedEntitlements(_ context: AccountingRequestContext) async throws -> Response {
        let body = try decode(EntitlementsBody.self, context, shape: "{entitlements: [{card, entitlement, category, product, validFrom, validUntil, …}]}")
        try await refusing { try await storage.importIssuedEntitlements(body.entitlements) }
        return Handlers.json(ImportResult(stored: body.entitlements.count), status: .created)
    }

    func carrierPayments(_ request: Request) async throws -> Response {
        let first = try queryDate("from", request)
        let last = try queryDate("through", request)
        return Handlers.json(["payments": try await storage.carrierPayments(from: first, through: last)])
    }

    func addCarrierPayment(_ context: AccountingRequestContext) async throws -> Response {
        let payment = try decode(CarrierPayment.self, context, shape: "{carrier, paidOn, amountKopecks, reference}")
        try await refusing { try await storage.addCarrierPayment(payment) }
        return Handlers.json(payment, status: .created)
    }

    func periodCloses() async throws -> Response {
        let views = try await storage.periodCloses().map {
            PeriodCloseView(month: $0.month, closedAt: $0.closedAt, record: Data($0.record).base64EncodedString(), signature: Hex.encode($0.signature))
        }
        return Handlers.json(["closes": views])
    }
}

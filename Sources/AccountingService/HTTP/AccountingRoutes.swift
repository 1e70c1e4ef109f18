import AccountingCore
import Bundles
import Crypto
import Entitlements
import HTTPTypes
import Hummingbird
import LedgerCore
import Logging
import NIOCore
import PostgresNIO
import Tariff

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The service's HTTP API (docs/openapi.yaml): builds a Hummingbird router over an engine.
public enum AccountingRoutes {
    /// A router with every endpoint registered.
    public static func router(engine: AccountingEngine) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let handlers = Handlers(engine: engine)
        router.add(middleware: CountingMiddleware(metrics: engine.metrics))
        router.get("/health") { _, _ in try await handlers.health() }
        router.get("/metrics") { _, _ in await handlers.metrics() }
        router.post("/v1/ledger/batches") { request, _ in try await handlers.uploadBatch(request) }
        router.get("/v1/ledger/position") { request, _ in try await handlers.position(request) }
        router.get("/v1/bundles/:kind") { request, context in try await handlers.downloadBundle(request, kind: context.parameters.get("kind")) }
        router.put("/v1/bundles/:kind") { request, context in try await handlers.uploadBundle(request, kind: context.parameters.get("kind")) }
        router.post("/v1/devices") { request, _ in try await handlers.registerDevice(request) }
        router.get("/v1/devices") { request, _ in try await handlers.listDevices(request) }
        router.get("/v1/transactions") { request, _ in try await handlers.transactions(request) }
        router.get("/v1/alarms") { request, _ in try await handlers.alarms(request) }
        router.post("/v1/deny-list-entries") { request, _ in try await handlers.addDenyListEntry(request) }
        router.get("/v1/deny-list-entries") { request, _ in try await handlers.denyListEntries(request) }
        return router
    }

    /// A Hummingbird application listening on `host:port` (0 picks a free port; `onRunning` learns it).
    public static func application(
        engine: AccountingEngine, host: String, port: Int, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(engine: engine),
            configuration: .init(address: .hostname(host, port: port), serverName: "hromada-accounting"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

/// Counts responses by status class, and answers unexpected failures with a JSON 500/503.
struct CountingMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            await metrics.increment("hromada_http_requests_total", label: ("status", "\(error.status.code / 100)xx"))
            if error.status == .notFound {
                return Handlers.error(.notFound, "not-found", uk: "такого шляху немає", en: "no such path")
            }
            if error.status == .methodNotAllowed {
                return Handlers.error(.methodNotAllowed, "method-not-allowed", uk: "метод не дозволено", en: "method not allowed")
            }
            throw error
        } catch let error where error is StorageError || error is PSQLError {
            // The details (which may name tables or hosts) go to the log, not to the client.
            context.logger.error("storage failure", metadata: ["error": "\(String(reflecting: error))"])
            await metrics.increment("hromada_http_requests_total", label: ("status", "5xx"))
            return Handlers.error(.serviceUnavailable, "storage-unavailable", uk: "сховище недоступне, спробуйте пізніше", en: "storage unavailable, try again later")
        } catch {
            context.logger.error("unexpected failure", metadata: ["error": "\(String(reflecting: error))"])
            await metrics.increment("hromada_http_requests_total", label: ("status", "5xx"))
            return Handlers.error(.internalServerError, "internal-error", uk: "внутрішня помилка сервісу", en: "internal service error")
        }
        await metrics.increment("hromada_http_requests_total", label: ("status", "\(response.status.code / 100)xx"))
        return response
    }
}

/// A checked input, or the response that refuses it.
enum Checked<Value> {
    case ok(Value)
    case refused(Response)
}

/// The endpoint handlers.
struct Handlers: Sendable {
    let engine: AccountingEngine

    var limits: AccountingLimits { engine.configuration.limits }

    // MARK: Helpers

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers = extra
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(
        _ status: HTTPResponse.Status, _ code: String, uk: String, en: String, resumeSequence: UInt64? = nil, headers: HTTPFields = [:]
    ) -> Response {
        json(ErrorResponse(code: code, uk: uk, en: en, resumeSequence: resumeSequence), status: status, headers: headers)
    }

    static func error(_ error: AccountingError) -> Response {
        let status: HTTPResponse.Status = error.code == .tooLarge ? .contentTooLarge : .badRequest
        return Handlers.error(status, error.code.name, uk: error.ukrainian, en: error.english)
    }

    /// Reads the body up to the limit; nil (and a 413 to send) when it is larger.
    func body(_ request: Request) async -> Checked<[UInt8]> {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maximumBodyBytes {
            return .refused(Self.tooLarge(limits))
        }
        do {
            let buffer = try await request.body.collect(upTo: limits.maximumBodyBytes)
            return .ok(Array(buffer.readableBytesView))
        } catch {
            return .refused(Self.tooLarge(limits))
        }
    }

    static func tooLarge(_ limits: AccountingLimits) -> Response {
        error(.contentTooLarge, "too-large", uk: "тіло запиту завелике (до \(limits.maximumBodyBytes) байтів)", en: "the request body is too large (at most \(limits.maximumBodyBytes) bytes)")
    }

    func authenticateDevice(_ request: Request, body: [UInt8]) async throws -> Checked<AuthenticatedDevice> {
        var headers: [String: String] = [:]
        for name in DeviceRequestHeader.all {
            if let field = HTTPField.Name(name), let value = request.headers[field] { headers[name] = value }
        }
        let result = try await engine.authenticateDevice(
            method: request.method.rawValue, path: request.head.path ?? request.uri.path, headers: headers, body: body)
        switch result {
        case .authenticated(let device): return .ok(device)
        case .refused(let refusal):
            let status: HTTPResponse.Status = refusal.httpStatus == 401 ? .unauthorized : .forbidden
            var extra: HTTPFields = [:]
            if status == .unauthorized { extra[.wwwAuthenticate] = "HromadaDevice" }
            return .refused(Self.error(status, refusal.code, uk: refusal.ukrainian, en: refusal.english, headers: extra))
        }
    }

    /// Checks an operator's bearer token for `action`: 401 without a known token, 403 when its role may not.
    func authorizeOperator(_ request: Request, for action: OperatorAction) async throws -> Checked<OperatorIdentity> {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            await engine.metrics.increment("hromada_operator_auth_refused_total", label: ("status", "401"))
            return .refused(Self.error(.unauthorized, "missing-token", uk: "потрібен токен оператора", en: "an operator bearer token is required", headers: [.wwwAuthenticate: "Bearer"]))
        }
        let token = String(header.dropFirst(7))
        guard let identity = try await engine.storage.operatorIdentity(tokenHash: OperatorTokens.hash(token)) else {
            await engine.metrics.increment("hromada_operator_auth_refused_total", label: ("status", "401"))
            return .refused(Self.error(.unauthorized, "unknown-token", uk: "токен невідомий", en: "the token is not known", headers: [.wwwAuthenticate: "Bearer"]))
        }
        guard identity.role.permits(action) else {
            await engine.metrics.increment("hromada_operator_auth_refused_total", label: ("status", "403"))
            return .refused(Self.error(.forbidden, "role-forbidden", uk: "роль \(identity.role.rawValue) не має на це права", en: "the role \(identity.role.rawValue) may not do this"))
        }
        return .ok(identity)
    }

    // MARK: Public

    func health() async throws -> Response {
        do {
            try await engine.storage.healthCheck()
            return Self.json(["status": "ok", "database": "ok"])
        } catch {
            return Self.json(["status": "degraded", "database": "unavailable"], status: .serviceUnavailable)
        }
    }

    func metrics() async -> Response {
        let engine = self.engine
        let text = await engine.metrics.render(countingHeldEntries: { try await engine.storage.entryCount() })
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: Devices

    func uploadBatch(_ request: Request) async throws -> Response {
        let body: [UInt8]
        switch await self.body(request) {
        case .ok(let bytes): body = bytes
        case .refused(let response): return response
        }
        let device: AuthenticatedDevice
        switch try await authenticateDevice(request, body: body) {
        case .ok(let authenticated): device = authenticated
        case .refused(let response): return response
        }
        let batch: UploadBatch
        do {
            batch = try UploadBatch(jsonBody: body, limits: limits)
        } catch let error as AccountingError {
            return Self.error(error)
        }
        switch try await engine.ingest(batch, from: device) {
        case .accepted(let receipt, let stored):
            return Self.json(UploadResponse(outcome: "accepted", storedEntries: stored, receipt: ReceiptWire(receipt)))
        case .replayed(let receipt):
            return Self.json(UploadResponse(outcome: "replayed", storedEntries: 0, receipt: ReceiptWire(receipt)))
        case .gap(let resume):
            return Self.error(
                .conflict, "gap", uk: "бракує записів перед пакетом; продовжіть з №\(resume)",
                en: "entries are missing before the batch; resume at \(resume)", resumeSequence: resume)
        case .conflict(let conflict):
            return Self.error(
                .conflict, "chain-conflict", uk: "пакет суперечить збереженим записам (№\(conflict.sequence)); зафіксовано тривогу",
                en: "the batch contradicts held entries at \(conflict.sequence); a tamper alarm was recorded")
        case .rejected(let rejection):
            let status: HTTPResponse.Status = rejection.code == "device-mismatch" ? .forbidden : .unprocessableContent
            return Self.error(status, rejection.code, uk: rejection.ukrainian, en: rejection.english)
        }
    }

    func position(_ request: Request) async throws -> Response {
        let device: AuthenticatedDevice
        switch try await authenticateDevice(request, body: []) {
        case .ok(let authenticated): device = authenticated
        case .refused(let response): return response
        }
        return Self.json(try await engine.position(of: device.deviceID))
    }

    // MARK: Bundles

    func downloadBundle(_ request: Request, kind name: String?) async throws -> Response {
        guard let name, let kind = BundleKind(name: name) else {
            return Self.error(.notFound, "unknown-bundle-kind", uk: "невідомий вид пакета", en: "bundle kinds are trust, tariff, denylist")
        }
        guard let bundle = try await engine.storage.latestBundle(kind) else {
            return Self.error(.notFound, "no-bundle", uk: "пакет ще не завантажено", en: "no \(kind) bundle has been uploaded")
        }
        let etag = "\"\(hexString(SHA256.hash(data: bundle.bytes)).prefix(32))\""
        var headers: HTTPFields = [
            .eTag: etag, .cacheControl: "public, max-age=60, must-revalidate",
        ]
        headers[HTTPField.Name("Hromada-Bundle-Version")!] = String(bundle.version)
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/octet-stream"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bundle.bytes)))
    }

    func uploadBundle(_ request: Request, kind name: String?) async throws -> Response {
        guard let name, let kind = BundleKind(name: name) else {
            return Self.error(.notFound, "unknown-bundle-kind", uk: "невідомий вид пакета", en: "bundle kinds are trust, tariff, denylist")
        }
        if case .refused(let response) = try await authorizeOperator(request, for: .uploadBundle(kind)) { return response }
        let body: [UInt8]
        switch await self.body(request) {
        case .ok(let bytes): body = bytes
        case .refused(let response): return response
        }
        switch try await engine.uploadBundle(body, kind: kind) {
        case .accept(let verified):
            return Self.json(["kind": kind.description, "version": String(verified.header.version)], status: .created)
        case .refuse(let refusal):
            let status: HTTPResponse.Status
            switch refusal {
            case .notNewer, .rollback: status = .conflict
            case .malformed: status = .badRequest
            default: status = .unprocessableContent
            }
            return Self.error(status, "bundle-\(refusal.name)", uk: "пакет не прийнято (\(refusal.name))", en: "the bundle is refused: \(refusal)")
        }
    }

    // MARK: Operators

    struct DeviceBody: Codable {
        var device: UInt32
        var certificate: String
        var label: String
    }

    struct DeviceView: Codable {
        var device: UInt32
        var keyID: String
        var label: String
        var registeredAt: Int64
        var heldSequence: UInt64
        var receiptSequence: UInt64?
    }

    func registerDevice(_ request: Request) async throws -> Response {
        if case .refused(let response) = try await authorizeOperator(request, for: .registerDevice) { return response }
        let body: [UInt8]
        switch await self.body(request) {
        case .ok(let bytes): body = bytes
        case .refused(let response): return response
        }
        guard let input = try? JSONDecoder().decode(DeviceBody.self, from: Data(body)) else {
            return Self.error(.badRequest, "malformed-body", uk: "очікується {device, certificate, label}", en: "expected {device, certificate, label}")
        }
        guard !input.label.isEmpty, input.label.utf8.count <= 64 else {
            return Self.error(.badRequest, "invalid-field", uk: "назва: 1–64 байти", en: "label: 1-64 bytes")
        }
        guard let bytes = hexBytes(input.certificate), let certificate = try? Certificate(decoding: bytes) else {
            return Self.error(.badRequest, "malformed-certificate", uk: "сертифікат не читається", en: "the certificate does not decode")
        }
        if case .invalid(let rejection) = await engine.checkDeviceCertificate(certificate) {
            return Self.error(.unprocessableContent, "certificate-\(rejection.code)", uk: "сертифікат непридатний (\(rejection.code))", en: "the certificate is not usable for a validator: \(rejection.code)")
        }
        let registration = DeviceRegistration(
            deviceID: DeviceID(rawValue: input.device), certificate: certificate, label: input.label,
            registeredAt: engine.configuration.now())
        try await engine.storage.register(registration)
        return Self.json(try await view(registration), status: .created)
    }

    func view(_ registration: DeviceRegistration) async throws -> DeviceView {
        DeviceView(
            device: registration.deviceID.rawValue, keyID: registration.certificate.keyID.description, label: registration.label,
            registeredAt: registration.registeredAt.rawValue,
            heldSequence: try await engine.storage.head(of: registration.deviceID).sequence,
            receiptSequence: try await engine.storage.latestReceipt(of: registration.deviceID)?.sequence)
    }

    func listDevices(_ request: Request) async throws -> Response {
        if case .refused(let response) = try await authorizeOperator(request, for: .readDevices) { return response }
        var views: [DeviceView] = []
        for registration in try await engine.storage.registrations() { views.append(try await view(registration)) }
        return Self.json(["devices": views])
    }

    struct TransactionView: Codable {
        var device: UInt32
        var sequence: UInt64
        var kind: String
        var deviceTime: Int64
        var cardSerial: String?
        var category: UInt16?
        var entitlement: UInt32?
        var fareKopecks: Int64?
        var fullFareKopecks: Int64?
        var purseBalanceAfterKopecks: Int64?
        var route: UInt16?
        var vehicle: UInt32?
        var relatedSequence: UInt64?
        var detail: String
        var hash: String
        var receivedAt: Int64
    }

    struct TransactionPage: Codable {
        var items: [TransactionView]
        var nextCursor: String?
    }

    func transactions(_ request: Request) async throws -> Response {
        if case .refused(let response) = try await authorizeOperator(request, for: .readTransactions) { return response }
        let query = request.uri.queryParameters
        var device: DeviceID?
        if let text = query["device"] {
            guard let number = UInt32(text) else {
                return Self.error(.badRequest, "invalid-field", uk: "device: ціле число", en: "device: an integer")
            }
            device = DeviceID(rawValue: number)
        }
        var limit = 100
        if let text = query["limit"] {
            guard let number = Int(text), (1...limits.maximumPageSize).contains(number) else {
                return Self.error(.badRequest, "invalid-field", uk: "limit: 1–\(limits.maximumPageSize)", en: "limit: 1-\(limits.maximumPageSize)")
            }
            limit = number
        }
        var cursor: (device: UInt32, sequence: UInt64)?
        if let text = query["after"] {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let cursorDevice = UInt32(parts[0]), let sequence = UInt64(parts[1]) else {
                return Self.error(.badRequest, "invalid-field", uk: "after: пристрій:номер", en: "after: device:sequence")
            }
            cursor = (cursorDevice, sequence)
        }
        let rows = try await engine.storage.entries(device: device, after: cursor, limit: limit)
        let items = rows.map { stored -> TransactionView in
            let entry = stored.entry
            let record = entry.record
            return TransactionView(
                device: entry.deviceID.rawValue, sequence: entry.sequence, kind: record.kind.name, deviceTime: record.deviceTime.rawValue,
                cardSerial: record.cardSerial?.printed, category: record.category?.rawValue, entitlement: record.entitlementID?.rawValue,
                fareKopecks: record.fareKopecks, fullFareKopecks: record.fullFareKopecks,
                purseBalanceAfterKopecks: record.purseBalanceAfterKopecks, route: record.route?.rawValue, vehicle: record.vehicle?.rawValue,
                relatedSequence: record.relatedSequence, detail: record.detail, hash: entry.hash.hex, receivedAt: stored.receivedAt.rawValue)
        }
        let next = rows.count == limit ? rows.last.map { "\($0.entry.deviceID.rawValue):\($0.entry.sequence)" } : nil
        return Self.json(TransactionPage(items: items, nextCursor: next))
    }

    func alarms(_ request: Request) async throws -> Response {
        if case .refused(let response) = try await authorizeOperator(request, for: .readAlarms) { return response }
        return Self.json(["alarms": try await engine.storage.alarms()])
    }

    struct DenyListBody: Codable {
        var cardSerial: String
        var reason: String
    }

    func addDenyListEntry(_ request: Request) async throws -> Response {
        let identity: OperatorIdentity
        switch try await authorizeOperator(request, for: .addDenyListEntry) {
        case .ok(let found): identity = found
        case .refused(let response): return response
        }
        let body: [UInt8]
        switch await self.body(request) {
        case .ok(let bytes): body = bytes
        case .refused(let response): return response
        }
        guard let input = try? JSONDecoder().decode(DenyListBody.self, from: Data(body)) else {
            return Self.error(.badRequest, "malformed-body", uk: "очікується {cardSerial, reason}", en: "expected {cardSerial, reason}")
        }
        guard let serial = CardSerial(printed: input.cardSerial) else {
            return Self.error(.badRequest, "invalid-field", uk: "номер картки неправильний", en: "cardSerial is not a card serial")
        }
        let reasons = ["lost", "stolen", "replaced", "fraud", "other"]
        guard reasons.contains(input.reason) else {
            return Self.error(.badRequest, "invalid-field", uk: "причина: \(reasons.joined(separator: ", "))", en: "reason: one of \(reasons.joined(separator: ", "))")
        }
        let id = try await engine.storage.addDenyListRequest(
            cardSerial: serial.printed, reason: input.reason, reportedBy: identity.label, at: engine.configuration.now())
        return Self.json(
            DenyListRequest(id: id, cardSerial: serial.printed, reason: input.reason, reportedBy: identity.label, reportedAt: engine.configuration.now().rawValue),
            status: .created)
    }

    func denyListEntries(_ request: Request) async throws -> Response {
        if case .refused(let response) = try await authorizeOperator(request, for: .readDenyListEntries) { return response }
        return Self.json(["entries": try await engine.storage.denyListRequests()])
    }
}

import AccountingCore
import AccountingStore
import Bundles
import Crypto
import Entitlements
import HTTPTypes
import Hummingbird
import Identifiers
import LedgerCore
import Localization
import Logging
import NIOCore
import PostgresNIO
import struct Prometheus.PrometheusMetricsFactory
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The service's HTTP API (docs/openapi.yaml): builds a Hummingbird router over an engine.
public enum AccountingRoutes {
    /// A router with every endpoint registered.
    ///
    /// Authentication is middleware: a device route sits in a group behind
    /// `DeviceAuthenticationMiddleware`, an operator route behind `OperatorAuthorizationMiddleware`
    /// for its action (and `BodyCollectingMiddleware` when it takes a body), so a handler starts
    /// with the caller established and never repeats the checks.
    public static func router(engine: AccountingEngine) -> Router<AccountingRequestContext> {
        let router = Router(context: AccountingRequestContext.self)
        let handlers = Handlers(engine: engine)
        let limits = engine.configuration.limits
        let table = RouteTable()
        router.add(middleware: CountingMiddleware(metrics: engine.metrics, routes: table))
        router.get("/health") { _, _ in try await handlers.health() }
        router.get("/metrics") { _, _ in await handlers.metrics() }
        router.get("/v1/service/certificate") { _, _ in try handlers.serviceCertificate() }
        router.get("/v1/bundles/:kind") { request, context in try await handlers.downloadBundle(request, kind: Handlers.bundleKind(context)) }

        router.group()
            .add(middleware: DeviceAuthenticationMiddleware(engine: engine))
            .post("/v1/ledger/batches") { _, context in try await handlers.uploadBatch(context) }
            .get("/v1/ledger/position") { _, context in try await handlers.position(context) }

        // The routes of one operator action: the token check first (for a bundle route the kind
        // before that), then the body for a route that takes one.
        func operatorRoutes(_ action: @escaping @Sendable (AccountingRequestContext) throws -> OperatorAction, body: Bool = false) -> RouterGroup<AccountingRequestContext> {
            let group = router.group().add(middleware: OperatorAuthorizationMiddleware(engine: engine, action: action))
            return body ? group.add(middleware: BodyCollectingMiddleware(limits: limits)) : group
        }
        operatorRoutes({ .uploadBundle(try Handlers.bundleKind($0)) }, body: true)
            .put("/v1/bundles/:kind") { _, context in try await handlers.uploadBundle(context, kind: Handlers.bundleKind(context)) }
        operatorRoutes({ _ in .registerDevice }, body: true).post("/v1/devices") { _, context in try await handlers.registerDevice(context) }
        operatorRoutes({ _ in .readDevices }).get("/v1/devices") { _, _ in try await handlers.listDevices() }
        operatorRoutes({ _ in .readDevices })
            .get("/v1/devices/:device/refused-batches") { _, context in try await handlers.refusedBatches(context) }
        operatorRoutes({ _ in .readTransactions }).get("/v1/transactions") { request, _ in try await handlers.transactions(request) }
        operatorRoutes({ _ in .readAlarms }).get("/v1/alarms") { _, _ in try await handlers.alarms() }
        ReportRoutes.register(on: router, engine: engine)
        operatorRoutes({ _ in .addDenyListEntry }, body: true)
            .post("/v1/deny-list-entries") { _, context in try await handlers.addDenyListEntry(context) }
        operatorRoutes({ _ in .readDenyListEntries }).get("/v1/deny-list-entries") { _, _ in try await handlers.denyListEntries() }
        ReferenceRoutes.register(on: router, engine: engine)
        table.record(router.routes.map { (path: $0.path.description, method: $0.method) })
        return router
    }

    /// A Hummingbird application listening on `host:port` (0 picks a free port; `onRunning` learns it),
    /// holding its connections to `connections`' limits.
    public static func application(
        engine: AccountingEngine, host: String, port: Int, connections: ConnectionGuard = ConnectionGuard(), logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        connections.countClosures(with: PrometheusMetricsFactory(registry: engine.metrics.registry))
        return Application(
            router: router(engine: engine),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [connections.handler()], idleTimeout: TimeAmount(connections.limits.idleTimeout))),
            configuration: .init(address: .hostname(host, port: port), serverName: "hromada-accounting"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

/// The registered routes, for telling "no such path" (404) from "no such method" (405): the
/// router finds neither, so the middleware in front of it looks here.
final class RouteTable: Sendable {
    private let routes = Mutex<[(components: [Substring], method: HTTPRequest.Method)]>([])

    /// Records the router's routes (a captured `{name}`, or `:name` as routes are written,
    /// matches any one path component).
    func record(_ entries: [(path: String, method: HTTPRequest.Method)]) {
        routes.withLock { $0 = entries.map { (Self.components($0.path), $0.method) } }
    }

    /// The methods registered for `path`, sorted; empty when no route has that path.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let requested = Self.components(path)
        let methods = routes.withLock { routes in
            routes.filter { route in
                route.components.count == requested.count
                    && zip(route.components, requested).allSatisfy { pattern, part in
                        pattern.hasPrefix(":") || (pattern.hasPrefix("{") && pattern.hasSuffix("}")) || pattern == part
                    }
            }.map(\.method)
        }
        return Array(Set(methods)).sorted { $0.rawValue < $1.rawValue }
    }

    private static func components(_ path: String) -> [Substring] {
        path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map { $0.split(separator: "/") } ?? []
    }
}

/// Counts responses by status class, and answers unexpected failures with a JSON 500/503.
struct CountingMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as AccountingServiceError {
            // The service's own refusals are answered as they are (Hummingbird renders them).
            if error.status.code >= 500 {
                context.logger.error("internal failure", metadata: ["error": "\(error)", "at": "\(error.file):\(error.line)"])
            }
            await metrics.increment("hromada_http_requests_total", label: ("status", "\(error.status.code / 100)xx"))
            throw error
        } catch let error as HTTPResponseError {
            // Hummingbird's own (no route, wrong method), answered in the service's JSON form.
            await metrics.increment("hromada_http_requests_total", label: ("status", "\(error.status.code / 100)xx"))
            if error.status == .notFound {
                // The router answers 404 for a known path with another method too.
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty {
                    throw AccountingServiceError(
                        .methodNotAllowed, .methodNotAllowed, uk: "метод не дозволено", en: "method not allowed",
                        headers: [.allow: allowed.map(\.rawValue).joined(separator: ", ")])
                }
                throw AccountingServiceError(.notFound, .notFound, uk: "такого шляху немає", en: "no such path")
            }
            if error.status == .methodNotAllowed {
                throw AccountingServiceError(.methodNotAllowed, .methodNotAllowed, uk: "метод не дозволено", en: "method not allowed")
            }
            throw error
        } catch let error where error is StorageError || error is PSQLError {
            // The details (which may name tables or hosts) go to the log, not to the client.
            context.logger.error("storage failure", metadata: ["error": "\(String(reflecting: error))"])
            await metrics.increment("hromada_http_requests_total", label: ("status", "5xx"))
            throw AccountingServiceError(
                .serviceUnavailable, .storageUnavailable, uk: "сховище недоступне, спробуйте пізніше", en: "storage unavailable, try again later")
        } catch {
            context.logger.error("unexpected failure", metadata: ["error": "\(String(reflecting: error))"])
            await metrics.increment("hromada_http_requests_total", label: ("status", "5xx"))
            throw AccountingServiceError.internalError()
        }
        await metrics.increment("hromada_http_requests_total", label: ("status", "\(response.status.code / 100)xx"))
        return response
    }
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

    /// The bundle kind the path names; 404 when it names none.
    static func bundleKind(_ context: AccountingRequestContext) throws(AccountingServiceError) -> BundleKind {
        guard let name = context.parameters.get("kind"), let kind = BundleKind(name: name) else { throw .unknownBundleKind }
        return kind
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

    struct ServiceCertificateView: Codable {
        var certificate: String
        var keyID: String
        var publicKey: String
        var role: String
        var issuerKeyID: String
        var notBefore: Int64
        var notAfter: Int64
    }

    /// The certificate of the key that signs receipts, so a client can check them: its
    /// canonical bytes (verify them under the community root key) and the fields decoded.
    func serviceCertificate() throws(AccountingServiceError) -> Response {
        guard let certificate = engine.configuration.serviceCertificate, let bytes = try? certificate.encoded() else {
            throw AccountingServiceError(
                .notFound, .notFound, uk: "сертифікат сервісу не налаштовано", en: "the service runs without its certificate")
        }
        return Self.json(
            ServiceCertificateView(
                certificate: Hex.encode(bytes), keyID: certificate.keyID.description, publicKey: Hex.encode(certificate.publicKey.rawRepresentation),
                role: certificate.role.description, issuerKeyID: certificate.issuerKeyID.description, notBefore: certificate.notBefore.rawValue,
                notAfter: certificate.notAfter.rawValue))
    }

    // MARK: Devices

    func uploadBatch(_ context: AccountingRequestContext) async throws -> Response {
        let device = try context.authenticatedDevice()
        let body = try context.collectedBody()
        let outcome: IngestOutcome
        do {
            outcome = try await engine.ingest(body: body, from: device)
        } catch let error as AccountingError {
            throw AccountingServiceError(error)
        }
        switch outcome {
        case .accepted(let receipt, let stored):
            return Self.json(UploadResponse(outcome: .accepted, storedEntries: stored, receipt: ReceiptWire(receipt)))
        case .replayed(let receipt):
            return Self.json(UploadResponse(outcome: .replayed, storedEntries: 0, receipt: ReceiptWire(receipt)))
        case .gap(let resume):
            throw AccountingServiceError.gap(resumeSequence: resume)
        case .conflict(let conflict):
            throw AccountingServiceError.chainConflict(conflict)
        case .rejected(let rejection):
            throw AccountingServiceError(rejecting: rejection)
        }
    }

    func position(_ context: AccountingRequestContext) async throws -> Response {
        Self.json(try await engine.position(of: try context.authenticatedDevice().deviceID))
    }

    // MARK: Bundles

    func downloadBundle(_ request: Request, kind: BundleKind) async throws -> Response {
        guard let bundle = try await engine.storage.latestBundle(kind) else {
            throw AccountingServiceError(.notFound, .noBundle, uk: "пакет ще не завантажено", en: "no \(kind) bundle has been uploaded")
        }
        let etag = "\"\(Hex.encode(SHA256.hash(data: bundle.bytes)).prefix(32))\""
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

    func uploadBundle(_ context: AccountingRequestContext, kind: BundleKind) async throws -> Response {
        switch try await engine.uploadBundle(try context.collectedBody(), kind: kind) {
        case .accept(let verified):
            return Self.json(["kind": kind.description, "version": String(verified.header.version)], status: .created)
        case .refuse(let refusal):
            throw AccountingServiceError(refusing: refusal)
        }
    }

    // MARK: Operators

    struct DeviceBody: Codable {
        var device: UInt32
        var certificate: String
        var label: String
        /// `validator` (the default) or `desk`.
        var role: String?
    }

    struct DeviceView: Codable {
        var device: UInt32
        var keyID: String
        var label: String
        var role: String
        var registeredAt: Int64
        var heldSequence: UInt64
        var receiptSequence: UInt64?
    }

    func registerDevice(_ context: AccountingRequestContext) async throws -> Response {
        let body = try context.collectedBody()
        guard let input = try? JSONDecoder().decode(DeviceBody.self, from: Data(body)) else {
            throw AccountingServiceError.malformedBody(uk: "очікується {device, certificate, label}", en: "expected {device, certificate, label}")
        }
        guard !input.label.isEmpty, input.label.utf8.count <= 64 else {
            throw AccountingServiceError.invalidField(uk: "назва: 1–64 байти", en: "label: 1-64 bytes")
        }
        guard let bytes = Hex.decode(input.certificate) else {
            throw AccountingServiceError(.badRequest, .malformedCertificate, uk: "сертифікат не є hex", en: "the certificate is not hex")
        }
        // Hex of the documented form that is not a certificate is 422: the form is right, the content is not.
        guard let certificate = try? Certificate(decoding: bytes) else {
            throw AccountingServiceError(
                .unprocessableContent, .malformedCertificate, uk: "сертифікат не читається", en: "the certificate does not decode")
        }
        guard let role = input.role.map(DeviceRole.init(rawValue:)) ?? .validator else {
            throw AccountingServiceError.invalidField(uk: "роль: validator або desk", en: "role: validator or desk")
        }
        switch try await engine.registerDevice(DeviceID(rawValue: input.device), certificate: certificate, label: input.label, role: role) {
        case .registered(let registration):
            return Self.json(try await view(registration), status: .created)
        case .refused(let refusal):
            throw AccountingServiceError(refusing: refusal)
        }
    }

    func view(_ registration: DeviceRegistration) async throws -> DeviceView {
        DeviceView(
            device: registration.deviceID.rawValue, keyID: registration.certificate.keyID.description, label: registration.label,
            role: registration.role.rawValue, registeredAt: registration.registeredAt.rawValue,
            heldSequence: try await engine.storage.head(of: registration.deviceID).sequence,
            receiptSequence: try await engine.storage.latestReceipt(of: registration.deviceID)?.sequence)
    }

    func listDevices() async throws -> Response {
        var views: [DeviceView] = []
        for registration in try await engine.storage.registrations() { views.append(try await view(registration)) }
        return Self.json(["devices": views])
    }

    /// A stored entry as the operator API shows it: the fields decoded, and what an auditor
    /// needs to verify the chain without the database (the canonical bytes, the hash before,
    /// the entry's own hash).
    struct TransactionView: Codable {
        var device: UInt32
        var sequence: UInt64
        var kind: String
        var deviceTime: Int64
        var cardSerial: String?
        var layoutVersion: UInt16?
        var category: UInt16?
        var entitlement: UInt32?
        var fareKopecks: Int64?
        var fullFareKopecks: Int64?
        var purseBalanceAfterKopecks: Int64?
        var route: UInt16?
        var vehicle: UInt32?
        var relatedSequence: UInt64?
        var clockCorrectionSeconds: Int64?
        var amountKopecks: Int64?
        var receiptNumber: UInt64?
        var otherCardSerial: String?
        var cardTripSequence: UInt32?
        var detail: String
        var previousHash: String
        var hash: String
        var canonicalBytes: String
        var receivedAt: Int64

        init(_ stored: StoredEntry) {
            let entry = stored.entry
            let record = entry.record
            device = entry.deviceID.rawValue
            sequence = entry.sequence
            kind = record.kind.name
            deviceTime = record.deviceTime.rawValue
            cardSerial = record.cardSerial?.printed
            layoutVersion = record.layoutVersion?.rawValue
            category = record.category?.rawValue
            entitlement = record.entitlementID?.rawValue
            fareKopecks = record.fareKopecks
            fullFareKopecks = record.fullFareKopecks
            purseBalanceAfterKopecks = record.purseBalanceAfterKopecks
            route = record.route?.rawValue
            vehicle = record.vehicle?.rawValue
            relatedSequence = record.relatedSequence
            clockCorrectionSeconds = record.clockCorrectionSeconds
            amountKopecks = record.amountKopecks
            receiptNumber = record.receiptNumber
            otherCardSerial = record.otherCardSerial?.printed
            cardTripSequence = record.cardCounters?.tripSequence
            detail = record.detail
            previousHash = entry.previousHash.hex
            hash = entry.hash.hex
            canonicalBytes = Data(entry.canonicalBytes).base64EncodedString()
            receivedAt = stored.receivedAt.rawValue
        }
    }

    struct TransactionPage: Codable {
        var items: [TransactionView]
        var nextCursor: String?
    }

    /// A page of entries, read by keyset (`AccountingStorage.entries(matching:after:limit:)`):
    /// the same cost whatever the cursor.
    func transactions(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = EntryFilter()
        if let text = query["device"] {
            guard let number = CanonicalDecimal.uint32(text) else {
                throw AccountingServiceError.invalidField(
                    uk: "device: ціле число 0–4294967295 без провідних нулів", en: "device: an integer 0-4294967295 without leading zeros")
            }
            filter.device = DeviceID(rawValue: number)
        }
        if let text = query["cardSerial"] {
            guard let serial = CardSerial(printed: String(text)) else {
                throw AccountingServiceError.invalidField(uk: "cardSerial: 16 шістнадцяткових цифр", en: "cardSerial: 16 hex digits")
            }
            filter.cardSerial = serial
        }
        for (name, keyPath) in [("from", \EntryFilter.deviceTimeFrom), ("to", \EntryFilter.deviceTimeTo)] {
            guard let text = query[Substring(name)] else { continue }
            guard let seconds = Self.canonicalSeconds(text) else {
                throw AccountingServiceError.invalidField(
                    uk: "\(name): секунди Unix, ціле число без провідних нулів", en: "\(name): Unix seconds, an integer without leading zeros")
            }
            filter[keyPath: keyPath] = UnixTime(seconds)
        }
        if let text = query["kind"] {
            guard let kind = LedgerEntryKind.allCases.first(where: { $0.name == text }) else {
                throw AccountingServiceError.invalidField(
                    uk: "kind: \(LedgerEntryKind.allCases.map(\.name).joined(separator: ", "))",
                    en: "kind: one of \(LedgerEntryKind.allCases.map(\.name).joined(separator: ", "))")
            }
            filter.kind = kind
        }
        var limit = 100
        if let text = query["limit"] {
            guard let number = CanonicalDecimal.uint64(text).flatMap({ Int(exactly: $0) }), (1...limits.maximumPageSize).contains(number) else {
                throw AccountingServiceError.invalidField(uk: "limit: 1–\(limits.maximumPageSize)", en: "limit: 1-\(limits.maximumPageSize)")
            }
            limit = number
        }
        var cursor: EntryCursor?
        if let text = query["after"] {
            guard let parsed = EntryCursor(String(text)) else {
                throw AccountingServiceError.invalidField(
                    uk: "after: пристрій:номер або час:пристрій:номер (nextCursor попередньої сторінки)",
                    en: "after: device:sequence or deviceTime:device:sequence (the previous page's nextCursor)")
            }
            // The cursor's form follows the page's order (a time bound or a card orders by device
            // time); one of the other order has the documented form but the wrong content: 422.
            guard filter.accepts(parsed) else {
                throw filter.ordersByDeviceTime
                    ? AccountingServiceError(
                        .unprocessableContent, .invalidField, uk: "after: з from, to чи cardSerial курсор час:пристрій:номер",
                        en: "after: with from, to or cardSerial the cursor is deviceTime:device:sequence")
                    : AccountingServiceError(
                        .unprocessableContent, .invalidField, uk: "after: без from, to і cardSerial курсор пристрій:номер",
                        en: "after: without from, to and cardSerial the cursor is device:sequence")
            }
            cursor = parsed
        }
        let page = try await engine.storage.entries(matching: filter, after: cursor, limit: limit)
        return Self.json(TransactionPage(items: page.entries.map(TransactionView.init), nextCursor: page.next?.description))
    }

    /// A canonical decimal of Unix seconds, which may be negative: `-` and digits, no leading zero.
    static func canonicalSeconds(_ text: some StringProtocol) -> Int64? {
        if text.first == "-" {
            guard let magnitude = CanonicalDecimal.uint64(text.dropFirst()), magnitude > 0, magnitude <= Int64.min.magnitude else { return nil }
            return magnitude == Int64.min.magnitude ? Int64.min : -Int64(magnitude)
        }
        return CanonicalDecimal.uint64(text).flatMap { Int64(exactly: $0) }
    }

    func alarms() async throws -> Response {
        return Self.json(["alarms": try await engine.storage.alarms()])
    }

    struct RefusedBatchesView: Codable {
        var device: UInt32
        var batches: [RefusedBatchRecord]
    }

    /// The batches a device offered after a hole in what the service holds and had refused with
    /// 409 `gap` (at most `RefusedBatchRecord.keptPerDevice`, the first and the newest): the
    /// device's own signed word that it went on, which reconciliation cites for a gap.
    func refusedBatches(_ context: AccountingRequestContext) async throws -> Response {
        guard let text = context.parameters.get("device"), let number = CanonicalDecimal.uint32(text) else {
            throw AccountingServiceError.invalidField(
                uk: "device: ціле число 0–4294967295 без провідних нулів", en: "device: an integer 0-4294967295 without leading zeros")
        }
        guard try await engine.storage.registration(of: DeviceID(rawValue: number)) != nil else {
            throw AccountingServiceError(.notFound, .unknownDevice, uk: "такий пристрій не зареєстровано", en: "no device with this id is registered")
        }
        // Every device keeps at most sixteen rows, so reading them all and keeping one device's is cheap.
        let batches = try await engine.storage.refusedBatches().filter { $0.device == number }
        return Self.json(RefusedBatchesView(device: number, batches: batches))
    }

    struct DenyListBody: Codable {
        var cardSerial: String
        var reason: String
    }

    func addDenyListEntry(_ context: AccountingRequestContext) async throws -> Response {
        let identity = try context.authorizedOperator()
        let body = try context.collectedBody()
        guard let input = try? JSONDecoder().decode(DenyListBody.self, from: Data(body)) else {
            throw AccountingServiceError.malformedBody(uk: "очікується {cardSerial, reason}", en: "expected {cardSerial, reason}")
        }
        guard let serial = CardSerial(printed: input.cardSerial) else {
            throw AccountingServiceError.invalidField(uk: "номер картки неправильний", en: "cardSerial is not a card serial")
        }
        let reasons = ["lost", "stolen", "replaced", "fraud", "other"]
        guard reasons.contains(input.reason) else {
            throw AccountingServiceError.invalidField(uk: "причина: \(reasons.joined(separator: ", "))", en: "reason: one of \(reasons.joined(separator: ", "))")
        }
        let id = try await engine.storage.addDenyListRequest(
            cardSerial: serial.printed, reason: input.reason, reportedBy: identity.label, at: engine.configuration.now())
        return Self.json(
            DenyListRequest(id: id, cardSerial: serial.printed, reason: input.reason, reportedBy: identity.label, reportedAt: engine.configuration.now().rawValue),
            status: .created)
    }

    func denyListEntries() async throws -> Response {
        return Self.json(["entries": try await engine.storage.denyListRequests()])
    }
}

import AccountingCore
import AccountingStore
import HTTPTypes
import Hummingbird
import NIOCore
import ReconcileTool
import Reconciliation

/// The finance officer's report from the service (docs/openapi.yaml, tag `reports`): the same
/// report `hromada-reconcile report --db` computes, read from the service's own store.
///
/// `GET /v1/reports/{month}` is the report as JSON (`report.json`, byte for byte);
/// `GET /v1/reports/{month}/{file}` any other file of the report directory (a table's CSV, a
/// printed page), without the signed manifest (the service holds no finance key). Reading needs
/// `readTransactions` (finance, admin). A closed month is read at its frozen heads, so it never
/// changes.
enum ReportRoutes {
    /// Registers the report routes on `router`.
    static func register(on router: Router<AccountingRequestContext>, engine: AccountingEngine) {
        let read = router.group().add(middleware: OperatorAuthorizationMiddleware(engine: engine, action: { _ in .readTransactions }))
        read.get("/v1/reports/:month") { _, context in
            try await Self.file(named: "report.json", engine: engine, context: context)
        }
        read.get("/v1/reports/:month/:file") { _, context in
            try await Self.file(named: context.parameters.get("file") ?? "", engine: engine, context: context)
        }
    }

    static func file(named name: String, engine: AccountingEngine, context: AccountingRequestContext) async throws -> Response {
        let (report, loaded) = try await Self.report(engine: engine, context: context)
        guard let bytes = try ReportRun.file(named: name, of: report, loaded: loaded, community: engine.configuration.community) else {
            throw AccountingServiceError(.notFound, .notFound, uk: "у звіті немає файлу \(name)", en: "the report has no file \(name)")
        }
        let type =
            name.hasSuffix(".csv") ? "text/csv; charset=utf-8" : name.hasSuffix(".html") ? "text/html; charset=utf-8" : "application/json; charset=utf-8"
        return Self.file(bytes, type: type)
    }

    static func report(engine: AccountingEngine, context: AccountingRequestContext) async throws -> (ReconciliationReport, LoadedInput) {
        let month = context.parameters.get("month") ?? ""
        let period: ReportingPeriod
        do {
            period = try ReportingPeriod(month: month)
        } catch {
            throw AccountingServiceError.invalidField(uk: "місяць: РРРР-ММ, не \(month)", en: "month: YYYY-MM, not \(month)")
        }
        // As `hromada-reconcile report` does: silence in a month not over yet is measured to now.
        let (report, loaded) = try await StoreInput.reconcile(from: engine.storage, period: period, options: ReconciliationOptions(asOf: engine.configuration.now()))
        return (report, loaded)
    }

    static func file(_ bytes: [UInt8], type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

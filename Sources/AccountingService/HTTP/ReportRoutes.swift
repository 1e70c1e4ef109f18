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
/// `GET /v1/reports/{month}/compensation.csv`, `…/exceptions.csv` and `…/excluded.csv` are its
/// tables. Reading needs `readTransactions` (finance, admin). A closed month is read at its
/// frozen heads, so it never changes.
enum ReportRoutes {
    /// Registers the report routes on `router`.
    static func register(on router: Router<AccountingRequestContext>, engine: AccountingEngine) {
        let read = router.group().add(middleware: OperatorAuthorizationMiddleware(engine: engine, action: { _ in .readTransactions }))
        read.get("/v1/reports/:month") { _, context in
            let report = try await Self.report(engine: engine, context: context)
            return Self.file(try ReportRun.reportJSON(report), type: "application/json; charset=utf-8")
        }
        read.get("/v1/reports/:month/:table") { _, context in
            let report = try await Self.report(engine: engine, context: context)
            let table = context.parameters.get("table") ?? ""
            guard let bytes = ReportRun.table(named: table, of: report) else {
                throw AccountingServiceError(
                    .notFound, .notFound, uk: "немає таблиці \(table)", en: "no table \(table): compensation.csv, exceptions.csv or excluded.csv")
            }
            return Self.file(bytes, type: "text/csv; charset=utf-8")
        }
    }

    static func report(engine: AccountingEngine, context: AccountingRequestContext) async throws -> ReconciliationReport {
        let month = context.parameters.get("month") ?? ""
        let period: ReportingPeriod
        do {
            period = try ReportingPeriod(month: month)
        } catch {
            throw AccountingServiceError.invalidField(uk: "місяць: РРРР-ММ, не \(month)", en: "month: YYYY-MM, not \(month)")
        }
        return reconcile(try await StoreInput.load(from: engine.storage, period: period).input)
    }

    static func file(_ bytes: [UInt8], type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

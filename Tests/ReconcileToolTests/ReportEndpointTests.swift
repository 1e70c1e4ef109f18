import AccountingCore
import AccountingService
import AccountingStore
import Entitlements
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ReconcileTool
import Reconciliation
import ReconciliationSimulator
import StorageTesting
import Testing

import Foundation

@Suite("GET /v1/reports/{month}: the finance role fetches the same report from the service", .serialized)
struct ReportEndpointTests {
    @Test("The JSON and CSV are the files hromada-reconcile writes; a desk token is refused; a bad month is 400")
    func sameReport() async throws {
        try await withUploadedMonth(.sqlite) { storage, service in
            let period = try ReportingPeriod(month: "2026-10")
            let loaded = try await StoreInput.load(from: storage, period: period)
            let report = reconcile(loaded.input)
            let expected = try ReportRun.file(named: "report.json", of: report, loaded: loaded, community: simulatedMonth.community.name)
            let expectedCSV = try ReportRun.file(named: "compensation-lines.csv", of: report, loaded: loaded, community: simulatedMonth.community.name)
            #expect(expected != nil && expectedCSV != nil)
            for (token, role) in [("hct_finance", OperatorRole.finance), ("hct_desk", .desk)] {
                try await storage.addOperatorToken(hash: OperatorTokens.hash(token), identity: OperatorIdentity(role: role, label: token), createdAt: UnixTime(1_800_000_000))
            }
            let app = Application(router: AccountingRoutes.router(engine: service.engine))
            try await app.test(.router) { client in
                func get(_ uri: String, _ token: String) async throws -> (Int, [UInt8]) {
                    let response = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"])
                    return (Int(response.status.code), Array(response.body.readableBytesView))
                }
                let json = try await get("/v1/reports/2026-10", "hct_finance")
                #expect(json.0 == 200)
                #expect(json.1 == expected)
                let csv = try await get("/v1/reports/2026-10/compensation-lines.csv", "hct_finance")
                #expect(csv.0 == 200)
                #expect(csv.1 == expectedCSV)
                #expect(try await get("/v1/reports/2026-10/nothing.csv", "hct_finance").0 == 404)
                #expect(try await get("/v1/reports/2026-10", "hct_desk").0 == 403)
                #expect(try await get("/v1/reports/2026-13", "hct_finance").0 == 400)
            }
        }
    }
}

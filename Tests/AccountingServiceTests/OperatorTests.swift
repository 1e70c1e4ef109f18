import AccountingCore
import AccountingService
import AccountingStore
import Bundles
import Entitlements
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerCore
import NIOCore
import Synchronization
import Tariff
import Testing

import Foundation

@Suite("Operator endpoints, bundles, health", .runsStorage)
struct OperatorTests {
    @Test(arguments: Backend.all)
    func tokensAndRolesGuardEveryOperatorEndpoint(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            let endpoints: [(String, HTTPRequest.Method)] = [
                ("/v1/devices", .get), ("/v1/devices", .post), ("/v1/transactions", .get), ("/v1/alarms", .get),
                ("/v1/deny-list-entries", .get), ("/v1/deny-list-entries", .post), ("/v1/bundles/trust", .put),
            ]
            for (uri, method) in endpoints {
                let status1 = try await client.operatorRequest(uri, method: method, token: nil, body: []).status
                #expect(status1 == .unauthorized, "\(method) \(uri)")
                let status2 = try await client.operatorRequest(uri, method: method, token: "hct_wrong", body: []).status
                #expect(status2 == .unauthorized, "\(method) \(uri)")
            }
            let status3 = try await client.operatorRequest("/v1/devices", method: .post, token: service.finance, body: []).status
            #expect(status3 == .forbidden)
            let status4 = try await client.operatorRequest("/v1/devices", method: .post, token: service.desk, body: []).status
            #expect(status4 == .forbidden)
            let status5 = try await client.operatorRequest("/v1/transactions", token: service.desk).status
            #expect(status5 == .forbidden)
            let status6 = try await client.operatorRequest("/v1/deny-list-entries", method: .post, token: service.finance, body: []).status
            #expect(status6 == .forbidden)
            let status7 = try await client.operatorRequest("/v1/bundles/trust", method: .put, token: service.desk, body: []).status
            #expect(status7 == .forbidden)
            let status8 = try await client.operatorRequest("/v1/transactions", token: service.finance).status
            #expect(status8 == .ok)
        }
    }

    @Test(arguments: Backend.all)
    func adminRegistersDevicesWithCheckedCertificates(backend: Backend) async throws {
        let service = try await TestService(backend)
        let newcomer = TestDevice(id: 42, seed: 12)
        try await service.withClient { client in
            func register(_ certificate: Certificate, device: UInt32 = 42) async throws -> TestResponse {
                let body = try JSONSerialization.data(withJSONObject: ["device": device, "certificate": certificate.encoded().map { String(format: "%02x", $0) }.joined(), "label": "bus-042"])
                return try await client.operatorRequest("/v1/devices", method: .post, token: service.admin, body: Array(body))
            }
            // Before registration the device is unknown.
            let chain = newcomer.chain(count: 3)
            #expect(try await client.upload(newcomer.batch(chain[0..<3]), as: newcomer).status == .forbidden)
            let wrongRole = try await register(Community.certificate(for: newcomer.key, role: .issuer))
            #expect(wrongRole.status == .unprocessableContent)
            let notRoot = try await register(Community.certificate(for: newcomer.key, device: newcomer.id, signer: Community.key(66)))
            #expect(notRoot.status == .unprocessableContent)
            let garbage = try await client.operatorRequest("/v1/devices", method: .post, token: service.admin, body: Array("{\"device\":1}".utf8))
            #expect(garbage.status == .badRequest)
            let created = try await register(newcomer.certificate)
            #expect(created.status == .created)
            #expect(try await client.upload(newcomer.batch(chain[0..<3]), as: newcomer).status == .ok)
            let list = try await client.operatorRequest("/v1/devices", token: service.finance)
            #expect(list.status == .ok)
            let text = String(decoding: list.bytes, as: UTF8.self)
            #expect(text.contains("bus-042") && text.contains("bus-017"))
        }
    }

    @Test(arguments: Backend.all)
    func transactionsArePagedAcrossDevices(backend: Backend) async throws {
        let service = try await TestService(backend)
        let second = TestDevice(id: 18, seed: 5)
        try await service.storage.register(DeviceRegistration(deviceID: second.id, certificate: second.certificate, label: "bus-018", registeredAt: Community.now))
        try await service.withClient { client in
            _ = try await client.upload(service.device.batch(service.device.chain(count: 7)[0..<7]), as: service.device)
            _ = try await client.upload(second.batch(second.chain(count: 5)[0..<5]), as: second)
            struct Page: Decodable {
                struct Item: Decodable { var device: UInt32; var sequence: UInt64; var kind: String; var fullFareKopecks: Int64?; var cardSerial: String? }
                var items: [Item]
                var nextCursor: String?
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/transactions?limit=5" + (cursor.map { "&after=\($0)" } ?? "")
                let page = try await client.operatorRequest(uri, token: service.finance).decode(Page.self)
                seen += page.items.map { "\($0.device):\($0.sequence)" }
                #expect(page.items.allSatisfy { $0.kind == "benefit-use" && $0.fullFareKopecks == 1500 && $0.cardSerial != nil })
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == (1...7).map { "17:\($0)" } + (1...5).map { "18:\($0)" })
            let one = try await client.operatorRequest("/v1/transactions?device=18&limit=2&after=18:2", token: service.finance).decode(Page.self)
            #expect(one.items.map(\.sequence) == [3, 4])
            #expect(try await client.operatorRequest("/v1/transactions?limit=0", token: service.finance).status == .badRequest)
            #expect(try await client.operatorRequest("/v1/transactions?after=x", token: service.finance).status == .badRequest)
        }
    }

    @Test(arguments: Backend.all)
    func deskReportsCardsForTheDenyList(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            let body = Array("{\"cardSerial\":\"00AA000000000001\",\"reason\":\"lost\"}".utf8)
            let created = try await client.operatorRequest("/v1/deny-list-entries", method: .post, token: service.desk, body: body)
            #expect(created.status == .created)
            let bad = try await client.operatorRequest("/v1/deny-list-entries", method: .post, token: service.desk, body: Array("{\"cardSerial\":\"zz\",\"reason\":\"lost\"}".utf8))
            #expect(bad.status == .badRequest)
            let list = try await client.operatorRequest("/v1/deny-list-entries", token: service.desk)
            let entries = try list.decode([String: [DenyListRequest]].self)["entries"] ?? []
            #expect(entries.count == 1)
            #expect(entries.first?.reason == "lost")
            #expect(entries.first?.reportedBy == "desk")
        }
    }

    @Test(arguments: Backend.all)
    func bundlesAreVerifiedBeforeTheyAreServedWithCachingHeaders(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            #expect(try await client.execute(uri: "/v1/bundles/trust", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/v1/bundles/nonsense", method: .get).status == .notFound)
            let forged = Community.trustBundle(version: 1, signer: Community.key(77))
            #expect(try await client.operatorRequest("/v1/bundles/trust", method: .put, token: service.admin, body: forged).status == .unprocessableContent)
            #expect(try await client.operatorRequest("/v1/bundles/trust", method: .put, token: service.admin, body: [1, 2, 3]).status == .badRequest)
            let wrongKind = Community.denyListBundle(version: 1, serials: [1])
            #expect(try await client.operatorRequest("/v1/bundles/trust", method: .put, token: service.admin, body: wrongKind).status == .unprocessableContent)
            let good = Community.trustBundle(version: 3)
            #expect(try await client.operatorRequest("/v1/bundles/trust", method: .put, token: service.admin, body: good).status == .created)
            #expect(try await client.operatorRequest("/v1/bundles/trust", method: .put, token: service.admin, body: good).status == .conflict)
            #expect(try await client.operatorRequest("/v1/bundles/trust", method: .put, token: service.admin, body: Community.trustBundle(version: 2)).status == .conflict)

            let download = try await client.execute(uri: "/v1/bundles/trust", method: .get)
            #expect(download.status == .ok)
            #expect(download.bytes == good)
            let etag = try #require(download.headers[.eTag])
            #expect(download.headers[.cacheControl]?.contains("max-age") == true)
            let again = try await client.execute(uri: "/v1/bundles/trust", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.bytes.isEmpty)

            let denyList = Community.denyListBundle(version: 1, serials: [0x00AA_0000_0000_0001])
            #expect(try await client.operatorRequest("/v1/bundles/denylist", method: .put, token: service.desk, body: denyList).status == .created)
            let changed = try await client.execute(uri: "/v1/bundles/denylist", method: .get, headers: [.ifNoneMatch: etag])
            #expect(changed.status == .ok)
        }
    }

    @Test(arguments: Backend.all)
    func healthAndMetrics(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            #expect(String(decoding: health.bytes, as: UTF8.self).contains("\"database\":\"ok\""))
            _ = try await client.upload(service.device.batch(service.device.chain(count: 4)[0..<4]), as: service.device)
            _ = try await client.upload(service.device.batch(service.device.chain(count: 4)[0..<4]), as: service.device)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = String(decoding: metrics.bytes, as: UTF8.self)
            #expect(text.contains("hromada_batches_total{outcome=\"accepted\"} 1"))
            #expect(text.contains("hromada_batches_total{outcome=\"replayed\"} 1"))
            #expect(text.contains("hromada_entries_ingested_total 4"))
            #expect(text.contains("hromada_entries_held 4.0\n"))
            #expect(text.contains("# TYPE hromada_batches_total counter"))
            let missing = try await client.execute(uri: "/nowhere", method: .get)
            #expect(missing.status == .notFound)
        }
    }

    @Test(arguments: Backend.all)
    func metricsScrapedOverHTTP(backend: Backend) async throws {
        let service = try await TestService(backend)
        // A second service in the same process: its registry must not see the first one's counts.
        let other = try await TestService(backend)
        let app = Application(router: service.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let chain = service.device.chain(count: 7)
            let first = try service.device.batch(chain[0..<4]).jsonBody()
            let signed = service.device.headers(method: "POST", path: "/v1/ledger/batches", body: first, nonce: "00112233445566778899aabbccddeeff")
            #expect(try await client.execute(uri: "/v1/ledger/batches", method: .post, headers: signed, body: ByteBuffer(bytes: first)).status == .ok)
            // The same signed request again: refused for its nonce, before any storage.
            let again = try await client.execute(uri: "/v1/ledger/batches", method: .post, headers: signed, body: ByteBuffer(bytes: first))
            #expect(again.status == .unauthorized)
            // The same batch with a fresh signature: stored already, answered as replayed.
            _ = try await client.upload(service.device.batch(chain[0..<4]), as: service.device)
            #expect(try await client.operatorRequest("/v1/alarms", token: "hct_not-a-token").status == .unauthorized)

            var text = try await Self.scrape(client)
            #expect(text.contains("\nhromada_batches_total{outcome=\"accepted\"} 1\n"))
            #expect(text.contains("\nhromada_batches_total{outcome=\"replayed\"} 1\n"))
            #expect(text.contains("\nhromada_entries_ingested_total 4\n"))
            #expect(text.contains("\nhromada_entries_held 4.0\n"))
            #expect(text.contains("\nhromada_device_auth_refused_total{code=\"replayed-nonce\"} 1\n"))
            #expect(text.contains("\nhromada_operator_auth_refused_total{status=\"401\"} 1\n"))
            #expect(text.contains("\nhromada_http_requests_total{status=\"4xx\"} 2\n"))
            #expect(text.contains("# TYPE hromada_entries_held gauge\n"))

            // Three more entries: the held gauge follows the service's own ingest.
            #expect(try await client.upload(service.device.batch(chain[4..<7]), as: service.device).status == .ok)
            text = try await Self.scrape(client)
            #expect(text.contains("\nhromada_batches_total{outcome=\"accepted\"} 2\n"))
            #expect(text.contains("\nhromada_entries_ingested_total 7\n"))
            #expect(text.contains("\nhromada_entries_held 7.0\n"))
            // The first scrape is counted once it was answered.
            #expect(text.contains("\nhromada_http_requests_total{status=\"2xx\"} 4\n"))
        }
        let otherText = await other.engine.metrics.render(countingHeldEntries: { 0 })
        #expect(!otherText.contains("hromada_batches_total"))
        #expect(otherText.contains("\nhromada_entries_held 0.0\n"))
    }

    @Test func heldEntriesAreCountedInTheDatabaseOnlyOncePerLifetime() async {
        let metrics = ServiceMetrics()
        let counts = Mutex(0)
        let count: @Sendable () async throws -> Int = {
            counts.withLock { $0 += 1 }
            return 10
        }
        #expect(await metrics.render(countingHeldEntries: count).contains("\nhromada_entries_held 10.0\n"))
        await metrics.add(ServiceMetrics.entriesIngested, 5)
        let text = await metrics.render(countingHeldEntries: count)
        #expect(counts.withLock { $0 } == 1)
        #expect(text.contains("\nhromada_entries_held 15.0\n"))
        #expect(text.contains("\nhromada_entries_ingested_total 5\n"))
    }

    /// `GET /metrics`, checked to be the Prometheus text format.
    static func scrape(_ client: some TestClientProtocol) async throws -> String {
        let response = try await client.execute(uri: "/metrics", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        return String(decoding: response.bytes, as: UTF8.self)
    }

    @Test(arguments: Backend.all)
    func storageFailuresAreA503WithoutDetails(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.storage.close()  // the database goes away under the running service
        try await service.withClient { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .serviceUnavailable)
            let upload = try await client.upload(service.device.batch(service.device.chain(count: 3)[0..<3]), as: service.device)
            #expect(upload.status == .serviceUnavailable)
            #expect(upload.errorCode == "storage-unavailable")
            #expect(!String(decoding: upload.bytes, as: UTF8.self).contains("closed"))
        }
    }
}

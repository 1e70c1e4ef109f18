import AccountingCore
import AccountingService
import AccountingStore
import Crypto
import Entitlements
import HTTPTypes
import HummingbirdTesting
import Identifiers
import LedgerCore
import Testing

import Foundation

/// `GET /v1/transactions`: what an auditor needs (the bytes, the hashes) and keyset pages with filters.
@Suite("Transactions for auditors", .runsStorage)
struct TransactionsTests {
    struct Page: Decodable {
        struct Item: Decodable {
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
            var detail: String
            var previousHash: String
            var hash: String
            var canonicalBytes: String
            var receivedAt: Int64
        }
        var items: [Item]
        var nextCursor: String?
    }

    /// A chain of `device` with one entry of every kind (a clock stepped back, a pending entry
    /// resolved), then benefit rides on four cards an hour apart.
    static func mixedChain(_ device: TestDevice, count: Int) -> [LedgerEntry] {
        let time = UnixTime(1_800_000_000)
        let card = CardSerial(0x00CC_0000_0000_0001)
        let records: [LedgerRecord] = [
            .startUp(at: time, software: "hromada-validator 1.0"),
            .rideAccepted(at: time, card: card, layout: 1, fareKopecks: 1500, route: 7, vehicle: 11),
            .purseDebit(at: time, card: card, layout: 2, amountKopecks: 800, balanceAfterKopecks: 1200, route: 7, vehicle: 11),
            .tapDeclined(at: time, card: nil, layout: nil, reasonCode: "ride-limit-reached", route: 7, vehicle: 11),
            .cardTransactionPending(at: time, card: card, layout: 1, fareKopecks: 1500, route: 7, vehicle: 11),
            .cardTransactionConfirmed(at: time, card: card, pending: 5),
            .clockAdjusted(from: time, to: UnixTime(1_799_990_000), source: "gnss"),
        ]
        var head = ChainHead.genesis(for: device.id)
        return (0..<count).map { index in
            let record = index < records.count
                ? records[index]
                : .benefitUse(
                    at: UnixTime(1_800_000_000 + Int64(index) * 3600), card: CardSerial(0x00CC_0000_0000_0000 | UInt64(index % 4)), layout: 1,
                    entitlement: 5, category: 3, fareKopecks: 0, fullFareKopecks: 1500, route: 7, vehicle: 11)
            let entry = try! head.seal(record)
            head = ChainHead(after: entry)
            return entry
        }
    }

    /// Every page of `query` (which may be empty), limit `limit`.
    static func readAll(_ client: any TestClientProtocol, _ service: TestService, query: String, limit: Int) async throws -> [Page.Item] {
        var items: [Page.Item] = []
        var cursor: String?
        repeat {
            let uri = "/v1/transactions?limit=\(limit)" + (query.isEmpty ? "" : "&" + query) + (cursor.map { "&after=\($0)" } ?? "")
            let response = try await client.operatorRequest(uri, token: service.finance)
            #expect(response.status == .ok, "\(uri): \(String(decoding: response.bytes, as: UTF8.self))")
            let page = try response.decode(Page.self)
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return items
    }

    @Test(arguments: Backend.all)
    func anAuditorReverifiesEveryChainFromTheAPIAlone(backend: Backend) async throws {
        let service = try await TestService(backend)
        let second = TestDevice(id: 18, seed: 5)
        try await service.storage.register(DeviceRegistration(deviceID: second.id, certificate: second.certificate, label: "bus-018", registeredAt: Community.now))
        let first = Self.mixedChain(service.device, count: 25)
        let other = Self.mixedChain(second, count: 9)
        try await service.withClient { client in
            #expect(try await client.upload(service.device.batch(first[0..<25]), as: service.device).status == .ok)
            #expect(try await client.upload(second.batch(other[0..<9]), as: second).status == .ok)
            let items = try await Self.readAll(client, service, query: "", limit: 4)
            #expect(items.map { "\($0.device):\($0.sequence)" } == (1...25).map { "17:\($0)" } + (1...9).map { "18:\($0)" })
            var previous: [UInt32: String] = [:]
            for item in items {
                // The bytes are the entry: their SHA-256 is its hash, they decode to its fields.
                let bytes = try #require(Data(base64Encoded: item.canonicalBytes).map(Array.init))
                #expect(Hex.encode(SHA256.hash(data: bytes)) == item.hash)
                let entry = try LedgerEntry(canonicalBytes: bytes)
                let record = entry.record
                #expect(entry.deviceID.rawValue == item.device && entry.sequence == item.sequence)
                #expect(record.kind.name == item.kind && record.deviceTime.rawValue == item.deviceTime)
                #expect(record.cardSerial?.printed == item.cardSerial && record.layoutVersion?.rawValue == item.layoutVersion)
                #expect(record.category?.rawValue == item.category && record.entitlementID?.rawValue == item.entitlement)
                #expect(record.fareKopecks == item.fareKopecks && record.fullFareKopecks == item.fullFareKopecks)
                #expect(record.purseBalanceAfterKopecks == item.purseBalanceAfterKopecks)
                #expect(record.route?.rawValue == item.route && record.vehicle?.rawValue == item.vehicle)
                #expect(record.relatedSequence == item.relatedSequence && record.clockCorrectionSeconds == item.clockCorrectionSeconds)
                #expect(record.detail == item.detail && entry.previousHash.hex == item.previousHash)
                // The chain: each entry names the hash of the one before, the first its device's genesis.
                #expect(item.previousHash == previous[item.device] ?? ChainHash.genesis(for: DeviceID(item.device)).hex)
                previous[item.device] = item.hash
            }
            // What was uploaded, exactly.
            #expect(items.map(\.hash) == (first + other).map(\.hash.hex))
            let adjusted = try #require(items.first { $0.kind == "clock-adjusted" })
            #expect(adjusted.clockCorrectionSeconds == -10_000)
            #expect(items.first { $0.kind == "card-transaction-confirmed" }?.relatedSequence == 5)
            #expect(items.first { $0.kind == "purse-debit" }?.layoutVersion == 2)
        }
    }

    @Test(arguments: Backend.all)
    func filtersPageByKeysetInTheirOrder(backend: Backend) async throws {
        let service = try await TestService(backend)
        let chain = Self.mixedChain(service.device, count: 40)
        try await service.withClient { client in
            #expect(try await client.upload(service.device.batch(chain[0..<40]), as: service.device).status == .ok)
            func keys(_ items: [Page.Item]) -> [UInt64] { items.map(\.sequence) }
            func expected(_ include: (LedgerEntry) -> Bool, byTime: Bool) -> [UInt64] {
                let chosen = chain.filter(include)
                return (byTime ? chosen.sorted { ($0.record.deviceTime, $0.sequence) < ($1.record.deviceTime, $1.sequence) } : chosen).map(\.sequence)
            }
            let card = CardSerial(0x00CC_0000_0000_0002)
            let from: Int64 = 1_800_000_000 + 10 * 3600
            let to: Int64 = 1_800_000_000 + 30 * 3600
            let cases: [(String, [UInt64])] = [
                ("device=17", expected({ _ in true }, byTime: false)),
                ("device=18", []),
                ("kind=benefit-use", expected({ $0.record.kind == .benefitUse }, byTime: false)),
                ("kind=clock-adjusted", expected({ $0.record.kind == .clockAdjusted }, byTime: false)),
                ("cardSerial=00CC-0000-0000-0002", expected({ $0.record.cardSerial == card }, byTime: true)),
                ("from=\(from)", expected({ $0.record.deviceTime.rawValue >= from }, byTime: true)),
                ("from=\(from)&to=\(to)", expected({ (from..<to).contains($0.record.deviceTime.rawValue) }, byTime: true)),
                ("to=\(from)", expected({ $0.record.deviceTime.rawValue < from }, byTime: true)),
                ("cardSerial=00cc000000000002&from=\(from)&kind=benefit-use", expected({ $0.record.cardSerial == card && $0.record.deviceTime.rawValue >= from }, byTime: true)),
            ]
            for (query, sequences) in cases {
                for limit in [1, 3, 100] {
                    #expect(keys(try await Self.readAll(client, service, query: query, limit: limit)) == sequences, "\(query), limit \(limit)")
                }
            }
            // A device-time page's cursor names the time too.
            let page = try await client.operatorRequest("/v1/transactions?limit=2&from=\(from)", token: service.finance).decode(Page.self)
            #expect(page.nextCursor == "\(page.items[1].deviceTime):17:\(page.items[1].sequence)")
        }
    }

    @Test(arguments: Backend.all)
    func badCursorsAndFiltersAreRefusedInTheServicesErrorShape(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            _ = try await client.upload(service.device.batch(service.device.chain(count: 3)[0..<3]), as: service.device)
            let malformed = [
                "after=x", "after=17", "after=017:2", "after=17:-2", "after=1:2:3:4", "after=-0:17:2", "after=4294967296:1",
                "from=abc", "from=01", "to=-0", "to=1.5", "kind=nope", "cardSerial=zz", "device=-1",
            ]
            let otherOrder = ["after=1800000000:17:1", "from=0&after=17:1", "cardSerial=00BB000000000001&after=17:1"]
            for (queries, status) in [(malformed, HTTPResponse.Status.badRequest), (otherOrder, .unprocessableContent)] {
                for query in queries {
                    let response = try await client.operatorRequest("/v1/transactions?" + query, token: service.finance)
                    #expect(response.status == status, "\(query)")
                    let body = try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any]
                    let error = body?["error"] as? [String: Any]
                    let message = error?["message"] as? [String: String]
                    #expect(error?["code"] as? String == "invalid-field", "\(query)")
                    #expect(message?["uk"]?.isEmpty == false && message?["en"]?.isEmpty == false, "\(query)")
                }
            }
            // The extremes of the forms are read, not refused.
            for query in ["from=-9223372036854775808", "to=9223372036854775807", "after=-9223372036854775808:0:0&from=-5", "after=4294967295:18446744073709551615"] {
                #expect(try await client.operatorRequest("/v1/transactions?" + query, token: service.finance).status == .ok, "\(query)")
            }
        }
    }
}

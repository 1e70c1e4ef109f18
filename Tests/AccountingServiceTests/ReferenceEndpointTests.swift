import AccountingCore
import AccountingService
import AccountingStore
import Bundles
import Entitlements
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identifiers
import Tariff
import Synchronization
import Testing

import Foundation

@Suite("Reference data endpoints", .runsStorage)
struct ReferenceEndpointTests {
    static let carrierJSON = #"{"id":1,"name":"ТОВ «Немішаєве-Авто»","edrpou":"14360570","contract":"№ 12/2026"}"#

    static func tariffBundle(version: UInt32) -> [UInt8] {
        let tariff = Tariff(
            community: Community.name, version: version, acceptedLayoutVersions: [1],
            categories: [BenefitCategory(code: 3, id: "pensioner", name: LocalizedText(uk: "Пенсіонер", en: "Pensioner"))], baseFareKopecks: 1500,
            routes: [Route(number: 7, name: LocalizedText(uk: "Центр — Вокзал", en: "Centre — Station"), zones: [1], fareKopecks: 1500)],
            antiPassbackSeconds: 120, transfer: TransferRule(windowSeconds: 3600, farePercent: 0))
        return try! SignedBundle.make(
            .tariff(tariff), community: Community.name, version: version, issuedAt: Community.now.adding(seconds: -60),
            expiresAt: Community.now.adding(seconds: 86_400 * 30), rootKeyID: Community.rootID, rootKey: Community.rootKey
        ).encoded()
    }

    @Test(arguments: Backend.all)
    func adminWritesFinanceReadsDeskAndStrangersAreRefused(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            let reads = [
                "/v1/carriers", "/v1/routes", "/v1/device-assignments", "/v1/programmes/2026", "/v1/tariff-periods", "/v1/deny-listings",
                "/v1/purse-credits", "/v1/issued-entitlements", "/v1/carrier-payments", "/v1/period-closes",
            ]
            let writes: [(String, HTTPRequest.Method)] = [
                ("/v1/carriers", .post), ("/v1/carriers/1", .put), ("/v1/routes", .post), ("/v1/routes/7", .put),
                ("/v1/device-assignments", .post), ("/v1/device-assignments/17", .put), ("/v1/programmes/2026", .put),
                ("/v1/tariff-periods/3", .put), ("/v1/purse-credits", .post), ("/v1/issued-entitlements", .post), ("/v1/carrier-payments", .post),
            ]
            for uri in reads {
                #expect(try await client.operatorRequest(uri, token: nil).status == .unauthorized, "\(uri)")
                #expect(try await client.operatorRequest(uri, token: service.desk).status == .forbidden, "\(uri)")
                let finance = try await client.operatorRequest(uri, token: service.finance).status
                // The programme of a year not set yet is 404; every other read is 200 for finance.
                #expect(finance == (uri.hasPrefix("/v1/programmes") ? .notFound : .ok), "\(uri)")
            }
            for (uri, method) in writes {
                #expect(try await client.operatorRequest(uri, method: method, token: nil, body: []).status == .unauthorized, "\(method) \(uri)")
                #expect(try await client.operatorRequest(uri, method: method, token: service.desk, body: []).status == .forbidden, "\(method) \(uri)")
                #expect(try await client.operatorRequest(uri, method: method, token: service.finance, body: []).status == .forbidden, "\(method) \(uri)")
                // The admin gets past the role check to the body, which is not JSON: 400 in the error shape.
                let malformed = try await client.operatorRequest(uri, method: method, token: service.admin, body: Array("{not json".utf8))
                #expect(malformed.status == .badRequest, "\(method) \(uri)")
                #expect(malformed.errorCode == "malformed-body", "\(method) \(uri)")
                let error = try malformed.decode(ErrorResponse.self)
                #expect(!error.error.message.uk.isEmpty && !error.error.message.en.isEmpty)
            }
            #expect(try await client.operatorRequest("/v1/carriers", method: .post, token: service.admin, body: Array(Self.carrierJSON.utf8)).status == .created)
            #expect(try await client.operatorRequest("/v1/carriers", token: service.finance).decode([String: [Carrier]].self)["carriers"]?.map(\.edrpou) == ["14360570"])
        }
    }

    @Test(arguments: Backend.all)
    func refusalsAreAnsweredWithTheirCodesInBothLanguages(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            func send(_ uri: String, _ json: String, method: HTTPRequest.Method = .post) async throws -> TestResponse {
                try await client.operatorRequest(uri, method: method, token: service.admin, body: Array(json.utf8))
            }
            #expect(try await send("/v1/carriers", Self.carrierJSON).status == .created)
            let duplicate = try await send("/v1/carriers", Self.carrierJSON)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.errorCode == "duplicate-reference")
            let badCode = try await send("/v1/carriers", #"{"id":2,"name":"Інший","edrpou":"14360571","contract":"1"}"#)
            #expect(badCode.status == .unprocessableContent)
            #expect(badCode.errorCode == "invalid-reference")
            #expect(try badCode.decode(ErrorResponse.self).error.message.uk.contains("ЄДРПОУ"))
            let unknownCarrier = try await send("/v1/routes", #"{"route":7,"name":"Центр — Вокзал","carrier":9}"#)
            #expect(unknownCarrier.status == .unprocessableContent)
            #expect(unknownCarrier.errorCode == "unknown-reference")
            #expect(try await send("/v1/routes", #"{"route":7,"name":"Центр — Вокзал","carrier":1}"#).status == .created)
            #expect(try await send("/v1/routes/7", #"{"name":"Центр — Вокзал — Ринок","carrier":1}"#, method: .put).status == .ok)

            // Assignments: the open span is closed at the next one's start; an overlap is 409.
            #expect(try await send("/v1/device-assignments", #"{"device":17,"vehicle":101,"carrier":1,"validFrom":1000}"#).status == .created)
            let moved = try await send("/v1/device-assignments", #"{"device":17,"vehicle":202,"carrier":1,"validFrom":5000}"#)
            #expect(moved.status == .created)
            #expect(try moved.decode([String: [DeviceAssignment]].self)["assignments"]?.map(\.validUntil) == [UnixTime(5000), nil])
            let overlap = try await send("/v1/device-assignments", #"{"device":17,"vehicle":303,"carrier":1,"validFrom":2000,"validUntil":3000}"#)
            #expect(overlap.status == .conflict)
            #expect(overlap.errorCode == "assignment-overlap")
            let window = try await client.operatorRequest("/v1/device-assignments?from=5000&until=6000", token: service.finance)
            #expect(try window.decode([String: [DeviceAssignment]].self)["assignments"]?.map(\.vehicle) == [202])
            #expect(try await client.operatorRequest("/v1/device-assignments?from=05", token: service.finance).status == .badRequest)

            #expect(try await send("/v1/programmes/2026", #"{"lines":[{"category":3,"budgetKopecks":5000000,"monthlyCapKopecks":500000}]}"#, method: .put).status == .ok)
            let programme = try await client.operatorRequest("/v1/programmes/2026", token: service.finance).decode(CompensationProgramme.self)
            #expect(programme.lines == [.init(category: 3, budgetKopecks: 5_000_000, monthlyCapKopecks: 500_000)])
            #expect(try await send("/v1/programmes/1999", #"{"lines":[]}"#, method: .put).status == .unprocessableContent)

            let credits = #"{"credits":[{"card":"00BB-0000-0000-0001","amountKopecks":10000,"creditedAt":1000,"source":"import","reference":"квитанція 1"}]}"#
            #expect(try await send("/v1/purse-credits", credits).status == .created)
            #expect(try await send("/v1/purse-credits", credits).errorCode == "duplicate-reference")
            #expect(try await client.operatorRequest("/v1/purse-credits?from=0&until=1001", token: service.finance).decode([String: [PurseCredit]].self)["credits"]?.count == 1)

            let entitlements = #"{"entitlements":[{"card":"00BB000000000001","entitlement":5,"category":3,"product":3,"rideLimit":40,"ridePeriod":3,"validFrom":"2026-01-01","validUntil":"2026-12-31"}]}"#
            #expect(try await send("/v1/issued-entitlements", entitlements).status == .created)
            let issued = try await client.operatorRequest("/v1/issued-entitlements?card=00BB-0000-0000-0001", token: service.finance)
            #expect(try issued.decode([String: [IssuedEntitlement]].self)["entitlements"]?.first?.rideLimit == 40)

            let payment = #"{"carrier":1,"paidOn":"2026-11-20","amountKopecks":1234500,"reference":"п/д 415"}"#
            #expect(try await send("/v1/carrier-payments", payment).status == .created)
            #expect(try await send("/v1/carrier-payments", payment).status == .conflict)
            let november = try await client.operatorRequest("/v1/carrier-payments?from=2026-11-01&through=2026-11-30", token: service.finance)
            #expect(try november.decode([String: [CarrierPayment]].self)["payments"]?.map(\.amountKopecks) == [1_234_500])

            // Replacements: a carrier's fields by its id, a device's spans as a set.
            let renamed = try await send("/v1/carriers/1", #"{"name":"ТОВ «Авто плюс»","edrpou":"14360570","contract":"№ 12/2026"}"#, method: .put)
            #expect(try renamed.decode(Carrier.self) == Carrier(id: 1, name: "ТОВ «Авто плюс»", edrpou: "14360570", contract: "№ 12/2026"))
            #expect(try await send("/v1/carriers/9", #"{"name":"Ніхто","edrpou":"00032129","contract":"1"}"#, method: .put).errorCode == "unknown-reference")
            let spans = #"{"assignments":[{"vehicle":7,"carrier":1,"validFrom":100,"validUntil":200},{"vehicle":8,"carrier":1,"validFrom":200}]}"#
            let replaced = try await send("/v1/device-assignments/18", spans, method: .put)
            #expect(replaced.status == .ok)
            #expect(try replaced.decode([String: [DeviceAssignment]].self)["assignments"]?.map(\.device) == [18, 18])
            let clash = #"{"assignments":[{"vehicle":7,"carrier":1,"validFrom":100},{"vehicle":8,"carrier":1,"validFrom":200}]}"#
            #expect(try await send("/v1/device-assignments/18", clash, method: .put).errorCode == "assignment-overlap")

            // A month closed by the reconciliation tool is served as stored.
            try await service.storage.storePeriodClose(PeriodClose(month: "2026-11", closedAt: Community.now, record: Array("{}".utf8), signature: [0xAB, 0xCD]))
            struct Close: Decodable { var month: String; var closedAt: Int64; var record: String; var signature: String }
            let closes = try await client.operatorRequest("/v1/period-closes", token: service.finance).decode([String: [Close]].self)["closes"] ?? []
            #expect(closes.map(\.month) == ["2026-11"] && closes.map(\.record) == ["e30="] && closes.map(\.signature) == ["abcd"])
        }
    }

    /// The effect of bundles uploaded through the real endpoint: a tariff version's period
    /// starts at its upload, a deny listing takes effect when a bundle listing its card arrives.
    @Test(arguments: Backend.all)
    func uploadedBundlesRecordTariffPeriodsAndDenyListingEffect(backend: Backend) async throws {
        let clock = SteppingClock(start: Community.now)
        let service = try await TestService(backend, now: { clock.now() })
        try await service.withClient { client in
            let report = Array(#"{"cardSerial":"00AA000000000001","reason":"stolen"}"#.utf8)
            #expect(try await client.operatorRequest("/v1/deny-list-entries", method: .post, token: service.desk, body: report).status == .created)
            clock.advance(seconds: 600)
            let tariff = try await client.operatorRequest("/v1/bundles/tariff", method: .put, token: service.admin, body: Self.tariffBundle(version: 3))
            #expect(tariff.status == .created)
            let denyList = Community.denyListBundle(version: 1, serials: [0x00AA_0000_0000_0001])
            #expect(try await client.operatorRequest("/v1/bundles/denylist", method: .put, token: service.desk, body: denyList).status == .created)
            let periods = try await client.operatorRequest("/v1/tariff-periods", token: service.finance).decode([String: [TariffPeriod]].self)
            #expect(periods["periods"] == [TariffPeriod(version: 3, effectiveFrom: Community.now.adding(seconds: 600))])
            let listings = try await client.operatorRequest("/v1/deny-listings", token: service.finance).decode([String: [DenyListing]].self)
            #expect(
                listings["listings"] == [
                    DenyListing(
                        card: CardSerial(0x00AA_0000_0000_0001), reason: "stolen", reportedAt: Community.now,
                        effectiveAt: Community.now.adding(seconds: 600), bundleVersion: 1)
                ])
            // An explicit time replaces the upload time.
            let set = try await client.operatorRequest("/v1/tariff-periods/3", method: .put, token: service.admin, body: Array(#"{"effectiveFrom":1799990000}"#.utf8))
            #expect(set.status == .ok)
            let after = try await client.operatorRequest("/v1/tariff-periods", token: service.finance).decode([String: [TariffPeriod]].self)
            #expect(after["periods"] == [TariffPeriod(version: 3, effectiveFrom: UnixTime(1_799_990_000))])
        }
    }
}

/// A clock the test moves by hand.
final class SteppingClock: Sendable {
    private let seconds: Mutex<Int64>

    init(start: UnixTime) { seconds = Mutex(start.rawValue) }

    func now() -> UnixTime { UnixTime(seconds.withLock { $0 }) }

    func advance(seconds step: Int64) { seconds.withLock { $0 += step } }
}

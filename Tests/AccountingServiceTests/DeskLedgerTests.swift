import AccountingCore
import AccountingService
import AccountingStore
import Entitlements
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identifiers
import LedgerCore
import Testing

/// A desk's ledger through the real HTTP API: registered with role `desk`, its card and purse
/// actions accepted and kept in columns; the same kinds refused from a validator, rides from a desk.
@Suite("Desk ledgers over HTTP", .runsStorage)
struct DeskLedgerTests {
    static let desk = TestDevice(id: 900, seed: 9)

    /// One of every desk kind, then a start-up (every device's), as a desk writes them.
    static func deskChain() -> [LedgerEntry] {
        let time = UnixTime(1_800_000_000)
        let terms = WrittenEntitlementTerms(
            product: .rides, validFrom: CivilDate(daysSinceEpoch: 20_800), validUntil: CivilDate(daysSinceEpoch: 21_165), rideLimit: 30,
            ridePeriod: .month)
        let records: [LedgerRecord] = [
            .startUp(at: time, software: "hromada-desk test"),
            .cardIssued(at: time.adding(seconds: 1), card: 0x00CC_0000_0000_0001, layout: 2),
            .entitlementWritten(at: time.adding(seconds: 2), card: 0x00CC_0000_0000_0001, layout: 2, entitlement: 41, category: 3, terms: terms),
            .purseCredit(at: time.adding(seconds: 3), card: 0x00CC_0000_0000_0001, layout: 2, amountKopecks: 20_000, receipt: 1001, balanceAfterKopecks: 20_000),
            .cardBlocked(at: time.adding(seconds: 4), card: 0x00CC_0000_0000_0001, reason: "lost"),
            .cardReplaced(at: time.adding(seconds: 5), old: 0x00CC_0000_0000_0001, new: 0x00CC_0000_0000_0002, balanceMovedKopecks: 20_000),
            .cardReturned(at: time.adding(seconds: 6), card: 0x00CC_0000_0000_0002, reason: "moved-away"),
        ]
        var head = ChainHead.genesis(for: desk.id)
        return records.map { record in
            let entry = try! head.seal(record)
            head = ChainHead(after: entry)
            return entry
        }
    }

    static func registrationBody(_ device: TestDevice, role: String?) throws -> [UInt8] {
        var object: [String: Any] = ["device": device.id.rawValue, "certificate": Hex.encode(try device.certificate.encoded()), "label": "desk-1"]
        if let role { object["role"] = role }
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    @Test(arguments: Backend.all)
    func deskRegisteredAsADeskUploadsItsActionsAndTheirColumnsAreKept(backend: Backend) async throws {
        let service = try await TestService(backend)
        let chain = Self.deskChain()
        try await service.withClient { client in
            let registered = try await client.operatorRequest(
                "/v1/devices", method: .post, token: service.admin, body: try Self.registrationBody(Self.desk, role: "desk"))
            #expect(registered.status == .created)
            #expect((try JSONSerialization.jsonObject(with: Data(registered.bytes)) as? [String: Any])?["role"] as? String == "desk")
            let response = try await client.upload(Self.desk.batch(chain[...]), as: Self.desk)
            #expect(response.status == .ok)
            #expect(try response.decode(UploadResponse.self).storedEntries == chain.count)
        }
        #expect(try await service.storage.registration(of: Self.desk.id)?.role == .desk)
        let stored = try await service.storage.entries(device: Self.desk.id, after: nil, limit: 100).map(\.entry)
        #expect(stored == chain)
        #expect(stored[3].record.amountKopecks == 20_000 && stored[3].record.receiptNumber == 1001)
        #expect(stored[5].record.otherCardSerial == 0x00CC_0000_0000_0002)
        // The format 2 columns are filled at ingest and agree with the bytes.
        let check = try await service.storage.verifyEntryColumns()
        #expect(check.isClean)
        let rows = try await service.storage.entryRows(after: nil, limit: 100).filter { $0.device == 900 }
        let amount = try #require(EntryColumns.names.firstIndex(of: "amount"))
        let receipt = try #require(EntryColumns.names.firstIndex(of: "receipt_number"))
        let other = try #require(EntryColumns.names.firstIndex(of: "other_card_serial"))
        #expect(rows[3].columns[amount] == 20_000 && rows[3].columns[receipt] == 1001)
        #expect(rows[5].columns[amount] == 20_000 && rows[5].columns[other] == 0x00CC_0000_0000_0002)
        #expect(rows[1].columns[amount] == nil)
    }

    @Test(arguments: Backend.all)
    func aValidatorCannotUploadAPurseCreditNorADeskARide(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            // The registered validator (device 17) offers a desk's purse credit: the whole batch is refused.
            var head = ChainHead.genesis(for: service.device.id)
            let ride = try head.seal(.startUp(at: UnixTime(1_800_000_000), software: "validator"))
            head = ChainHead(after: ride)
            let forged = try head.seal(.purseCredit(at: UnixTime(1_800_000_001), card: 5, amountKopecks: 100_000, receipt: 1))
            let refused = try await client.upload(service.device.batch([ride, forged][...]), as: service.device)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.errorCode == "kind-not-allowed-for-device-role")
            // A desk offers a ride.
            _ = try await client.operatorRequest(
                "/v1/devices", method: .post, token: service.admin, body: try Self.registrationBody(Self.desk, role: "desk"))
            let deskRide = try ChainHead.genesis(for: Self.desk.id).seal(
                .benefitUse(at: UnixTime(1_800_000_000), card: 5, layout: 1, entitlement: 1, category: 1, fareKopecks: 0, fullFareKopecks: 1500, route: 1, vehicle: 1))
            let rideRefused = try await client.upload(Self.desk.batch([deskRide][...]), as: Self.desk)
            #expect(rideRefused.status == .unprocessableContent)
            #expect(rideRefused.errorCode == "kind-not-allowed-for-device-role")
            // An unknown role is outside the documented schema (400), and nothing changes.
            let badRole = try await client.operatorRequest(
                "/v1/devices", method: .post, token: service.admin, body: try Self.registrationBody(TestDevice(id: 901, seed: 10), role: "kiosk"))
            #expect(badRole.status == .badRequest && badRole.errorCode == "invalid-field")
        }
        #expect(try await service.storage.entryCount() == 0)
        #expect(try await service.storage.registration(of: 901) == nil)
        #expect(try await service.storage.registration(of: service.device.id)?.role == .validator)
    }

    /// Issue 12: a batch refused after a hole is the device's signed word that it went on.
    @Test(arguments: Backend.all)
    func batchesRefusedAfterAGapAreRecordedOnceEachAndBoundedPerDevice(backend: Backend) async throws {
        let now = Community.now
        let service = try await TestService(backend)
        let chain = service.device.chain(count: 200)
        try await service.withClient { client in
            _ = try await client.upload(service.device.batch(chain[0..<10]), as: service.device)
            for _ in 0..<3 {
                let response = try await client.upload(service.device.batch(chain[20..<30]), as: service.device)
                #expect(response.status == .conflict && response.errorCode == "gap")
            }
        }
        var refused = try await service.storage.refusedBatches()
        #expect(refused.count == 1)
        let first = try #require(refused.first)
        #expect(first.device == 17 && first.firstSequence == 21 && first.lastSequence == 30 && first.heldSequence == 10)
        #expect(first.timesOffered == 3 && first.firstRefusedAt == now.rawValue)
        #expect(first.firstPreviousHash == chain[19].hash.hex && first.lastHash == chain[29].hash.hex)
        // Many distinct refused batches: the first and the newest are kept, no more.
        try await service.withClient { client in
            for start in stride(from: 30, to: 190, by: 5) {
                _ = try await client.upload(service.device.batch(chain[start..<(start + 5)]), as: service.device)
            }
        }
        refused = try await service.storage.refusedBatches()
        #expect(refused.count == RefusedBatchRecord.keptPerDevice)
        #expect(refused.first?.firstSequence == 21)
        #expect(refused.last?.lastSequence == 190)
        // A forged batch (not signed by the device) is rejected before the position and leaves no row.
        try await service.withClient { client in
            let forged = try await client.upload(service.device.batch(chain[195..<200], signer: Community.key(77)), as: service.device)
            #expect(forged.status == .unprocessableContent)
        }
        #expect(try await service.storage.refusedBatches().count == RefusedBatchRecord.keptPerDevice)
    }
}

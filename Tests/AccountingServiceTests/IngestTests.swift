import AccountingCore
import AccountingService
import Entitlements
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerCore
import NIOCore
import Testing

@Suite("Ingest over HTTP", .runsStorage)
struct IngestTests {
    @Test(arguments: Backend.all)
    func acceptedBatchGetsAVerifyingReceiptAndIsStored(backend: Backend) async throws {
        let service = try await TestService(backend)
        let chain = service.device.chain(count: 250)
        try await service.withClient { client in
            let response = try await client.upload(service.device.batch(chain[0..<250]), as: service.device)
            #expect(response.status == .ok)
            let answer = try response.decode(UploadResponse.self)
            #expect(answer.outcome == .accepted)
            #expect(answer.storedEntries == 250)
            let receipt = try answer.receipt.receipt()
            #expect(receipt.isValid(signedBy: Community.serviceKey.publicKey))
            #expect(receipt.sequence == 250)
            #expect(receipt.chainHash == chain[249].hash)
            #expect(receipt.deviceID == service.device.id)
        }
        let stored = try await service.engine.storage.entries(device: service.device.id, after: nil, limit: 1000)
        #expect(stored.map(\.entry) == chain)
        #expect(ChainVerifier.verify(
            deviceID: service.device.id, entries: stored.map(\.entry), checkpoints: try await service.engine.storage.checkpoints(of: service.device.id),
            devicePublicKey: service.device.key.publicKey).isIntact)
    }

    @Test(arguments: Backend.all)
    func replayAnswersTheSameReceiptAndStoresNothingTwice(backend: Backend) async throws {
        let service = try await TestService(backend)
        let chain = service.device.chain(count: 30)
        try await service.withClient { client in
            let first = try await client.upload(service.device.batch(chain[0..<20]), as: service.device).decode(UploadResponse.self)
            _ = try await client.upload(service.device.batch(chain[20..<30]), as: service.device)
            let again = try await client.upload(service.device.batch(chain[0..<20]), as: service.device)
            #expect(again.status == .ok)
            let replay = try again.decode(UploadResponse.self)
            #expect(replay.outcome == .replayed)
            #expect(replay.storedEntries == 0)
            #expect(replay.receipt == first.receipt)
            // An overlapping batch stores only what is new.
            let more = service.device.chain(count: 40)
            let overlap = try await client.upload(service.device.batch(more[25..<40]), as: service.device).decode(UploadResponse.self)
            #expect(overlap.outcome == .accepted)
            #expect(overlap.storedEntries == 10)
        }
        #expect(try await service.engine.storage.entryCount() == 40)
    }

    @Test(arguments: Backend.all)
    func batchAfterAGapGets409WithTheResumeSequence(backend: Backend) async throws {
        let service = try await TestService(backend)
        let chain = service.device.chain(count: 30)
        try await service.withClient { client in
            _ = try await client.upload(service.device.batch(chain[0..<10]), as: service.device)
            let response = try await client.upload(service.device.batch(chain[20..<30]), as: service.device)
            #expect(response.status == .conflict)
            let error = try response.decode(ErrorResponse.self)
            #expect(error.error.code == .gap)
            #expect(error.error.resumeSequence == 11)
            #expect(!error.error.message.uk.isEmpty && !error.error.message.en.isEmpty)
        }
        #expect(try await service.engine.storage.entryCount() == 10)
    }

    @Test(arguments: Backend.all)
    func contradictingBatchIsRefusedAndRaisesATamperAlarm(backend: Backend) async throws {
        let service = try await TestService(backend)
        let honest = service.device.chain(count: 20)
        let rewritten = service.device.chain(count: 25, detail: "rewritten")
        try await service.withClient { client in
            _ = try await client.upload(service.device.batch(honest[0..<20]), as: service.device)
            let response = try await client.upload(service.device.batch(rewritten[0..<25]), as: service.device)
            #expect(response.status == .conflict)
            #expect(response.errorCode == "chain-conflict")
            let alarms = try await client.operatorRequest("/v1/alarms", token: service.finance)
            #expect(alarms.status == .ok)
        }
        let alarms = try await service.engine.storage.alarms()
        #expect(alarms.count == 1)
        #expect(alarms.first?.sequence == 1)
        #expect(alarms.first?.device == 17)
        #expect(try await service.engine.storage.entryCount() == 20)
        #expect(try await service.engine.storage.head(of: service.device.id) == ChainHead(after: honest[19]))
    }

    @Test(arguments: Backend.all)
    func positionReportsTheHeadAndLatestReceipt(backend: Backend) async throws {
        let service = try await TestService(backend)
        let chain = service.device.chain(count: 12)
        try await service.withClient { client in
            let empty = try await client.execute(
                uri: "/v1/ledger/position", method: .get, headers: service.device.headers(method: "GET", path: "/v1/ledger/position", body: []))
            #expect(empty.status == .ok)
            let before = try empty.decode(PositionResponse.self)
            #expect(before.sequence == 0)
            #expect(before.resumeSequence == 1)
            #expect(before.receipt == nil)
            #expect(before.chainHash == ChainHash.genesis(for: service.device.id).hex)
            _ = try await client.upload(service.device.batch(chain[0..<12]), as: service.device)
            let after = try await client.execute(
                uri: "/v1/ledger/position", method: .get, headers: service.device.headers(method: "GET", path: "/v1/ledger/position", body: [])
            ).decode(PositionResponse.self)
            #expect(after.sequence == 12)
            #expect(after.resumeSequence == 13)
            #expect(try after.receipt?.receipt().sequence == 12)
        }
    }

    @Test(arguments: Backend.all)
    func concurrentCopiesOfOneBatchAreStoredOnce(backend: Backend) async throws {
        let service = try await TestService(backend)
        let chain = service.device.chain(count: 100)
        let batch = service.device.batch(chain[0..<100])
        let device = service.device
        try await service.withClient { client in
            let outcomes = try await withThrowingTaskGroup(of: UploadOutcome.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await client.upload(batch, as: device).decode(UploadResponse.self).outcome }
                }
                return try await group.reduce(into: [UploadOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .accepted }.count == 1)
            #expect(outcomes.filter { $0 == .replayed }.count == 7)
        }
        #expect(try await service.engine.storage.entryCount() == 100)
    }
}

import AccountingCore
@testable import AccountingService
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerCore
import Logging
import NIOCore
import Testing

/// The two shortcuts of ingest: the head last seen, which spares a following batch the head's
/// read, and the body's entries decoded in parts on several cores. Neither may change an answer.
@Suite("Ingest: the head last seen, entries decoded in parts", .runsStorage)
struct IngestFastPathTests {
    /// Runs `body` with a test client of `engine` (a second service instance over one database).
    func withClient(of engine: AccountingEngine, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: AccountingRoutes.router(engine: engine))
        try await app.test(.router) { client in try await body(client) }
    }

    /// Instance A stores batch 1 (and so last saw the head at its end); instance B then stores
    /// batch 2. A rewritten batch 2 offered to A follows A's stale head, and is still a tamper
    /// alarm decided from the database. B stores batch 3 while A last saw the head at batch 2's
    /// end: batch 3 offered to A is a replay with B's receipt; batch 4 is accepted.
    @Test(arguments: Backend.all)
    func aStaleHeadIsOnlyAGuess(backend: Backend) async throws {
        let service = try await TestService(backend)
        let device = service.device
        let other = AccountingEngine(storage: service.storage, configuration: Community.configuration(), logger: Logger(label: "other"))
        let chain = device.chain(count: 40)
        // The same sequences as batch 2, chained to batch 1's end, but other records.
        var rewritten = Array(chain[0..<10])
        var head = ChainHead(after: chain[9])
        for index in 10..<20 {
            var record = chain[index].record
            record.detail = "rewritten"
            let entry = try head.seal(record)
            rewritten.append(entry)
            head = ChainHead(after: entry)
        }
        let batches = stride(from: 0, to: 40, by: 10).map { device.batch(chain[$0..<($0 + 10)]) }
        let forged = device.batch(rewritten[10..<20])
        try await service.withClient { client in
            let answer = try await client.upload(batches[0], as: device).decode(UploadResponse.self)
            #expect(answer.outcome == .accepted)
        }
        try await withClient(of: other) { client in
            let answer = try await client.upload(batches[1], as: device).decode(UploadResponse.self)
            #expect(answer.outcome == .accepted)
        }
        try await service.withClient { client in
            let conflict = try await client.upload(forged, as: device)
            #expect(conflict.status == .conflict)
            #expect(conflict.errorCode == "chain-conflict")
        }
        try await withClient(of: other) { client in
            let answer = try await client.upload(batches[2], as: device).decode(UploadResponse.self)
            #expect(answer.outcome == .accepted)
        }
        let receiptFromB = try #require(try await service.storage.receipt(of: device.id, at: 30))
        try await service.withClient { client in
            let again = try await client.upload(batches[2], as: device)
            #expect(again.status == .ok)
            let replay = try again.decode(UploadResponse.self)
            #expect(replay.outcome == .replayed)
            #expect(try replay.receipt.receipt() == receiptFromB)
            let fourth = try await client.upload(batches[3], as: device).decode(UploadResponse.self)
            #expect(fourth.outcome == .accepted)
            #expect(fourth.storedEntries == 10)
        }
        let alarms = try await service.storage.alarms()
        #expect(alarms.count == 1)
        #expect(alarms.first?.sequence == 11)
        #expect(alarms.first?.heldHash == chain[10].hash.hex)
        #expect(alarms.first?.offeredHash == rewritten[10].hash.hex)
        let stored = try await service.storage.entries(device: device.id, after: nil, limit: 100).map(\.entry)
        #expect(stored == chain)
        #expect(try await service.storage.head(of: device.id) == ChainHead(after: chain[39]))
    }

    /// A batch that follows the head last seen by its sequence but does not chain to it is a
    /// tamper alarm, decided from the database (the guess is never the evidence).
    @Test(arguments: Backend.all)
    func aBatchThatFollowsButDoesNotChainRaisesTheAlarm(backend: Backend) async throws {
        let service = try await TestService(backend)
        let device = service.device
        let honest = device.chain(count: 20)
        let fork = device.chain(count: 20, detail: "fork")
        try await service.withClient { client in
            let first = try await client.upload(device.batch(honest[0..<10]), as: device).decode(UploadResponse.self)
            #expect(first.outcome == .accepted)
            let response = try await client.upload(device.batch(fork[10..<20]), as: device)
            #expect(response.status == .conflict)
            #expect(response.errorCode == "chain-conflict")
        }
        let alarms = try await service.storage.alarms()
        #expect(alarms.count == 1)
        #expect(alarms.first?.sequence == 11)
        #expect(alarms.first?.heldHash == honest[9].hash.hex)
        #expect(alarms.first?.offeredHash == fork[10].previousHash.hex)
        #expect(try await service.storage.entryCount() == 10)
    }

    /// A replay of the latest batch with one entry in its middle changed (and the checkpoint
    /// signed again by the device) is refused with a tamper alarm at that entry, as before.
    @Test(arguments: Backend.all)
    func aReplayDifferingInOneEntryIsAConflict(backend: Backend) async throws {
        let service = try await TestService(backend)
        let device = service.device
        let chain = device.chain(count: 1000)
        var rewritten = Array(chain[0..<600])
        var head = ChainHead(after: chain[599])
        var record = chain[600].record
        record.detail = "altered"
        for index in 600..<1000 {
            let entry = try head.seal(index == 600 ? record : chain[index].record)
            rewritten.append(entry)
            head = ChainHead(after: entry)
        }
        let altered = rewritten
        try await service.withClient { client in
            let first = try await client.upload(device.batch(chain[0..<1000]), as: device).decode(UploadResponse.self)
            #expect(first.outcome == .accepted)
            let response = try await client.upload(device.batch(altered[0..<1000]), as: device)
            #expect(response.status == .conflict)
            #expect(response.errorCode == "chain-conflict")
        }
        let alarms = try await service.storage.alarms()
        #expect(alarms.count == 1)
        #expect(alarms.first?.sequence == 601)
        #expect(alarms.first?.heldHash == chain[600].hash.hex)
        #expect(alarms.first?.offeredHash == altered[600].hash.hex)
        #expect(try await service.storage.entryCount() == 1000)
    }

    /// A body of 1000 entries decoded in 1, 2, 3 and 7 parts is the batch `init(jsonBody:)` reads.
    @Test(arguments: [1, 2, 3, 7])
    func partsJoinInOrder(parts: Int) async throws {
        let device = TestDevice(id: 17, seed: 2)
        let batch = device.batch(device.chain(count: 1000)[...])
        let body = try batch.jsonBody()
        #expect(try await BatchDecoding.batch(from: body, limits: .standard, parts: parts) == batch)
    }

    /// An entry that does not decode in any part is refused with the general path's code.
    @Test(arguments: [0, 499, 500, 999])
    func aBadEntryInAnyPartIsRefusedAsBefore(position: Int) async throws {
        let device = TestDevice(id: 17, seed: 2)
        let batch = device.batch(device.chain(count: 1000)[...])
        var text = String(decoding: try batch.jsonBody(), as: UTF8.self)
        // The entry's base64 with its first digit replaced by one that is not base64.
        let start = text.range(of: #""entries":[""#)!.upperBound
        var entryStart = start
        for _ in 0..<position { entryStart = text.range(of: #"",""#, range: entryStart..<text.endIndex)!.upperBound }
        text.replaceSubrange(entryStart..<text.index(after: entryStart), with: "*")
        let body = Array(text.utf8)
        let general = Result { try UploadBatch(jsonBody: body) }
        let parted = await outcome { try await BatchDecoding.batch(from: body, limits: .standard, parts: 2) }
        guard case .failure(let expected as AccountingError) = general, case .failure(let refused as AccountingError) = parted else {
            Issue.record("both paths must refuse the body: \(general), \(parted)")
            return
        }
        #expect(refused.code == .malformedEntry)
        #expect(refused.code == expected.code)
    }
}

/// The outcome of an async throwing call.
private func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

import AccountingCore
import Crypto
import Hummingbird
import Identifiers
import LedgerCore
import Logging
import NIOCore
import Tariff
import Testing
import Uploader

import Foundation

/// An uploader talking to a service newer than itself, which answers with an outcome or an
/// error code this build does not know: it must keep working, not fail to read the answer.
@Suite("Uploader against a newer service", .serialized)
struct NewerServiceTests {
    /// A stand-in service: a fresh position, and `answer` for every batch.
    func withStubService(
        answer: @escaping @Sendable (UploadBatch) throws -> Response, _ body: (Int) async throws -> Void
    ) async throws {
        let router = Router()
        router.get("/v1/ledger/position") { _, _ in
            json(PositionResponse(device: 31, sequence: 0, chainHash: ChainHead.genesis(for: DeviceID(31)).hash.hex, resumeSequence: 1, receipt: nil))
        }
        router.post("/v1/ledger/batches") { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            return try answer(try UploadBatch(jsonBody: Array(bytes.readableBytesView)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "stub")
        logger.logLevel = .critical  // the stub being cancelled at the end is expected
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var port = 0
        for await bound in ports {
            port = bound
            break
        }
        try await body(port)
    }

    func startUploader(_ validator: TestValidator, ledger: LedgerStoreUploadLedger, port: Int) -> (Task<Void, any Error>, EventLog) {
        let log = EventLog()
        var configuration = validator.uploaderConfiguration(port: port)
        configuration.bundleAcceptance = nil
        let uploader = Uploader(
            configuration: configuration, ledger: ledger, environment: testEnvironment(seed: 3), onEvent: { await log.record($0) })
        return (Task { try await uploader.run() }, log)
    }

    @Test func anUnknownOutcomeWithAValidReceiptIsAnUpload() async throws {
        let directory = try temporaryDirectory()
        let validator = TestValidator(id: 31, seed: 7, directory: directory)
        let ledger = try validator.openLedger()
        for index in 0..<5 { try await ledger.append(TestValidator.ride(index)) }
        try await withStubService(answer: { batch in
            let receipt = try Receipt(signing: ChainHead(after: batch.entries[batch.entries.count - 1]), with: Keys.service)
            return json(UploadResponse(outcome: .unrecognized("merged-elsewhere"), storedEntries: batch.entries.count, receipt: ReceiptWire(receipt)))
        }) { port in
            let (task, log) = startUploader(validator, ledger: ledger, port: port)
            try await eventually("the receipt stored") { try await ledger.latestReceiptSequence() == 5 }
            task.cancel()
            _ = try? await task.value
            #expect(await log.events.contains(.uploaded(first: 1, last: 5, replayed: false)))
            #expect(await log.failures == 0)
        }
        await ledger.close()
    }

    @Test func anUnknownConflictCodeIsARefusalRetriedLikeAChainConflict() async throws {
        let directory = try temporaryDirectory()
        let validator = TestValidator(id: 31, seed: 7, directory: directory)
        let ledger = try validator.openLedger()
        for index in 0..<5 { try await ledger.append(TestValidator.ride(index)) }
        try await withStubService(answer: { _ in
            json(ErrorResponse(code: .unrecognized("quota-exceeded"), uk: "пізніше", en: "later"), status: .conflict)
        }) { port in
            let (task, log) = startUploader(validator, ledger: ledger, port: port)
            try await eventually("two refused attempts") { await log.failures >= 2 }
            task.cancel()
            _ = try? await task.value
            let events = await log.events
            #expect(events.contains(.chainConflict))
            let reasons = events.compactMap { event -> String? in if case .failed(let reason, _) = event { reason } else { nil } }
            #expect(reasons.first?.hasPrefix("batch-refused: ") == true)
            #expect(reasons.first?.contains("quota-exceeded") == true)
            #expect(try await ledger.latestReceiptSequence() == nil)
        }
        await ledger.close()
    }
}

/// A JSON response, as the service writes one.
private func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let bytes = (try? encoder.encode(value)) ?? Data()
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

import AccountingCore
import AccountingService
import AccountingStore
import Entitlements
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identifiers
import LedgerCore
import Logging
import NIOCore
import ReconciliationSimulator
import StorageTesting
import Synchronization
import Testing

import Foundation

/// The service's clock, stepped by the driver to each upload's receive time.
final class SteppedClock: Sendable {
    private let time = Mutex(UnixTime(0))
    func set(_ value: UnixTime) { time.withLock { $0 = value } }
    func now() -> UnixTime { time.withLock { $0 } }
}

/// What the service answered to one planned upload.
struct UploadAnswer: Hashable {
    var status: Int
    var code: String?
}

/// A fresh database at `location` with an accounting engine of the simulated community over it,
/// its devices registered.
struct SimulatedService {
    let storage: any AccountingStorage
    let engine: AccountingEngine
    let clock: SteppedClock

    init(storage: any AccountingStorage, community: SimulatedCommunity) async throws {
        self.storage = storage
        let clock = SteppedClock()
        self.clock = clock
        let configuration = AccountingConfiguration(
            community: community.name, rootKeyID: community.rootKeyID, rootPublicKey: community.rootPublicKey, revocations: RevocationList(),
            serviceKey: community.serviceKey, now: { clock.now() }, serviceCertificate: community.serviceCertificate)
        engine = AccountingEngine(storage: storage, configuration: configuration, logger: Logger(label: "simulated"))
        try await StoreLoader(community: community).registerDevices(in: storage)
    }

    /// Sends every upload through the HTTP API in receive-time order; returns the answers.
    func upload(_ uploads: [PlannedUpload], community: SimulatedCommunity) async throws -> [UploadAnswer] {
        let app = Application(router: AccountingRoutes.router(engine: engine))
        let clock = self.clock
        let answers = Mutex<[UploadAnswer]>([])
        try await app.test(.router) { client in
            for (index, upload) in uploads.enumerated() {
                clock.set(upload.receivedAt)
                let body = try upload.batch.jsonBody()
                var headers = HTTPFields()
                for (name, value) in try community.ledgerDevice(upload.device)!.requestHeaders(
                    method: "POST", path: "/v1/ledger/batches", body: body, at: upload.receivedAt, nonce: String(format: "%032x", index + 1))
                {
                    headers[HTTPField.Name(name)!] = value
                }
                headers[.contentType] = "application/json"
                let response = try await client.execute(uri: "/v1/ledger/batches", method: .post, headers: headers, body: ByteBuffer(bytes: body))
                let bytes = Array(response.body.readableBytesView)
                let code = (try? JSONDecoder().decode(ErrorResponse.self, from: Data(bytes)))?.error.code.wireName
                answers.withLock { $0.append(UploadAnswer(status: Int(response.status.code), code: code)) }
            }
        }
        return answers.withLock { $0 }
    }

    /// The answer a planned upload must get.
    static func expectedAnswer(_ upload: PlannedUpload) -> UploadAnswer {
        switch upload.expectation {
        case .accepted: UploadAnswer(status: 200, code: nil)
        case .refusedGap: UploadAnswer(status: 409, code: "gap")
        case .tamperAlarm: UploadAnswer(status: 409, code: "chain-conflict")
        }
    }
}

/// A fresh SQLite file or PostgreSQL database.
func freshLocation(_ engine: StorageEngine) async throws -> StorageLocation {
    try await engine.freshLocation(sqlitePath: FileManager.default.temporaryDirectory.appendingPathComponent("reconcile-\(UUID().uuidString).sqlite").path)
}

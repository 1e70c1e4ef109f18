import AccountingCore
import AccountingService
import Bundles
import Entitlements
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerCore
import NIOCore
import Testing

import Foundation

@Suite("Hostile input and device authentication", .runsStorage)
struct HostileInputTests {
    /// Runs `attack` against a service holding 10 entries and checks nothing changed.
    func expectNothingChanged(_ backend: Backend, limits: AccountingLimits = .standard, _ attack: @escaping @Sendable (TestService, any TestClientProtocol) async throws -> Void) async throws {
        let service = try await TestService(backend, limits: limits)
        let chain = service.device.chain(count: 10)
        try await service.withClient { client in
            _ = try await client.upload(service.device.batch(chain[0..<10]), as: service.device)
            try await attack(service, client)
        }
        #expect(try await service.engine.storage.entryCount() == 10)
        #expect(try await service.engine.storage.head(of: service.device.id) == ChainHead(after: chain[9]))
        #expect(try await service.engine.storage.alarms().isEmpty)
    }

    func more(_ service: TestService) -> UploadBatch { service.device.batch(service.device.chain(count: 20)[10..<20]) }

    @Test(arguments: Backend.all)
    func unsignedRequestsAreUnauthorized(backend: Backend) async throws {
        try await expectNothingChanged(backend) { service, client in
            let body = try more(service).jsonBody()
            let response = try await client.execute(uri: "/v1/ledger/batches", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: body))
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "missing-signature-header")
        }
    }

    @Test(arguments: Backend.all)
    func forgedSignatureIsUnauthorized(backend: Backend) async throws {
        try await expectNothingChanged(backend) { service, client in
            let batch = more(service)
            let body = try batch.jsonBody()
            let forged = service.device.headers(method: "POST", path: "/v1/ledger/batches", body: body, signer: Community.key(9))
            let response = try await client.upload(batch, as: service.device, headers: forged)
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "bad-request-signature")
        }
    }

    @Test(arguments: Backend.all)
    func expiredTimestampIsUnauthorized(backend: Backend) async throws {
        try await expectNothingChanged(backend) { service, client in
            let batch = more(service)
            let old = service.device.headers(method: "POST", path: "/v1/ledger/batches", body: try batch.jsonBody(), at: Community.now.adding(seconds: -3600))
            let response = try await client.upload(batch, as: service.device, headers: old)
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "stale-request")
        }
    }

    @Test(arguments: Backend.all)
    func replayedNonceIsUnauthorized(backend: Backend) async throws {
        let service = try await TestService(backend)
        let chain = service.device.chain(count: 10)
        try await service.withClient { client in
            let batch = service.device.batch(chain[0..<10])
            let headers = service.device.headers(method: "POST", path: "/v1/ledger/batches", body: try batch.jsonBody(), nonce: "0123456789ABCDEF0123456789ABCDEF")
            let first = try await client.upload(batch, as: service.device, headers: headers)
            #expect(first.status == .ok, "\(String(decoding: first.bytes, as: UTF8.self))")
            let again = try await client.upload(batch, as: service.device, headers: headers)
            #expect(again.status == .unauthorized)
            #expect(again.errorCode == "replayed-nonce")
        }
    }

    @Test(arguments: Backend.all)
    func unknownDeviceIsForbidden(backend: Backend) async throws {
        try await expectNothingChanged(backend) { _, client in
            let stranger = TestDevice(id: 99, seed: 7)
            let response = try await client.upload(stranger.batch(stranger.chain(count: 5)[0..<5]), as: stranger)
            #expect(response.status == .forbidden)
            #expect(response.errorCode == "unknown-device")
        }
    }

    @Test(arguments: Backend.all)
    func wrongRoleIsForbidden(backend: Backend) async throws {
        try await expectNothingChanged(backend) { service, client in
            let batch = more(service)
            let accountingCertificate = Community.certificate(for: service.device.key, role: .accounting)
            let headers = service.device.headers(method: "POST", path: "/v1/ledger/batches", body: try batch.jsonBody(), certificate: accountingCertificate)
            let response = try await client.upload(batch, as: service.device, headers: headers)
            #expect(response.status == .forbidden)
            #expect(response.errorCode == "certificate-wrong-role")
        }
    }

    @Test(arguments: Backend.all)
    func revokedDeviceIsForbiddenOnceTheTrustBundleSaysSo(backend: Backend) async throws {
        try await expectNothingChanged(backend) { service, client in
            let revocations = RevocationList(version: 1, revocations: [Revocation(keyID: service.device.certificate.keyID, revokedAt: Community.now, reason: .keyCompromise)])
            let upload = try await client.operatorRequest("/v1/bundles/trust", method: .put, token: service.admin, body: Community.trustBundle(version: 2, revocations: revocations))
            #expect(upload.status == .created)
            let response = try await client.upload(more(service), as: service.device)
            #expect(response.status == .forbidden)
            #expect(response.errorCode == "certificate-revoked")
        }
    }

    @Test(arguments: Backend.all)
    func batchSignedByAnotherDeviceIsRejected(backend: Backend) async throws {
        try await expectNothingChanged(backend) { service, client in
            // The request is properly signed by device 17, but the checkpoint by another key.
            let chain = service.device.chain(count: 20)
            let response = try await client.upload(service.device.batch(chain[10..<20], signer: Community.key(8)), as: service.device)
            #expect(response.status == .unprocessableContent)
            #expect(response.errorCode == "checkpoint-signature-invalid")
        }
    }

    @Test(arguments: Backend.all)
    func batchForAnotherDeviceIsForbidden(backend: Backend) async throws {
        try await expectNothingChanged(backend) { service, client in
            let other = TestDevice(id: 18, seed: 2)  // same key, another device id in the entries
            let batch = other.batch(other.chain(count: 3)[0..<3])
            let body = try batch.jsonBody()
            let response = try await client.execute(
                uri: "/v1/ledger/batches", method: .post, headers: service.device.headers(method: "POST", path: "/v1/ledger/batches", body: body),
                body: ByteBuffer(bytes: body))
            #expect(response.status == .forbidden)
            #expect(response.errorCode == "device-mismatch")
        }
    }

    @Test(arguments: Backend.all)
    func malformedBodiesAreClear4xx(backend: Backend) async throws {
        try await expectNothingChanged(backend) { service, client in
            let valid = try more(service).jsonBody()
            let cases: [([UInt8], String)] = [
                (Array(valid.prefix(valid.count / 2)), "malformed-body"),
                (Array("{\"device\":\"seventeen\",\"entries\":[],\"checkpoint\":{}}".utf8), "malformed-body"),
                (Array("{\"device\":17,\"entries\":[12],\"checkpoint\":{\"sequence\":1,\"chainHash\":\"\",\"signature\":\"\"}}".utf8), "malformed-body"),
                (Array("{\"device\":17,\"entries\":[],\"checkpoint\":{\"sequence\":1,\"chainHash\":\"00\",\"signature\":\"00\"}}".utf8), "empty-batch"),
                ([0xFF, 0xFE, 0x00], "malformed-body"),
            ]
            for (body, code) in cases {
                let response = try await client.uploadRaw(body, as: service.device)
                #expect(response.status == .badRequest)
                #expect(response.errorCode == code)
            }
            // Base64 (the documented form of an entry) that is not a ledger entry: the form is
            // right and the content is not, so 422 (it was 400 before issue 10).
            let notAnEntry = Array("{\"device\":17,\"entries\":[\"AAEC\"],\"checkpoint\":{\"sequence\":1,\"chainHash\":\"00\",\"signature\":\"00\"}}".utf8)
            let response = try await client.uploadRaw(notAnEntry, as: service.device)
            #expect(response.status == .unprocessableContent)
            #expect(response.errorCode == "malformed-entry")
        }
    }

    @Test(arguments: Backend.all)
    func oversizedBodiesAndBatchesAreRefused(backend: Backend) async throws {
        try await expectNothingChanged(backend, limits: AccountingLimits(maximumBatchEntries: 10, maximumBodyBytes: 64 * 1024)) { service, client in
            let eleven = service.device.batch(service.device.chain(count: 21)[10..<21])
            let tooMany = try await client.upload(eleven, as: service.device)
            #expect(tooMany.status == .contentTooLarge)
            #expect(tooMany.errorCode == "too-large")
            let huge = [UInt8](repeating: 0x20, count: 100 * 1024)
            let tooBig = try await client.uploadRaw(huge, as: service.device)
            #expect(tooBig.status == .contentTooLarge)
        }
    }
}

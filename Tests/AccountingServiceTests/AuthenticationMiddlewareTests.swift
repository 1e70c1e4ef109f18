import AccountingCore
import AccountingService
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

import Foundation

/// The refusals the authentication middleware and the router raise, byte for byte what a
/// client sees: status, challenge header, code and both messages.
@Suite("Authentication middleware and refusals", .runsStorage)
struct AuthenticationMiddlewareTests {
    func body(_ response: TestResponse) throws -> ErrorResponse.Body { try response.decode(ErrorResponse.self).error }

    @Test(arguments: Backend.all)
    func anUnsignedDeviceRequestIsChallenged(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            let response = try await client.execute(uri: "/v1/ledger/position", method: .get)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == "HromadaDevice")
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let error = try body(response)
            #expect(error.code == .missingSignatureHeader)
            #expect(error.message.uk == "бракує заголовка hromada-device")
            #expect(error.message.en == "the header hromada-device is missing")
            #expect(error.resumeSequence == nil)
        }
    }

    @Test(arguments: Backend.all)
    func aSignedPositionRequestReachesTheHandler(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            let headers = service.device.headers(method: "GET", path: "/v1/ledger/position", body: [])
            let response = try await client.execute(uri: "/v1/ledger/position", method: .get, headers: headers)
            #expect(response.status == .ok)
            let position = try response.decode(PositionResponse.self)
            #expect(position.device == service.device.id.rawValue)
            #expect(position.resumeSequence == 1)
        }
    }

    /// The signature covers the body the middleware collected, and the handler stores that body:
    /// bytes signed for one batch cannot carry another.
    @Test(arguments: Backend.all)
    func theBodyTheHandlerReadsIsTheBodyThatWasSigned(backend: Backend) async throws {
        let service = try await TestService(backend)
        let chain = service.device.chain(count: 6)
        try await service.withClient { client in
            let signed = try service.device.batch(chain[0..<3]).jsonBody()
            let other = try service.device.batch(chain[0..<6]).jsonBody()
            let headers = service.device.headers(method: "POST", path: "/v1/ledger/batches", body: signed)
            let swapped = try await client.execute(uri: "/v1/ledger/batches", method: .post, headers: headers, body: ByteBuffer(bytes: other))
            #expect(swapped.status == .unauthorized)
            #expect(try body(swapped).code == .badRequestSignature)
            let honest = try await client.execute(uri: "/v1/ledger/batches", method: .post, headers: headers, body: ByteBuffer(bytes: signed))
            #expect(honest.status == .ok)
            #expect(try honest.decode(UploadResponse.self).storedEntries == 3)
        }
        #expect(try await service.engine.storage.entryCount() == 3)
    }

    @Test(arguments: Backend.all)
    func operatorRefusalsCarryTheirChallengeAndMessages(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            let missing = try await client.operatorRequest("/v1/alarms", token: nil)
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            let missingError = try body(missing)
            #expect(missingError.code == .missingToken)
            #expect(missingError.message.uk == "потрібен токен оператора")
            #expect(missingError.message.en == "an operator bearer token is required")

            let unknown = try await client.operatorRequest("/v1/alarms", token: "hct_nobody")
            #expect(unknown.status == .unauthorized)
            #expect(unknown.headers[.wwwAuthenticate] == "Bearer")
            #expect(try body(unknown).code == .unknownToken)

            let forbidden = try await client.operatorRequest("/v1/transactions", token: service.desk)
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.headers[.wwwAuthenticate] == nil)
            let forbiddenError = try body(forbidden)
            #expect(forbiddenError.code == .roleForbidden)
            #expect(forbiddenError.message.uk == "роль desk не має на це права")
            #expect(forbiddenError.message.en == "the role desk may not do this")
        }
    }

    /// An unknown bundle kind is a 404 before any token check, as it was before authentication became middleware.
    @Test(arguments: Backend.all)
    func anUnknownBundleKindIsNotFoundBeforeTheTokenIsChecked(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            for token in [nil, service.desk] as [String?] {
                let response = try await client.operatorRequest("/v1/bundles/nonsense", method: .put, token: token, body: [1])
                #expect(response.status == .notFound)
                #expect(try body(response).code == .unknownBundleKind)
            }
        }
    }

    /// An operator's oversized body is refused after the token check (an unauthorized caller learns nothing about limits).
    @Test(arguments: Backend.all)
    func anOperatorBodyIsLimitedOnlyAfterTheTokenCheck(backend: Backend) async throws {
        let service = try await TestService(backend, limits: AccountingLimits(maximumBodyBytes: 1024))
        try await service.withClient { client in
            let huge = [UInt8](repeating: 0x20, count: 4096)
            let anonymous = try await client.operatorRequest("/v1/deny-list-entries", method: .post, token: nil, body: huge)
            #expect(anonymous.status == .unauthorized)
            let desk = try await client.operatorRequest("/v1/deny-list-entries", method: .post, token: service.desk, body: huge)
            #expect(desk.status == .contentTooLarge)
            #expect(try body(desk).code == .tooLarge)
        }
    }

    @Test(arguments: Backend.all)
    func anUnknownPathAnswersInTheServiceForm(backend: Backend) async throws {
        let service = try await TestService(backend)
        try await service.withClient { client in
            let missing = try await client.execute(uri: "/nowhere", method: .get)
            #expect(missing.status == .notFound)
            let error = try body(missing)
            #expect(error.code == .notFound)
            #expect(error.message.uk == "такого шляху немає")
            #expect(error.message.en == "no such path")
        }
    }
}

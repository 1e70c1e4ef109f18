import AccountingCore
import AccountingService
import Entitlements
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identifiers
import LedgerCore
import NIOCore
import Testing

import Foundation

/// How the service reads what a client writes: the `Authorization` scheme, canonical device
/// ids and numbers, and where a client gets the key that signs receipts.
@Suite("Wire forms", .runsStorage)
struct WireFormTests {
    @Test(arguments: ["Bearer %@", "bearer %@", "BEARER %@", "bEaReR %@", "Bearer   %@"])
    func theBearerSchemeIsCaseInsensitive(form: String) async throws {
        let service = try await TestService(.sqlite)
        try await service.withClient { client in
            let response = try await client.execute(
                uri: "/v1/devices", method: .get, headers: [.authorization: form.replacingOccurrences(of: "%@", with: service.finance)])
            #expect(response.status == .ok)
        }
    }

    @Test(arguments: ["Basic %@", "Bearer", "Bearer ", "Bearer%@", "Token %@", "Bearer %@ extra"])
    func otherSchemesAndMalformedCredentialsAreRefused(form: String) async throws {
        let service = try await TestService(.sqlite)
        try await service.withClient { client in
            let response = try await client.execute(
                uri: "/v1/devices", method: .get, headers: [.authorization: form.replacingOccurrences(of: "%@", with: service.finance)])
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "missing-token")
        }
    }

    @Test(arguments: ["017", "+17", "0017", "1_7", "-17", "4294967313", "17.0"])
    func aDeviceIdSpelledOtherThanCanonicallyIsMalformed(spelling: String) async throws {
        let service = try await TestService(.sqlite)
        try await service.withClient { client in
            var headers = service.device.headers(method: "GET", path: "/v1/ledger/position", body: [])
            headers[HTTPField.Name(DeviceRequestHeader.device)!] = spelling
            let response = try await client.execute(uri: "/v1/ledger/position", method: .get, headers: headers)
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "malformed-signature-header")
        }
    }

    @Test func theCanonicalDeviceIdIsAccepted() async throws {
        let service = try await TestService(.sqlite)
        try await service.withClient { client in
            let headers = service.device.headers(method: "GET", path: "/v1/ledger/position", body: [])
            #expect(headers[HTTPField.Name(DeviceRequestHeader.device)!] == "17")
            let response = try await client.execute(uri: "/v1/ledger/position", method: .get, headers: headers)
            #expect(response.status == .ok)
        }
    }

    @Test(arguments: [
        ("device=017", 400), ("device=+17", 400), ("device=17", 200), ("device=0", 200), ("limit=050", 400), ("limit=50", 200),
        ("after=017:3", 400), ("after=17:03", 400), ("after=17:3", 200), ("after=17:", 400), ("after=:3", 400),
    ])
    func queryNumbersAreCanonical(query: String, status: Int) async throws {
        let service = try await TestService(.sqlite)
        try await service.withClient { client in
            let response = try await client.operatorRequest("/v1/transactions?\(query)", token: service.finance)
            #expect(response.status.code == status, "\(query): \(String(decoding: response.bytes, as: UTF8.self))")
            if status == 400 { #expect(response.errorCode == "invalid-field") }
        }
    }

    struct ServiceCertificate: Decodable {
        var certificate: String
        var keyID: String
        var publicKey: String
        var role: String
        var issuerKeyID: String
        var notBefore: Int64
        var notAfter: Int64
    }

    @Test func theServiceServesTheCertificateOfTheKeyThatSignsReceipts() async throws {
        let service = try await TestService(.sqlite)
        try await service.withClient { client in
            let response = try await client.execute(uri: "/v1/service/certificate", method: .get)
            #expect(response.status == .ok)
            let served = try response.decode(ServiceCertificate.self)
            let certificate = try Certificate(decoding: try #require(Hex.decode(served.certificate)))
            // Root-signed, for the accounting role, and the key receipts verify under.
            let trust = try TrustStore(
                rootKeyID: Community.rootID, rootPublicKey: Community.rootPublic, certificates: [certificate], revocations: RevocationList())
            #expect(trust.checkCertificate(of: certificate.keyID, role: .accounting, now: Community.now) == .valid(certificate))
            #expect(certificate.publicKey == SigningPublicKey(Community.serviceKey.publicKey))
            #expect(served.publicKey == Hex.encode(Community.serviceKey.publicKey.rawRepresentation))
            #expect(served.keyID == certificate.keyID.description)
            #expect(served.role == "accounting")
            #expect(served.issuerKeyID == Community.rootID.description)

            let chain = service.device.chain(count: 3)
            let upload = try await client.upload(service.device.batch(chain[0..<3]), as: service.device)
            let receipt = try upload.decode(UploadResponse.self).receipt
            #expect(try receipt.receipt().isValid(signedBy: certificate.publicKey.cryptoKey()))
        }
    }

    // A path with a captured component ({kind}, {device}) has its methods too: 405, not 404.
    @Test(arguments: [
        ("/v1/nothing", "GET", 404, "not-found", nil), ("/v1/ledger", "GET", 404, "not-found", nil),
        ("/v1/devices", "DELETE", 405, "method-not-allowed", "GET, POST"), ("/health", "POST", 405, "method-not-allowed", "GET"),
        ("/v1/bundles/trust", "DELETE", 405, "method-not-allowed", "GET, PUT"),
        ("/v1/devices/17/refused-batches", "POST", 405, "method-not-allowed", "GET"),
    ] as [(String, String, Int, String, String?)])
    func unknownPathsAndMethodsAreAnsweredAsDocumented(path: String, method: String, status: Int, code: String, allow: String?) async throws {
        let service = try await TestService(.sqlite)
        try await service.withClient { client in
            let response = try await client.execute(uri: path, method: HTTPRequest.Method(method)!, headers: [.authorization: "Bearer \(service.admin)"])
            #expect(response.status.code == status)
            #expect(response.errorCode == code)
            #expect(response.headers[.allow] == allow)
        }
    }
}

import AccountingCore
import AccountingService
import AccountingStore
import Entitlements
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identifiers
import NIOCore
import Testing

import Foundation

/// One validator key speaks for one device: the certificate names it (format 2), registration
/// pairs the key with that id only, and uploads under any other id are refused. Over loopback,
/// through the real service, on SQLite and PostgreSQL.
@Suite("Device identity: certificate, registration and ledger agree", .runsStorage)
struct DeviceIdentityTests {
    static func registrationBody(_ certificate: Certificate, device: UInt32) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: [
            "device": device, "certificate": Hex.encode(try certificate.encoded()), "label": "bus-\(device)",
        ]))
    }

    /// Runs `body` against the service listening on a loopback port.
    static func live(_ service: TestService, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: service.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(client) }
    }

    /// The audit's case: one key registered as device 106 and as device 107.
    @Test(arguments: Backend.all)
    func aKeyIsRegisteredUnderOneDeviceIdOnly(backend: Backend) async throws {
        let service = try await TestService(backend)
        let bus = TestDevice(id: 106, seed: 12)
        try await Self.live(service) { client in
            func register(_ certificate: Certificate, as device: UInt32) async throws -> TestResponse {
                try await client.operatorRequest("/v1/devices", method: .post, token: service.admin, body: try Self.registrationBody(certificate, device: device))
            }
            #expect(try await register(bus.certificate, as: 106).status == .created)
            // The certificate names 106: registering it as 107 is refused before anything is stored.
            let renamed = try await register(bus.certificate, as: 107)
            #expect(renamed.status == .unprocessableContent)
            #expect(renamed.errorCode == "certificate-names-another-device")
            // Even a second root-signed certificate naming 107 for the same key cannot register it
            // under a second id: the key is taken.
            let second = Community.certificate(for: bus.key, device: 107)
            let taken = try await register(second, as: 107)
            #expect(taken.status == .conflict)
            #expect(taken.errorCode == "key-registered-to-another-device")
            // A format 1 certificate names no device and is not registered at all.
            let legacy = Community.certificate(for: Community.key(13), format: .v1)
            let unbound = try await register(legacy, as: 108)
            #expect(unbound.status == .unprocessableContent)
            #expect(unbound.errorCode == "certificate-names-no-device")
            // Re-registering the device with its own certificate is fine (idempotent).
            #expect(try await register(bus.certificate, as: 106).status == .created)

            // Only 106 uploads; a ledger of 107 signed by the same key is refused.
            let devices = try await client.operatorRequest("/v1/devices", token: service.finance)
            #expect(!String(decoding: devices.bytes, as: UTF8.self).contains("bus-107"))
            #expect(try await client.upload(bus.batch(bus.chain(count: 3)[0..<3]), as: bus).status == .ok)
            let impostor = TestDevice(id: 107, seed: 12)
            let refused = try await client.upload(impostor.batch(impostor.chain(count: 3)[0..<3]), as: impostor)
            #expect(refused.status == .forbidden)
        }
        #expect(try await service.storage.registrations().map(\.deviceID) == [17, 106])
        #expect(try await service.storage.head(of: DeviceID(107)).sequence == 0)
    }

    /// A registration made before the check (a format 1 certificate registered as 107 for a
    /// key whose device is 106): once the bus presents its format 2 certificate naming 106, a
    /// ledger of 107 is refused, although the registration pairs the key with 107.
    @Test(arguments: Backend.all)
    func anUploadUnderAnotherIdThanTheCertificateNamesIsRefused(backend: Backend) async throws {
        let service = try await TestService(backend)
        let bus = TestDevice(id: 107, seed: 12)
        let legacy = Community.certificate(for: bus.key, format: .v1)
        try await service.storage.register(
            DeviceRegistration(deviceID: bus.id, certificate: legacy, label: "bus-107", registeredAt: Community.now))
        let naming106 = Community.certificate(for: bus.key, device: 106)
        let chain = bus.chain(count: 4)
        try await Self.live(service) { client in
            let body = try bus.batch(chain[0..<2]).jsonBody()
            let headers = bus.headers(method: "POST", path: "/v1/ledger/batches", body: body, certificate: naming106)
            let refused = try await client.execute(uri: "/v1/ledger/batches", method: .post, headers: headers, body: ByteBuffer(bytes: body))
            #expect(refused.status == .forbidden)
            #expect(refused.errorCode == "certificate-names-another-device")
            // The legacy certificate names no device and still uploads until the community migrates.
            #expect(try await client.upload(bus.batch(chain[0..<4]), as: TestDevice(id: 107, seed: 12, certificate: legacy)).status == .ok)
        }
        #expect(try await service.storage.head(of: bus.id).sequence == 4)
    }
}

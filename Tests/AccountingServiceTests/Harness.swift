import AccountingCore
import AccountingService
import AccountingStore
import Bundles
import Crypto
import Entitlements
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identifiers
import LedgerCore
import Logging
import NIOCore
import PostgresNIO
import StorageTesting
import Tariff
import Testing

import Foundation

/// The storage engines every service test runs against (`StorageTesting`).
typealias Backend = StorageEngine

extension StorageEngine {
    /// A fresh, empty database.
    func freshLocation() async throws -> StorageLocation {
        try await freshLocation(sqlitePath: FileManager.default.temporaryDirectory.appendingPathComponent("hromada-accounting-\(UUID().uuidString).sqlite").path)
    }

    /// A fresh, empty, migrated storage, running until the test ends (see `StorageScope`).
    func makeStorage() async throws -> any AccountingStorage {
        try await StorageScope.open(try await freshLocation())
    }
}

/// Keys, certificates and bundles of a test community.
enum Community {
    static func key(_ seed: UInt8) -> Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    }

    static let name = "test-town"
    static let rootKey = key(1)
    static let rootPublic = SigningPublicKey(rootKey.publicKey)
    static let rootID = KeyID(derivedFrom: rootPublic)
    static let serviceKey = key(4)
    static let now = UnixTime(1_800_000_000)

    static func certificate(
        for key: Curve25519.Signing.PrivateKey, role: KeyRole = .validator, device: DeviceID? = nil,
        signer: Curve25519.Signing.PrivateKey = rootKey, notAfter: UnixTime = UnixTime(1_900_000_000),
        format: CertificateFormat = .current
    ) -> Certificate {
        let publicKey = SigningPublicKey(key.publicKey)
        return try! CertificateTerms(
            keyID: KeyID(derivedFrom: publicKey), role: role, publicKey: publicKey, notBefore: UnixTime(1_700_000_000),
            notAfter: notAfter, issuerKeyID: rootID, deviceID: format == .v1 ? nil : device, format: format
        ).signed(with: signer)
    }

    static func trustBundle(version: UInt32, revocations: RevocationList = RevocationList(), signer: Curve25519.Signing.PrivateKey = rootKey) -> [UInt8] {
        let payload = TrustPayload(rootKeyID: rootID, rootPublicKey: rootPublic, certificates: [], revocations: revocations)
        return try! SignedBundle.make(
            .trust(payload), community: name, version: version, issuedAt: now.adding(seconds: -60), expiresAt: now.adding(seconds: 86_400 * 30),
            rootKeyID: rootID, rootKey: signer
        ).encoded()
    }

    static func denyListBundle(version: UInt32, serials: [UInt64]) -> [UInt8] {
        let list = try! DenyList(version: version, entries: serials.map { DenyList.Entry(serial: CardSerial($0), reason: .lost) })
        return try! SignedBundle.make(
            .denyList(list), community: name, version: version, issuedAt: now.adding(seconds: -60), expiresAt: now.adding(seconds: 86_400 * 30),
            rootKeyID: rootID, rootKey: rootKey
        ).encoded()
    }

    static func configuration(now: @escaping @Sendable () -> UnixTime = { Community.now }, limits: AccountingLimits = .standard) -> AccountingConfiguration {
        AccountingConfiguration(
            community: name, rootKeyID: rootID, rootPublicKey: rootPublic, revocations: RevocationList(), serviceKey: serviceKey,
            limits: limits, now: now)
    }
}

/// A validator device for the tests: its key, certificate and chain.
struct TestDevice: Sendable {
    let id: DeviceID
    let key: Curve25519.Signing.PrivateKey
    let certificate: Certificate

    /// A device whose certificate names it, unless another `certificate` is given.
    init(id: UInt32, seed: UInt8, certificate: Certificate? = nil) {
        self.id = DeviceID(id)
        self.key = Community.key(seed)
        self.certificate = certificate ?? Community.certificate(for: key, device: self.id)
    }

    func chain(count: Int, detail: String = "") -> [LedgerEntry] {
        var head = ChainHead.genesis(for: id)
        var entries: [LedgerEntry] = []
        for index in 0..<count {
            var record = LedgerRecord.benefitUse(
                at: UnixTime(1_800_000_000 + Int64(index)), card: CardSerial(0x00BB_0000_0000_0000 | UInt64(index)), layout: 1,
                entitlement: 5, category: 3, fareKopecks: 0, fullFareKopecks: 1500, route: 7, vehicle: 11)
            record.detail = detail
            let entry = try! head.seal(record)
            entries.append(entry)
            head = ChainHead(after: entry)
        }
        return entries
    }

    func batch(_ entries: ArraySlice<LedgerEntry>, signer: Curve25519.Signing.PrivateKey? = nil) -> UploadBatch {
        let checkpoint = try! Checkpoint(signing: ChainHead(after: entries.last!), with: signer ?? key)
        return UploadBatch(deviceID: id, entries: Array(entries), checkpoint: checkpoint)
    }

    /// Signature headers for a request.
    func headers(
        method: String, path: String, body: [UInt8], at time: UnixTime = Community.now, nonce: String? = nil,
        certificate: Certificate? = nil, signer: Curve25519.Signing.PrivateKey? = nil
    ) -> HTTPFields {
        let certificate = certificate ?? self.certificate
        let request = SignedRequest(
            method: method, path: path, deviceID: id, keyID: certificate.keyID, timestamp: time,
            nonce: nonce ?? UUID().uuidString.replacingOccurrences(of: "-", with: ""), body: body)
        var fields = HTTPFields()
        for (name, value) in try! request.headers(certificate: certificate, deviceKey: signer ?? key) {
            fields[HTTPField.Name(name)!] = value
        }
        fields[.contentType] = "application/json"
        return fields
    }
}

/// An engine over a fresh storage, with an admin, a finance and a desk token and one registered device.
struct TestService {
    let backend: Backend
    let storage: any AccountingStorage
    let engine: AccountingEngine
    let device = TestDevice(id: 17, seed: 2)
    let admin = "hct_admin-token"
    let finance = "hct_finance-token"
    let desk = "hct_desk-token"

    init(_ backend: Backend, limits: AccountingLimits = .standard) async throws {
        self.backend = backend
        storage = try await backend.makeStorage()
        engine = AccountingEngine(storage: storage, configuration: Community.configuration(limits: limits), logger: Logger(label: "test"))
        for (token, role) in [(admin, OperatorRole.admin), (finance, .finance), (desk, .desk)] {
            try await storage.addOperatorToken(hash: OperatorTokens.hash(token), identity: OperatorIdentity(role: role, label: role.rawValue), createdAt: Community.now)
        }
        try await storage.register(DeviceRegistration(deviceID: device.id, certificate: device.certificate, label: "bus-017", registeredAt: Community.now))
    }

    var router: Router<AccountingRequestContext> { AccountingRoutes.router(engine: engine) }

    /// Runs `body` with a test client (no sockets). The storage stays open for checks after it;
    /// PostgreSQL pools close their idle connections by themselves.
    func withClient(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: router)
        try await app.test(.router) { client in try await body(client) }
    }
}

extension TestClientProtocol {
    /// POSTs a batch signed by `device`.
    func upload(_ batch: UploadBatch, as device: TestDevice, headers extra: HTTPFields? = nil) async throws -> TestResponse {
        let body = try batch.jsonBody()
        return try await execute(
            uri: "/v1/ledger/batches", method: .post, headers: extra ?? device.headers(method: "POST", path: "/v1/ledger/batches", body: body),
            body: ByteBuffer(bytes: body))
    }

    /// Sends raw bytes as a batch body, signed by `device`.
    func uploadRaw(_ body: [UInt8], as device: TestDevice) async throws -> TestResponse {
        try await execute(
            uri: "/v1/ledger/batches", method: .post, headers: device.headers(method: "POST", path: "/v1/ledger/batches", body: body),
            body: ByteBuffer(bytes: body))
    }

    func operatorRequest(_ uri: String, method: HTTPRequest.Method = .get, token: String?, body: [UInt8]? = nil) async throws -> TestResponse {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
    }
}

extension TestResponse {
    var bytes: [UInt8] { Array(body.readableBytesView) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(type, from: Data(bytes)) }
    /// The error code as it is on the wire.
    var errorCode: String? { (try? decode(ErrorResponse.self))?.error.code.wireName }
}

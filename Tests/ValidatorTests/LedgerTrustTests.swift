import Bundles
import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import LedgerStore
import Testing
import Validator

/// `ledger verify --trust-bundle … --root-key … --device-id …`: the keys come from the
/// community's trust, found by device id, never from the ledger file.
@Suite struct LedgerTrustTests {
    static let root = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x41, count: 32))
    static let rootPublic = SigningPublicKey(root.publicKey)
    static let deviceKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x42, count: 32))
    static let serviceKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x43, count: 32))
    static let device: DeviceID = 601

    static func certificate(_ key: Curve25519.Signing.PrivateKey, role: KeyRole, device: DeviceID?) throws -> Certificate {
        let publicKey = SigningPublicKey(key.publicKey)
        return try CertificateTerms(
            keyID: KeyID(derivedFrom: publicKey), role: role, publicKey: publicKey, notBefore: UnixTime(1_700_000_000),
            notAfter: UnixTime(4_000_000_000), issuerKeyID: KeyID(derivedFrom: rootPublic), deviceID: device
        ).signed(with: root)
    }

    static func bundle(_ certificates: [Certificate], signer: Curve25519.Signing.PrivateKey = root) throws -> [UInt8] {
        let payload = TrustPayload(
            rootKeyID: KeyID(derivedFrom: rootPublic), rootPublicKey: rootPublic, certificates: certificates, revocations: RevocationList())
        return try SignedBundle.make(
            .trust(payload), community: "test-town", version: 1, issuedAt: UnixTime(1_700_000_000), expiresAt: UnixTime(4_000_000_000),
            rootKeyID: KeyID(derivedFrom: rootPublic), rootKey: signer
        ).encoded()
    }

    @Test func theDeviceAndServiceKeysComeFromTheBundle() throws {
        let bytes = try Self.bundle([
            try Self.certificate(Self.deviceKey, role: .validator, device: Self.device),
            try Self.certificate(Self.serviceKey, role: .accounting, device: nil),
        ])
        let ledgerKey = Array(Self.deviceKey.publicKey.rawRepresentation)
        let trust = try LedgerTrust.find(bundle: bytes, rootPublicKey: Self.rootPublic, deviceID: Self.device, ledgerKey: ledgerKey)
        #expect(trust.deviceKey.rawRepresentation == Self.deviceKey.publicKey.rawRepresentation)
        #expect(trust.serviceKey?.rawRepresentation == Self.serviceKey.publicKey.rawRepresentation)
        #expect(!trust.lines.contains { $0.contains("warning") })

        // The file's own key replaced: the certified key is still the one used, and it is said.
        let replaced = try LedgerTrust.find(
            bundle: bytes, rootPublicKey: Self.rootPublic, deviceID: Self.device, ledgerKey: Array(Self.serviceKey.publicKey.rawRepresentation))
        #expect(replaced.deviceKey.rawRepresentation == Self.deviceKey.publicKey.rawRepresentation)
        #expect(replaced.lines.contains { $0.contains("the key recorded in the ledger is not the certified one") })

        // Another device id: no certificate names it.
        #expect(throws: LedgerTrust.Refusal.self) {
            try LedgerTrust.find(bundle: bytes, rootPublicKey: Self.rootPublic, deviceID: 602, ledgerKey: ledgerKey)
        }
        // A bundle not signed by this root.
        let forged = try Self.bundle([try Self.certificate(Self.deviceKey, role: .validator, device: Self.device)], signer: Self.serviceKey)
        #expect(throws: LedgerTrust.Refusal.self) {
            try LedgerTrust.find(bundle: forged, rootPublicKey: Self.rootPublic, deviceID: Self.device, ledgerKey: ledgerKey)
        }
    }

    /// A ledger whose stored key and checkpoints were replaced verifies against its own key, but
    /// not against the key the trust bundle certifies for its device.
    @Test func aReplacedKeyFailsAgainstTheCertifiedOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let attacker = Curve25519.Signing.PrivateKey()
        let path = directory.appendingPathComponent("ledger.db").path
        // The attacker's ledger for device 601: its own key recorded, its own checkpoints.
        do {
            let store = try LedgerStore(path: path, deviceID: Self.device, deviceKey: attacker, configuration: .init(checkpointInterval: 3))
            for minute in 0..<7 { try store.append(.startUp(at: UnixTime(1_781_503_200 + Int64(minute) * 60), software: "forged")) }
            store.close()
        }
        let reader = try LedgerStore(readingAt: path)
        defer { reader.close() }
        #expect(try reader.verify().isIntact)
        let bytes = try Self.bundle([try Self.certificate(Self.deviceKey, role: .validator, device: Self.device)])
        let trust = try LedgerTrust.find(bundle: bytes, rootPublicKey: Self.rootPublic, deviceID: Self.device, ledgerKey: reader.devicePublicKey)
        guard case .broken(let fault) = try reader.verify(devicePublicKey: trust.deviceKey, servicePublicKey: trust.serviceKey) else {
            Issue.record("a ledger signed by another key passed against the certified key")
            return
        }
        #expect(fault.code == "checkpoint-signature-invalid")
        // What `ledger verify --trust-bundle` prints for it, and for a ledger of another device.
        let audit = try LedgerAudit.verify(reader, trustBundle: bytes, rootPublicKey: Self.rootPublic, deviceID: nil)
        #expect(!audit.intact && audit.report.contains("(checkpoint-signature-invalid)"))
        let other = try LedgerAudit.verify(reader, trustBundle: bytes, rootPublicKey: Self.rootPublic, deviceID: 602)
        #expect(!other.intact && other.report == "Журнал іншого пристрою: 601, а не 602 / The ledger is device 601's, not 602's")
    }

    @Test func anHonestLedgerIsReportedWithItsTrust() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        do {
            let store = try LedgerStore(path: path, deviceID: Self.device, deviceKey: Self.deviceKey, configuration: .init(checkpointInterval: 3))
            for minute in 0..<7 { try store.append(.startUp(at: UnixTime(1_781_503_200 + Int64(minute) * 60), software: "1.0")) }
            let at7 = ChainHead(after: try #require(try store.entry(at: 7)))
            try store.storeReceipt(try Receipt(signing: at7, with: Self.serviceKey), servicePublicKey: Self.serviceKey.publicKey)
            store.close()
        }
        let reader = try LedgerStore(readingAt: path)
        defer { reader.close() }
        let deviceCertificate = try Self.certificate(Self.deviceKey, role: .validator, device: Self.device)
        let serviceCertificate = try Self.certificate(Self.serviceKey, role: .accounting, device: nil)
        let bytes = try Self.bundle([deviceCertificate, serviceCertificate])
        let audit = try LedgerAudit.verify(reader, trustBundle: bytes, rootPublicKey: Self.rootPublic, deviceID: Self.device)
        #expect(audit.intact, "\(audit.report)")
        #expect(audit.report.contains("device 601's key from certificate \(deviceCertificate.keyID) in the trust bundle"))
        #expect(audit.report.contains("receipts checked against the accounting certificate \(serviceCertificate.keyID)"))
        #expect(audit.report.contains("entry 7: signed by the accounting service's receipt 7"))
        #expect(!audit.report.contains("warning"))
    }
}

import AccountingCore
import Crypto
import Entitlements
import Identifiers
import LedgerCore

/// Deterministic keys, certificates and chains for the tests.
enum Fixtures {
    static func key(_ seed: UInt8) -> Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    }

    static let rootKey = key(1)
    static let rootPublic = SigningPublicKey(rootKey.publicKey)
    static let rootID = KeyID(derivedFrom: rootPublic)
    static let deviceKey = key(2)
    static let otherDeviceKey = key(3)
    static let accountingKey = key(4)
    static let now = UnixTime(1_800_000_000)

    static func certificate(
        for key: Curve25519.Signing.PrivateKey, role: KeyRole = .validator, signer: Curve25519.Signing.PrivateKey = rootKey,
        notBefore: UnixTime = UnixTime(1_700_000_000), notAfter: UnixTime = UnixTime(1_900_000_000), device: DeviceID = 17
    ) -> Certificate {
        let publicKey = SigningPublicKey(key.publicKey)
        return try! CertificateTerms(
            keyID: KeyID(derivedFrom: publicKey), role: role, publicKey: publicKey, notBefore: notBefore, notAfter: notAfter,
            issuerKeyID: rootID, deviceID: role == .validator ? device : nil
        ).signed(with: signer)
    }

    static let deviceCertificate = certificate(for: deviceKey)

    /// `count` entries of `device`, chained from genesis.
    static func chain(device: DeviceID, count: Int, detail: String = "") -> [LedgerEntry] {
        var head = ChainHead.genesis(for: device)
        var entries: [LedgerEntry] = []
        for index in 0..<count {
            let record = LedgerRecord.rideAccepted(
                at: UnixTime(1_800_000_000 + Int64(index)), card: CardSerial(0x00AA_0000_0000_0000 | UInt64(index)), layout: 1,
                fareKopecks: 1500, route: 7, vehicle: 11)
            var withDetail = record
            withDetail.detail = detail
            let entry = try! head.seal(withDetail)
            entries.append(entry)
            head = ChainHead(after: entry)
        }
        return entries
    }

    static func batch(_ entries: ArraySlice<LedgerEntry>, key: Curve25519.Signing.PrivateKey = deviceKey, device: DeviceID? = nil) -> UploadBatch {
        let entries = Array(entries)
        let checkpoint = try! Checkpoint(signing: ChainHead(after: entries.last!), with: key)
        return UploadBatch(deviceID: device ?? entries[0].deviceID, entries: entries, checkpoint: checkpoint)
    }

    static func position(_ held: ArraySlice<LedgerEntry>, device: DeviceID) -> StoredPosition {
        guard let last = held.last else { return StoredPosition(head: .genesis(for: device)) }
        var hashes: [UInt64: ChainHash] = [:]
        for entry in held { hashes[entry.sequence] = entry.hash }
        return StoredPosition(head: ChainHead(after: last), heldHashes: hashes)
    }
}

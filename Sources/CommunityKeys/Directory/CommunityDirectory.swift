import Bundles
import Crypto
import Entitlements
import Identifiers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A community's keys on disk: root, certified signing keys, revocations, card master keys.
///
/// The layout is documented in docs/keys.md. Secrets live under `secret/` (directory 0700,
/// files 0600); everything under `public/` and `community.json` may be copied anywhere.
/// Randomness and the clock are parameters: the command line passes the system's, tests a
/// seeded generator and a fixed instant. Not safe for two processes changing one directory at
/// the same time; it is an operator's tool, run by one person.
public struct CommunityDirectory: Sendable {
    /// The directory.
    public let path: String
    /// The community's name.
    public let community: String

    /// Default certificate lifetime for issuers, devices and the accounting service: two years.
    public static let defaultValiditySeconds: Int64 = 2 * 365 * 86_400

    var manifestPath: String { "\(path)/community.json" }
    var rootPublicPath: String { "\(path)/public/root.pub" }
    var certificatesPath: String { "\(path)/public/certificates" }
    var revocationsPath: String { "\(path)/public/revocations.json" }
    var secretPath: String { "\(path)/secret" }
    var cardKeysPath: String { "\(path)/secret/card-keys" }

    func signingKeyPath(_ role: KeyRole, _ keyID: KeyID) -> String {
        role == .root ? "\(secretPath)/root.key" : "\(secretPath)/\(role)-\(keyID).key"
    }
    func certificatePath(_ keyID: KeyID) -> String { "\(certificatesPath)/\(keyID).cert" }
    func cardKeyPath(_ role: CardMasterKeyRole, _ version: Int) -> String { "\(cardKeysPath)/\(role.rawValue)-v\(version).key" }

    /// Opens an existing community directory.
    public init(opening path: String) throws(CommunityKeysError) {
        guard SecureFiles.exists("\(path)/community.json") else {
            throw CommunityKeysError(.notACommunity, "\(path) holds no community.json")
        }
        let manifest = try CommunityDirectory(path: path, community: "").readManifest()
        self.init(path: path, community: manifest.community)
    }

    private init(path: String, community: String) {
        self.path = path
        self.community = community
    }

    /// Creates a complete community: root key; one issuer (desk), one validator device and one
    /// accounting-service key, each certified by the root; version 1 of every card master key.
    ///
    /// The validator's certificate names `firstDevice`, the id its ledger and its registration
    /// with the accounting service must use.
    public static func create(
        at path: String, community: String, now: UnixTime,
        validitySeconds: Int64 = defaultValiditySeconds,
        firstDevice: DeviceID = DeviceID(rawValue: 1),
        using rng: inout some RandomNumberGenerator
    ) throws(CommunityKeysError) -> CommunityDirectory {
        guard !community.isEmpty, community.utf8.count <= 64,
              community.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw CommunityKeysError(.invalidArgument, "a community name is 1-64 characters of a-z, 0-9 and -")
        }
        try Self.checkDeviceNumber(firstDevice)
        if SecureFiles.exists("\(path)/community.json") {
            throw CommunityKeysError(.alreadyExists, "\(path) already holds a community; nothing was changed")
        }
        let directory = CommunityDirectory(path: path, community: community)
        try SecureFiles.makeDirectory(path, mode: 0o755)
        try SecureFiles.makeDirectory(directory.certificatesPath, mode: 0o755)
        try SecureFiles.makeDirectory(directory.cardKeysPath, mode: 0o700)
        // The secret directory may have existed; make sure it is private before any key lands in it.
        try SecureFiles.setMode(directory.secretPath, 0o700)

        let root = CommunitySigningKey.generate(role: .root, using: &rng)
        try directory.writeSigningKey(root)
        try SecureFiles.write(Array((root.publicKey.description + "\n").utf8), to: directory.rootPublicPath,
                              secrecy: .publicFile, replacing: false)
        try directory.writeRevocations(RevocationList(version: 0, revocations: []))
        var manifest = CommunityManifest(
            format: 1, community: community, rootKeyID: root.keyID.description, keys: [],
            cardKeyVersions: [], bundleVersions: ["trust": 0, "tariff": 0, "denylist": 0])
        for (role, label) in [(KeyRole.issuer, "desk-1"), (.validator, "validator-1"), (.accounting, "accounting")] {
            let device = role == .validator ? firstDevice : nil
            let key = try directory.certify(
                role: role, device: device, root: root, now: now, validitySeconds: validitySeconds, using: &rng)
            manifest.keys.append(.init(keyID: key.keyID.description, role: role.description, label: label, device: device?.rawValue))
        }
        try directory.writeCardKeys(version: 1, using: &rng)
        manifest.cardKeyVersions = [1]
        try directory.writeManifest(manifest, replacing: false)
        return directory
    }

    // MARK: Reading

    func readManifest() throws(CommunityKeysError) -> CommunityManifest {
        let bytes = try SecureFiles.read(manifestPath, secrecy: .publicFile)
        do {
            return try JSONDecoder().decode(CommunityManifest.self, from: Data(bytes))
        } catch {
            throw CommunityKeysError(.malformedFile, "\(manifestPath): \(error)")
        }
    }

    func writeManifest(_ manifest: CommunityManifest, replacing: Bool = true) throws(CommunityKeysError) {
        let bytes: [UInt8]
        do {
            bytes = Array(try CommunityManifest.encoder().encode(manifest)) + [0x0A]
        } catch {
            throw CommunityKeysError(.malformedFile, "cannot encode community.json: \(error)")
        }
        try SecureFiles.write(bytes, to: manifestPath, secrecy: .publicFile, replacing: replacing)
    }

    /// The root key's id and public key.
    public func root() throws(CommunityKeysError) -> (keyID: KeyID, publicKey: SigningPublicKey) {
        let text = String(decoding: try SecureFiles.read(rootPublicPath, secrecy: .publicFile), as: UTF8.self)
        guard let bytes = Hex.decode(String(text.filter { !$0.isWhitespace })),
              let key = try? SigningPublicKey(rawRepresentation: bytes) else {
            throw CommunityKeysError(.malformedFile, "\(rootPublicPath) is not 64 hex digits")
        }
        return (KeyID(derivedFrom: key), key)
    }

    /// Every certificate, in key-id order.
    public func certificates() throws(CommunityKeysError) -> [Certificate] {
        var certificates: [Certificate] = []
        for name in SecureFiles.list(certificatesPath) where name.hasSuffix(".cert") {
            let file = "\(certificatesPath)/\(name)"
            do {
                certificates.append(try Certificate(decoding: SecureFiles.read(file, secrecy: .publicFile)))
            } catch let error as CommunityKeysError {
                throw error
            } catch {
                throw CommunityKeysError(.malformedFile, "\(file): \(error)")
            }
        }
        return certificates.sorted { $0.keyID < $1.keyID }
    }

    /// The revocation list.
    public func revocations() throws(CommunityKeysError) -> RevocationList {
        let bytes = try SecureFiles.read(revocationsPath, secrecy: .publicFile)
        do {
            return try JSONDecoder().decode(RevocationList.self, from: Data(bytes))
        } catch {
            throw CommunityKeysError(.malformedFile, "\(revocationsPath): \(error)")
        }
    }

    func writeRevocations(_ list: RevocationList) throws(CommunityKeysError) {
        do {
            let bytes = Array(try CommunityManifest.encoder().encode(list)) + [0x0A]
            try SecureFiles.write(bytes, to: revocationsPath, secrecy: .publicFile, replacing: true)
        } catch let error as CommunityKeysError {
            throw error
        } catch {
            throw CommunityKeysError(.malformedFile, "cannot encode revocations: \(error)")
        }
    }

    /// Loads the secret signing key `keyID` (the root or a certified key).
    public func signingKey(_ keyID: KeyID) throws(CommunityKeysError) -> CommunitySigningKey {
        let manifest = try readManifest()
        let role: KeyRole
        if manifest.rootKeyID == keyID.description {
            role = .root
        } else if let entry = manifest.keys.first(where: { $0.keyID == keyID.description }), let known = KeyRole(name: entry.role) {
            role = known
        } else {
            throw CommunityKeysError(.unknownKey, "no key \(keyID) in \(path)")
        }
        let file = signingKeyPath(role, keyID)
        let bytes = try SecureFiles.read(file, secrecy: .secret)
        guard let parsed = try? JSONDecoder().decode(SigningKeyFile.self, from: Data(bytes)),
              parsed.kind == "ed25519-private-key", let seed = Hex.decode(parsed.privateKey),
              let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw CommunityKeysError(.malformedFile, "\(file) is not a signing key file")
        }
        let key = CommunitySigningKey(role: role, privateKey: privateKey)
        guard key.keyID == keyID else {
            throw CommunityKeysError(.malformedFile, "\(file) holds key \(key.keyID), not \(keyID)")
        }
        return key
    }

    /// The root's secret key.
    public func rootKey() throws(CommunityKeysError) -> CommunitySigningKey {
        try signingKey(try root().keyID)
    }

    // MARK: Signing keys

    func writeSigningKey(_ key: CommunitySigningKey) throws(CommunityKeysError) {
        let file = SigningKeyFile(format: 1, kind: "ed25519-private-key", role: key.role.description,
                                  keyID: key.keyID.description, privateKey: Hex.encode(key.privateKey.rawRepresentation))
        let bytes: [UInt8]
        do {
            bytes = Array(try CommunityManifest.encoder().encode(file)) + [0x0A]
        } catch {
            throw CommunityKeysError(.malformedFile, "cannot encode a key file")
        }
        try SecureFiles.write(bytes, to: signingKeyPath(key.role, key.keyID), secrecy: .secret, replacing: false)
    }

    func certify(
        role: KeyRole, device: DeviceID?, root: CommunitySigningKey, now: UnixTime, validitySeconds: Int64,
        using rng: inout some RandomNumberGenerator
    ) throws(CommunityKeysError) -> Certificate {
        let key = CommunitySigningKey.generate(role: role, using: &rng)
        let certificate = try Self.certificate(
            for: key, device: device, root: root, now: now, validitySeconds: validitySeconds)
        try writeSigningKey(key)
        try writeCertificate(certificate, replacing: false)
        return certificate
    }

    /// The current-format certificate of `key`, naming `device` for a validator key.
    static func certificate(
        for key: CommunitySigningKey, device: DeviceID?, root: CommunitySigningKey, now: UnixTime, validitySeconds: Int64
    ) throws(CommunityKeysError) -> Certificate {
        guard validitySeconds > 0 else { throw CommunityKeysError(.invalidArgument, "validity must be positive") }
        do {
            return try CertificateTerms(
                keyID: key.keyID, role: key.role, publicKey: key.publicKey, notBefore: now,
                notAfter: now.adding(seconds: validitySeconds), issuerKeyID: root.keyID, deviceID: device
            ).signed(with: root.privateKey)
        } catch {
            throw CommunityKeysError(.invalidArgument, "cannot certify: \(error)")
        }
    }

    func writeCertificate(_ certificate: Certificate, replacing: Bool) throws(CommunityKeysError) {
        do {
            try SecureFiles.write(
                try certificate.encoded(), to: certificatePath(certificate.keyID), secrecy: .publicFile, replacing: replacing)
        } catch let error as CommunityKeysError {
            throw error
        } catch {
            throw CommunityKeysError(.malformedFile, "cannot encode certificate: \(error)")
        }
    }

    /// Device ids start at 1: the certificate format writes 0 for "no device".
    static func checkDeviceNumber(_ device: DeviceID) throws(CommunityKeysError) {
        guard device.rawValue != 0 else { throw CommunityKeysError(.invalidArgument, "device ids start at 1") }
    }

    /// Refuses `device` when an unrevoked validator key other than `except` is certified for it:
    /// one device, one key at a time, so a ledger's device id leads to exactly one current key.
    func checkDeviceIsFree(_ device: DeviceID, except: KeyID? = nil) throws(CommunityKeysError) {
        let revoked = try revocations()
        for certificate in try certificates()
        where certificate.role == .validator && certificate.deviceID == device && certificate.keyID != except
            && revoked.revocation(of: certificate.keyID) == nil {
            throw CommunityKeysError(
                .deviceTaken,
                "device \(device) already has key \(certificate.keyID); revoke it first (hromada-keys device revoke --key-id \(certificate.keyID) --reason superseded)")
        }
    }

    /// Creates and certifies a new issuer, validator device or accounting key.
    ///
    /// A validator key is certified for `device` (required for that role, refused for the
    /// others), which must not already have an unrevoked key.
    @discardableResult
    public func addKey(
        role: KeyRole, label: String, device: DeviceID? = nil, now: UnixTime, validitySeconds: Int64 = defaultValiditySeconds,
        using rng: inout some RandomNumberGenerator
    ) throws(CommunityKeysError) -> Certificate {
        guard role != .root else { throw CommunityKeysError(.invalidArgument, "there is one root; it is made by init") }
        guard !label.isEmpty, label.count <= 40, !label.contains(where: { $0.isWhitespace }) else {
            throw CommunityKeysError(.invalidArgument, "a label is 1-40 characters without spaces")
        }
        switch (role, device) {
        case (.validator, .none): throw CommunityKeysError(.invalidArgument, "a validator key is certified for a device id (--device)")
        case (.validator, .some(let device)):
            try Self.checkDeviceNumber(device)
            try checkDeviceIsFree(device)
        case (_, .some): throw CommunityKeysError(.invalidArgument, "only validator keys belong to a device")
        case (_, .none): break
        }
        var manifest = try readManifest()
        let certificate = try certify(
            role: role, device: device, root: try rootKey(), now: now, validitySeconds: validitySeconds, using: &rng)
        manifest.keys.append(.init(keyID: certificate.keyID.description, role: role.description, label: label, device: device?.rawValue))
        try writeManifest(manifest)
        return certificate
    }

    /// Re-certifies an existing validator key in the current format, naming `device`: the
    /// migration step for certificates made before device ids were bound (format 1).
    ///
    /// The key pair stays (nothing secret changes on the bus); only the public certificate file
    /// is replaced, with a new validity starting `now`. Refused for a revoked key, for a key
    /// whose certificate already names another device (a key belongs to one device for good),
    /// and for a device that another unrevoked key is certified for.
    @discardableResult
    public func recertifyDevice(
        _ keyID: KeyID, device: DeviceID, now: UnixTime, validitySeconds: Int64 = defaultValiditySeconds
    ) throws(CommunityKeysError) -> Certificate {
        try Self.checkDeviceNumber(device)
        var manifest = try readManifest()
        guard let index = manifest.keys.firstIndex(where: { $0.keyID == keyID.description }),
              manifest.keys[index].role == KeyRole.validator.description else {
            throw CommunityKeysError(.unknownKey, "no validator key \(keyID) in \(path)")
        }
        guard try revocations().revocation(of: keyID) == nil else {
            throw CommunityKeysError(.invalidArgument, "validator key \(keyID) is revoked; add a new key for device \(device) instead")
        }
        if let old = try certificates().first(where: { $0.keyID == keyID }), let named = old.deviceID, named != device {
            throw CommunityKeysError(
                .deviceTaken, "validator key \(keyID) is certified for device \(named); a key never moves to another device")
        }
        try checkDeviceIsFree(device, except: keyID)
        let key = try signingKey(keyID)
        let certificate = try Self.certificate(
            for: key, device: device, root: try rootKey(), now: now, validitySeconds: validitySeconds)
        try writeCertificate(certificate, replacing: true)
        manifest.keys[index].device = device.rawValue
        try writeManifest(manifest)
        return certificate
    }

    /// The current certificate of `keyID`.
    public func certificate(of keyID: KeyID) throws(CommunityKeysError) -> Certificate {
        guard let certificate = try certificates().first(where: { $0.keyID == keyID }) else {
            throw CommunityKeysError(.unknownKey, "no certificate \(keyID) in \(path)")
        }
        return certificate
    }

    /// Revokes `keyID`, which must be a key of `role`; the change reaches validators in the next
    /// trust bundle.
    @discardableResult
    public func revokeKey(
        _ keyID: KeyID, role: KeyRole, reason: Revocation.Reason, now: UnixTime
    ) throws(CommunityKeysError) -> RevocationList {
        let manifest = try readManifest()
        guard let entry = manifest.keys.first(where: { $0.keyID == keyID.description }), entry.role == role.description else {
            throw CommunityKeysError(.unknownKey, "no \(role) key \(keyID) in \(path)")
        }
        var list = try revocations()
        guard list.revocation(of: keyID) == nil else {
            throw CommunityKeysError(.cannotRevoke, "\(role) key \(keyID) is already revoked")
        }
        var revoked = list.revocations
        revoked.append(Revocation(keyID: keyID, revokedAt: now, reason: reason))
        list = RevocationList(version: list.version + 1, revocations: revoked.sorted { $0.keyID < $1.keyID })
        try writeRevocations(list)
        return list
    }

    // MARK: Card master keys

    func writeCardKeys(version: Int, using rng: inout some RandomNumberGenerator) throws(CommunityKeysError) {
        guard (1...255).contains(version) else {
            throw CommunityKeysError(.invalidArgument, "card key versions run from 1 to 255")
        }
        for role in CardMasterKeyRole.allCases {
            let key = CardMasterKey.generate(role: role, version: UInt8(version), using: &rng)
            let file = CardKeyFile(format: 1, kind: "aes128-card-master-key", role: role.rawValue, version: version,
                                   key: key.key.withUnsafeBytes { Hex.encode($0) })
            let bytes: [UInt8]
            do {
                bytes = Array(try CommunityManifest.encoder().encode(file)) + [0x0A]
            } catch {
                throw CommunityKeysError(.malformedFile, "cannot encode a card key file")
            }
            try SecureFiles.write(bytes, to: cardKeyPath(role, version), secrecy: .secret, replacing: false)
        }
    }

    /// Creates the next version of every card master key; older versions stay for cards in the field.
    @discardableResult
    public func rotateCardKeys(using rng: inout some RandomNumberGenerator) throws(CommunityKeysError) -> UInt8 {
        var manifest = try readManifest()
        let next = (manifest.cardKeyVersions.max() ?? 0) + 1
        try writeCardKeys(version: next, using: &rng)
        manifest.cardKeyVersions.append(next)
        try writeManifest(manifest)
        return UInt8(next)
    }

    /// The card key versions held, oldest first.
    public func cardKeyVersions() throws(CommunityKeysError) -> [UInt8] {
        try readManifest().cardKeyVersions.map { UInt8(clamping: $0) }
    }

    /// Loads the card master keys of `version`, one per role.
    public func cardMasterKeys(version: UInt8) throws(CommunityKeysError) -> [CardMasterKey] {
        var keys: [CardMasterKey] = []
        for role in CardMasterKeyRole.allCases {
            let file = cardKeyPath(role, Int(version))
            let bytes = try SecureFiles.read(file, secrecy: .secret)
            guard let parsed = try? JSONDecoder().decode(CardKeyFile.self, from: Data(bytes)),
                  parsed.kind == "aes128-card-master-key", parsed.role == role.rawValue, parsed.version == Int(version),
                  let raw = Hex.decode(parsed.key), raw.count == 16 else {
                throw CommunityKeysError(.malformedFile, "\(file) is not an AES-128 card key file")
            }
            keys.append(CardMasterKey(role: role, version: version, key: SymmetricKey(data: raw)))
        }
        return keys
    }
}

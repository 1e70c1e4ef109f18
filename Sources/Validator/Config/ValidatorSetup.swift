import Bundles
import CardLayout
import Crypto
import Entitlements
import Foundation
import Identifiers
import Tariff

/// One card master key the validator holds (`read` or `validate`, of one key version).
///
/// Never printed: `description` names the role and version only.
public struct CardMasterKeyFile: Sendable, CustomStringConvertible {
    /// The role (`read`, `validate`; a validator is refused the desk's roles).
    public let role: String
    /// The key version (the cards' key version byte).
    public let version: UInt8
    /// The AES-128 master key.
    public let key: SymmetricKey

    /// Creates a key.
    public init(role: String, version: UInt8, key: SymmetricKey) {
        self.role = role
        self.version = version
        self.key = key
    }

    /// Role and version, never the key.
    public var description: String { "CardMasterKeyFile(\(role) v\(version), key redacted)" }
}

/// Everything `run` needs, loaded from the files a configuration names and checked.
public struct ValidatorSetup: Sendable {
    /// The configuration.
    public let configuration: ValidatorConfiguration
    /// The device's signing key (ledger checkpoints).
    public let deviceKey: Curve25519.Signing.PrivateKey
    /// The tap rules from the verified bundles.
    public let rules: TapRules
    /// The versions of the installed bundles, for the ledger's configuration entry.
    public let bundleVersions: (trust: UInt32, tariff: UInt32, denyList: UInt32)
    /// The card layouts accepted.
    public let layouts: [CardLayout]
    /// The card master keys held.
    public let cardKeys: [CardMasterKeyFile]
    /// The device's certificate, when the configuration names one (needed to upload).
    public let deviceCertificate: Certificate?
    /// The accounting service's key, from a valid accounting certificate in the trust bundle:
    /// upload receipts must verify under it before the ledger may prune anything.
    public let accountingKey: Curve25519.Signing.PublicKey?
    /// How newer bundles (downloaded by the uploader) are judged: the pinned root, this community.
    public let bundleAcceptance: BundleAcceptance
    /// Why the device's identity could not be fully checked at start (a format 1 certificate
    /// names no device), for the daemon to log; nil when the certificate names the configured id.
    public let identityWarning: String?

    /// The roles a validator may hold. The desk's roles (issue, application master, PICC master)
    /// are refused: a bus computer that holds them could mint purse credit.
    public static let allowedCardKeyRoles: Set<String> = ["read", "validate"]

    /// Loads and checks every file of `configuration` at `now`.
    public static func load(_ configuration: ValidatorConfiguration, now: UnixTime) throws -> ValidatorSetup {
        let deviceKey = try loadSigningKey(configuration.deviceKey)
        var deviceCertificate: Certificate?
        if let certificatePath = configuration.deviceCertificate {
            // The certificate is what the accounting service checks checkpoints against: a
            // certificate of another key would make every upload fail, so refuse at start.
            let certificate: Certificate
            do {
                certificate = try Certificate(decoding: try readFile(certificatePath))
            } catch let error as ValidatorError {
                throw error
            } catch {
                throw ValidatorError(.invalidKeyMaterial, "\(certificatePath) is not a certificate: \(error)")
            }
            guard certificate.role == .validator, certificate.publicKey == SigningPublicKey(deviceKey.publicKey) else {
                throw ValidatorError(.invalidKeyMaterial, "\(certificatePath) does not certify this device key as a validator")
            }
            try checkIdentity(certificate, configured: configuration.deviceID, source: certificatePath)
            deviceCertificate = certificate
        }
        let (rootID, rootKey) = try loadRootPublicKey(configuration.rootPublicKey)
        let acceptance = BundleAcceptance(community: configuration.community, rootKeyID: rootID, rootPublicKey: rootKey)

        func bundle(_ path: String, _ kind: BundleKind) throws -> VerifiedBundle {
            let bytes = try readFile(path)
            switch acceptance.evaluate(bytes, kind: kind, installedVersion: nil, now: now) {
            case .accept(let verified): return verified
            case .refuse(let why): throw ValidatorError(.bundleRefused, "\(path): \(why)")
            }
        }
        let trustBundle = try bundle(configuration.bundles.trust, .trust)
        let tariffBundle = try bundle(configuration.bundles.tariff, .tariff)
        let denyBundle = try bundle(configuration.bundles.denyList, .denyList)
        guard case .trust(let trustPayload) = trustBundle.payload, case .tariff(let tariff) = tariffBundle.payload,
            case .denyList(let denyList) = denyBundle.payload
        else { throw ValidatorError(.bundleRefused, "a bundle's payload is not of its kind") }
        let trust: TrustStore
        do {
            trust = try trustPayload.trustStore()
        } catch {
            throw ValidatorError(.bundleRefused, "the trust bundle's certificates: \(error)")
        }
        // The trust bundle's certificate of this very key, if it has one, binds it too: without a
        // configured certificate file the validator could otherwise write a ledger under an id
        // its key is not certified for.
        let ownKeyID = KeyID(derivedFrom: SigningPublicKey(deviceKey.publicKey))
        let bundled = trust.certificates[ownKeyID].flatMap { certificate in
            certificate.role == .validator && certificate.publicKey == SigningPublicKey(deviceKey.publicKey) ? certificate : nil
        }
        if let bundled, case .valid = trust.checkCertificate(of: ownKeyID, role: .validator, now: now) {
            try checkIdentity(bundled, configured: configuration.deviceID, source: "the trust bundle's certificate of key \(ownKeyID)")
        }
        let identityWarning = (deviceCertificate ?? bundled).flatMap { certificate in
            certificate.deviceID == nil
                ? "the certificate of key \(ownKeyID) names no device (format 1): re-certify it for device \(configuration.deviceID) (hromada-keys device certify)"
                : nil
        }

        var layouts: [CardLayout] = []
        for path in configuration.layouts {
            do {
                let layout = try CardLayout(json: try readFile(path))
                guard layout.community == configuration.community else {
                    throw ValidatorError(.invalidConfiguration, "\(path) is a layout of \(layout.community), not \(configuration.community)")
                }
                layouts.append(layout)
            } catch let error as ValidatorError {
                throw error
            } catch {
                throw ValidatorError(.invalidConfiguration, "\(path): \(error)")
            }
        }
        let accountingKey = trustPayload.certificates
            .filter { certificate in
                guard certificate.role == .accounting,
                    case .valid = trust.checkCertificate(of: certificate.keyID, role: .accounting, now: now)
                else { return false }
                return true
            }
            .max { $0.notAfter < $1.notAfter }
            .flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0.publicKey.rawRepresentation) }
        let cardKeys = try configuration.cardKeys.map(loadCardMasterKey)
        guard cardKeys.contains(where: { $0.role == "validate" }) else {
            throw ValidatorError(.invalidKeyMaterial, "cardKeys: no validate master key is given")
        }

        let context = TapContext(
            deviceID: DeviceID(configuration.deviceID), vehicleID: VehicleID(configuration.vehicle),
            route: RouteNumber(configuration.route), zone: ZoneNumber(configuration.zone))
        return ValidatorSetup(
            configuration: configuration, deviceKey: deviceKey,
            rules: TapRules(context: context, tariff: tariff, trust: trust, denyList: denyList),
            bundleVersions: (trustBundle.header.version, tariffBundle.header.version, denyBundle.header.version),
            layouts: layouts, cardKeys: cardKeys, deviceCertificate: deviceCertificate, accountingKey: accountingKey,
            bundleAcceptance: acceptance, identityWarning: identityWarning)
    }

    /// Refuses to start when `certificate` names another device than the configured one.
    ///
    /// The ledger's genesis is derived from the configured id and the accounting service
    /// registers the key under the certificate's id only, so a mismatch would write a ledger
    /// that can never be uploaded (and, before device ids were bound, one key could speak for
    /// two buses). A format 1 certificate names no device and is let through with a warning.
    static func checkIdentity(_ certificate: Certificate, configured: UInt32, source: String) throws {
        if case .namesAnotherDevice(let named) = certificate.binding(to: DeviceID(configured)) {
            throw ValidatorError(
                .invalidConfiguration,
                "deviceID is \(configured), but \(source) certifies this key for device \(named); fix deviceID or install the device's own certificate")
        }
    }

    // MARK: Files

    static func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidatorError(.invalidConfiguration, "cannot read \(path)")
        }
        return [UInt8](data)
    }

    /// Reads a secret file, refusing one that group or others may read (as ssh does).
    static func readSecret(_ path: String) throws -> [UInt8] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw ValidatorError(.invalidKeyMaterial, "\(path) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        return try readFile(path)
    }

    private struct SigningKeyFile: Decodable {
        var kind: String
        var privateKey: String
    }

    private struct CardKeyFile: Decodable {
        var kind: String
        var role: String
        var version: Int
        var key: String
    }

    /// An `ed25519-private-key` file as `hromada-keys` writes it.
    public static func loadSigningKey(_ path: String) throws -> Curve25519.Signing.PrivateKey {
        let bytes = try readSecret(path)
        guard let file = try? JSONDecoder().decode(SigningKeyFile.self, from: Data(bytes)), file.kind == "ed25519-private-key",
            let seed = Hex.decode(file.privateKey), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else { throw ValidatorError(.invalidKeyMaterial, "\(path) is not an Ed25519 signing key file") }
        return key
    }

    /// An `aes128-card-master-key` file as `hromada-keys` writes it, of a role a validator may hold.
    public static func loadCardMasterKey(_ path: String) throws -> CardMasterKeyFile {
        let bytes = try readSecret(path)
        guard let file = try? JSONDecoder().decode(CardKeyFile.self, from: Data(bytes)), file.kind == "aes128-card-master-key",
            let raw = Hex.decode(file.key), raw.count == 16, let version = UInt8(exactly: file.version), version > 0
        else { throw ValidatorError(.invalidKeyMaterial, "\(path) is not an AES-128 card master key file") }
        guard allowedCardKeyRoles.contains(file.role) else {
            throw ValidatorError(.invalidKeyMaterial, "\(path) holds the \(file.role) key, which a validator must not hold")
        }
        return CardMasterKeyFile(role: file.role, version: version, key: SymmetricKey(data: raw))
    }

    /// `root.pub`: 64 hex digits.
    public static func loadRootPublicKey(_ path: String) throws -> (KeyID, SigningPublicKey) {
        let text = String(decoding: try readFile(path), as: UTF8.self).filter { !$0.isWhitespace }
        guard let bytes = Hex.decode(text), let key = try? SigningPublicKey(rawRepresentation: bytes) else {
            throw ValidatorError(.invalidKeyMaterial, "\(path) is not an Ed25519 public key in hex")
        }
        return (KeyID(derivedFrom: key), key)
    }
}

import Entitlements
import Identifiers
import Tariff

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The decoded contents of a bundle.
public enum BundlePayload: Hashable, Sendable {
    /// Root, certificates, revocations.
    case trust(TrustPayload)
    /// The tariff.
    case tariff(Tariff)
    /// The deny list.
    case denyList(DenyList)

    /// The kind of bundle that carries this payload.
    public var kind: BundleKind {
        switch self {
        case .trust: .trust
        case .tariff: .tariff
        case .denyList: .denyList
        }
    }

    /// The canonical bytes of the payload.
    public func encoded() throws(BundleError) -> [UInt8] {
        switch self {
        case .trust(let trust): try trust.encoded()
        case .tariff(let tariff): try TariffPayload.encode(tariff)
        case .denyList(let list): DenyListPayload.encode(list)
        }
    }

    /// Decodes untrusted payload bytes of `kind`; never traps, throws `BundleError`.
    ///
    /// `header` supplies what the payload must agree with: a tariff names its own community and
    /// version, and they must equal the envelope's; a deny list takes the envelope's version.
    public init(decoding bytes: [UInt8], under header: BundleHeader) throws(BundleError) {
        switch header.kind {
        case .trust:
            self = .trust(try TrustPayload(decoding: bytes))
        case .tariff:
            let tariff = try TariffPayload.decode(bytes)
            guard tariff.community == header.community, tariff.version == header.version else {
                throw BundleError(.payloadMismatch,
                    "the tariff says \(tariff.community) v\(tariff.version), the envelope \(header.community) v\(header.version)")
            }
            self = .tariff(tariff)
        case .denyList:
            self = .denyList(try DenyListPayload.decode(bytes, version: header.version))
        }
    }
}

/// Everything validators need to check signatures: the root, its certificates, the revocations.
public struct TrustPayload: Hashable, Sendable {
    /// The root key's identifier.
    public var rootKeyID: KeyID
    /// The root public key; must equal the one pinned on the validator.
    public var rootPublicKey: SigningPublicKey
    /// Certificates of issuers, devices and the accounting service, in key-id order.
    public var certificates: [Certificate]
    /// Revoked keys.
    public var revocations: RevocationList

    /// Creates a trust payload; certificates and revocations are put in key-id order.
    public init(rootKeyID: KeyID, rootPublicKey: SigningPublicKey, certificates: [Certificate], revocations: RevocationList) {
        self.rootKeyID = rootKeyID
        self.rootPublicKey = rootPublicKey
        self.certificates = certificates.sorted { $0.keyID < $1.keyID }
        self.revocations = RevocationList(version: revocations.version,
                                          revocations: revocations.revocations.sorted { $0.keyID < $1.keyID })
    }

    /// A trust store for verifying entitlements and device signatures.
    public func trustStore() throws -> TrustStore {
        try TrustStore(rootKeyID: rootKeyID, rootPublicKey: rootPublicKey, certificates: certificates, revocations: revocations)
    }

    static let reasonCodes: [(Revocation.Reason, UInt8)] = [(.keyCompromise, 1), (.retired, 2), (.superseded, 3), (.other, 4)]

    /// The canonical bytes (docs/bundles.md).
    public func encoded() throws(BundleError) -> [UInt8] {
        guard certificates.count <= Int(UInt16.max), revocations.revocations.count <= Int(UInt16.max) else {
            throw BundleError(.tooLarge, "at most 65535 certificates and revocations")
        }
        var writer = BundleWriter()
        writer.u32(rootKeyID.rawValue)
        writer.raw(rootPublicKey.rawRepresentation)
        writer.u16(UInt16(certificates.count))
        for certificate in certificates.sorted(by: { $0.keyID < $1.keyID }) {
            do {
                writer.raw(try certificate.encoded())
            } catch {
                throw BundleError(.invalidPayload, "certificate \(certificate.keyID): \(error)")
            }
        }
        writer.u32(revocations.version)
        writer.u16(UInt16(revocations.revocations.count))
        for revocation in revocations.revocations.sorted(by: { $0.keyID < $1.keyID }) {
            writer.u32(revocation.keyID.rawValue)
            writer.i64(revocation.revokedAt.rawValue)
            writer.u8(Self.reasonCodes.first { $0.0 == revocation.reason }!.1)
        }
        return writer.bytes
    }

    /// Decodes untrusted bytes; refuses unsorted or repeated key ids (`non-canonical`).
    public init(decoding bytes: [UInt8]) throws(BundleError) {
        var reader = BundleReader(bytes, what: "trust payload")
        rootKeyID = KeyID(try reader.u32("root key id"))
        guard let root = try? SigningPublicKey(rawRepresentation: try reader.raw(32, "root public key")) else {
            throw BundleError(.invalidPayload, "root public key")
        }
        rootPublicKey = root
        let certificateCount = Int(try reader.u16("certificate count"))
        var certificates: [Certificate] = []
        for index in 0..<certificateCount {
            // Certificates of formats 1 and 2 differ in length; each one's first byte says which.
            guard let size = Certificate.encodedSize(ofCertificateStartingWith: reader.bytes[reader.offset...]) else {
                if reader.remaining == 0 { throw BundleError(.truncated, "trust payload: certificate \(index) is missing") }
                throw BundleError(.invalidPayload, "certificate \(index): unknown certificate format \(reader.bytes[reader.offset])")
            }
            let raw = try reader.raw(size, "certificate \(index)")
            let certificate: Certificate
            do {
                certificate = try Certificate(decoding: raw)
            } catch {
                throw BundleError(.invalidPayload, "certificate \(index): \(error)")
            }
            if let last = certificates.last, last.keyID >= certificate.keyID {
                throw BundleError(.nonCanonical, "certificates must be in strictly increasing key-id order")
            }
            certificates.append(certificate)
        }
        self.certificates = certificates
        let listVersion = try reader.u32("revocation list version")
        let revocationCount = Int(try reader.u16("revocation count"))
        var revoked: [Revocation] = []
        for _ in 0..<revocationCount {
            let keyID = KeyID(try reader.u32("revoked key id"))
            let revokedAt = UnixTime(try reader.i64("revoked at"))
            let code = try reader.u8("revocation reason")
            guard let reason = Self.reasonCodes.first(where: { $0.1 == code })?.0 else {
                throw BundleError(.invalidPayload, "unknown revocation reason \(code)")
            }
            if let last = revoked.last, last.keyID >= keyID {
                throw BundleError(.nonCanonical, "revocations must be in strictly increasing key-id order")
            }
            revoked.append(Revocation(keyID: keyID, revokedAt: revokedAt, reason: reason))
        }
        try reader.expectEnd()
        revocations = RevocationList(version: listVersion, revocations: revoked)
    }
}

/// The tariff as canonical JSON: UTF-8, keys sorted, no insignificant white space, `/` not escaped.
///
/// JSON keeps the tariff readable by an auditor with any JSON tool. It is canonical because
/// decoding re-encodes and insists on the very same bytes: duplicate keys, reordered keys, white
/// space or unknown members are refused, so two parsers can never read one signed tariff two ways.
public enum TariffPayload {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The canonical bytes of `tariff`, after checking it with `Tariff.validate()`.
    public static func encode(_ tariff: Tariff) throws(BundleError) -> [UInt8] {
        do {
            try tariff.validate()
            return Array(try encoder().encode(tariff))
        } catch {
            throw BundleError(.invalidPayload, "tariff: \(error)")
        }
    }

    /// Decodes and checks canonical tariff JSON.
    public static func decode(_ bytes: [UInt8]) throws(BundleError) -> Tariff {
        let tariff: Tariff
        do {
            tariff = try JSONDecoder().decode(Tariff.self, from: Data(bytes))
            try tariff.validate()
        } catch {
            throw BundleError(.invalidPayload, "tariff: \(error)")
        }
        guard let again = try? encoder().encode(tariff), Array(again) == bytes else {
            throw BundleError(.nonCanonical, "the tariff JSON is not in canonical form (sorted keys, no white space, no unknown members)")
        }
        return tariff
    }
}

/// The deny list in binary: a count, then serials in increasing order with a reason each.
public enum DenyListPayload {
    static let reasonCodes: [(DenyList.Reason, UInt8)] = [(.lost, 1), (.stolen, 2), (.replaced, 3), (.fraud, 4), (.other, 5)]

    /// The canonical bytes: entries sorted by serial.
    public static func encode(_ list: DenyList) -> [UInt8] {
        var writer = BundleWriter()
        writer.u32(UInt32(list.entries.count))
        for entry in list.entries.sorted(by: { $0.serial < $1.serial }) {
            writer.u64(entry.serial.rawValue)
            writer.u8(reasonCodes.first { $0.0 == entry.reason }!.1)
        }
        return writer.bytes
    }

    /// Decodes untrusted bytes; serials must be strictly increasing.
    public static func decode(_ bytes: [UInt8], version: UInt32) throws(BundleError) -> DenyList {
        var reader = BundleReader(bytes, what: "deny list")
        let count = Int(try reader.u32("entry count"))
        guard count <= reader.remaining / 9 else {
            throw BundleError(.truncated, "deny list says \(count) entries, \(reader.remaining) bytes follow")
        }
        var entries: [DenyList.Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let serial = CardSerial(try reader.u64("serial"))
            let code = try reader.u8("reason")
            guard let reason = reasonCodes.first(where: { $0.1 == code })?.0 else {
                throw BundleError(.invalidPayload, "unknown deny reason \(code)")
            }
            if let last = entries.last, last.serial >= serial {
                throw BundleError(.nonCanonical, "serials must be strictly increasing")
            }
            entries.append(DenyList.Entry(serial: serial, reason: reason))
        }
        try reader.expectEnd()
        do {
            return try DenyList(version: version, entries: entries)
        } catch {
            throw BundleError(.invalidPayload, "deny list: \(error)")
        }
    }
}

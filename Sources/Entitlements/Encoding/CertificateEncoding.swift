import Identifiers

/// The canonical binary form of certificates (byte layout in docs/entitlements.md).
extension CertificateTerms {
    /// The format byte of this encoding.
    public static let formatVersion: UInt8 = 1
    /// Length of the encoded terms.
    public static let encodedSize = 50

    /// Domain tag prepended before signing; see `EntitlementTerms.signingDomain`.
    static let signingDomain: [UInt8] = Array("HromadaCard certificate v1\u{0}".utf8)

    /// The canonical encoding of the terms.
    public func encoded() throws -> [UInt8] {
        guard let start = UInt32(exactly: notBefore.rawValue), let end = UInt32(exactly: notAfter.rawValue) else {
            throw EntitlementError(.tooLarge, "certificate validity must lie between 1970 and 2106")
        }
        guard start <= end else { throw EntitlementError(.invalidField, "certificate notBefore is after notAfter") }
        var writer = ByteWriter(capacity: Self.encodedSize)
        writer.u8(Self.formatVersion)
        writer.u32(keyID.rawValue)
        writer.u8(role.rawValue)
        writer.raw(publicKey.rawRepresentation)
        writer.u32(start)
        writer.u32(end)
        writer.u32(issuerKeyID.rawValue)
        return writer.bytes
    }

    /// The exact bytes the root signs: a domain tag followed by `encoded()`.
    public var signedBytes: [UInt8] { Self.signingDomain + ((try? encoded()) ?? []) }

    /// Decodes canonical terms from untrusted bytes.
    public init<Bytes: Collection<UInt8>>(decoding bytes: Bytes) throws {
        var reader = ByteReader(bytes, what: "certificate")
        self = try Self.read(&reader)
        try reader.expectEnd()
    }

    static func read(_ reader: inout ByteReader) throws -> CertificateTerms {
        let format = try reader.u8("format")
        guard format == formatVersion else {
            throw EntitlementError(.unsupportedFormat, "certificate format \(format), this code reads \(formatVersion)")
        }
        let keyID = KeyID(try reader.u32("key id"))
        let roleByte = try reader.u8("role")
        guard let role = KeyRole(rawValue: roleByte) else { throw EntitlementError(.invalidField, "certificate: unknown role \(roleByte)") }
        let publicKey = try SigningPublicKey(rawRepresentation: try reader.raw(32, "public key"))
        let notBefore = UnixTime(Int64(try reader.u32("not before")))
        let notAfter = UnixTime(Int64(try reader.u32("not after")))
        guard notBefore <= notAfter else { throw EntitlementError(.invalidField, "certificate: not before is after not after") }
        let issuer = KeyID(try reader.u32("issuer key id"))
        return CertificateTerms(keyID: keyID, role: role, publicKey: publicKey, notBefore: notBefore, notAfter: notAfter, issuerKeyID: issuer)
    }
}

extension Certificate {
    /// Length of an encoded certificate: terms and signature.
    public static let encodedSize = CertificateTerms.encodedSize + 64

    /// The terms followed by the 64-byte root signature.
    public func encoded() throws -> [UInt8] { try terms.encoded() + signature.rawRepresentation }

    /// Decodes a certificate exactly.
    public init<Bytes: Collection<UInt8>>(decoding bytes: Bytes) throws {
        var reader = ByteReader(bytes, what: "certificate")
        let terms = try CertificateTerms.read(&reader)
        let signature = try Ed25519Signature(rawRepresentation: try reader.raw(64, "signature"))
        try reader.expectEnd()
        self.init(terms: terms, signature: signature)
    }
}

extension Certificate: Codable {
    /// Reads the hex of the canonical encoding (as trust bundles and key files carry it).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let bytes = Hex.decode(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "certificate is not hex")
        }
        try self.init(decoding: bytes)
    }

    /// Writes the hex of the canonical encoding.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Hex.encode(try encoded()))
    }
}

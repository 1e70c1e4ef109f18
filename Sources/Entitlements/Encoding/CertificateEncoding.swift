import Identifiers

/// The canonical binary form of certificates (byte layout in docs/keys.md, "Certificate format").
extension CertificateTerms {
    /// The format byte new certificates are written with.
    public static let formatVersion: UInt8 = CertificateFormat.current.rawValue
    /// Length of the encoded terms in the current format.
    public static let encodedSize = CertificateFormat.current.termsSize

    /// Domain tag prepended before signing; see `EntitlementTerms.signingDomain`.
    ///
    /// One tag for both formats: the format byte is the first signed byte, so a format 1
    /// signature can never be read as a format 2 one (the messages differ from the first byte).
    static let signingDomain: [UInt8] = Array("HromadaCard certificate v1\u{0}".utf8)

    /// The canonical encoding of the terms in their `format`.
    ///
    /// Throws `.invalidField` for format 2 terms of a validator without a device id (or with
    /// device id 0), or of another role with one: a device key is bound to exactly one device,
    /// and no other key is bound to any.
    public func encoded() throws -> [UInt8] {
        guard let start = UInt32(exactly: notBefore.rawValue), let end = UInt32(exactly: notAfter.rawValue) else {
            throw EntitlementError(.tooLarge, "certificate validity must lie between 1970 and 2106")
        }
        guard start <= end else { throw EntitlementError(.invalidField, "certificate notBefore is after notAfter") }
        var writer = ByteWriter(capacity: format.termsSize)
        writer.u8(format.rawValue)
        writer.u32(keyID.rawValue)
        writer.u8(role.rawValue)
        writer.raw(publicKey.rawRepresentation)
        writer.u32(start)
        writer.u32(end)
        writer.u32(issuerKeyID.rawValue)
        switch format {
        case .v1:
            guard deviceID == nil else {
                throw EntitlementError(.invalidField, "a format 1 certificate cannot name a device; use format 2")
            }
        case .v2:
            writer.u32(try Self.deviceField(role: role, deviceID: deviceID))
        }
        return writer.bytes
    }

    /// The device-id field of format 2: the device of a validator key, zero for other roles.
    static func deviceField(role: KeyRole, deviceID: DeviceID?) throws -> UInt32 {
        switch (role, deviceID) {
        case (.validator, .some(let device)) where device.rawValue != 0: return device.rawValue
        case (.validator, _):
            throw EntitlementError(.invalidField, "a validator certificate names its device (a device id from 1)")
        case (_, .none): return 0
        case (_, .some):
            throw EntitlementError(.invalidField, "only a validator certificate names a device, not a \(role) one")
        }
    }

    /// The exact bytes the root signs: a domain tag followed by `encoded()`.
    public var signedBytes: [UInt8] { Self.signingDomain + ((try? encoded()) ?? []) }

    /// Decodes canonical terms (format 1 or 2) from untrusted bytes.
    public init<Bytes: Collection<UInt8>>(decoding bytes: Bytes) throws {
        var reader = ByteReader(bytes, what: "certificate")
        self = try Self.read(&reader)
        try reader.expectEnd()
    }

    static func read(_ reader: inout ByteReader) throws -> CertificateTerms {
        let formatByte = try reader.u8("format")
        guard let format = CertificateFormat(rawValue: formatByte) else {
            throw EntitlementError(
                .unsupportedFormat,
                "certificate format \(formatByte), this code reads \(CertificateFormat.allCases.map { String($0.rawValue) }.joined(separator: " and "))")
        }
        let keyID = KeyID(try reader.u32("key id"))
        let roleByte = try reader.u8("role")
        guard let role = KeyRole(rawValue: roleByte) else { throw EntitlementError(.invalidField, "certificate: unknown role \(roleByte)") }
        let publicKey = try SigningPublicKey(rawRepresentation: try reader.raw(32, "public key"))
        let notBefore = UnixTime(Int64(try reader.u32("not before")))
        let notAfter = UnixTime(Int64(try reader.u32("not after")))
        guard notBefore <= notAfter else { throw EntitlementError(.invalidField, "certificate: not before is after not after") }
        let issuer = KeyID(try reader.u32("issuer key id"))
        var deviceID: DeviceID?
        if format == .v2 {
            let field = try reader.u32("device id")
            switch (role, field) {
            case (.validator, 0):
                throw EntitlementError(.invalidField, "certificate: a validator certificate must name its device")
            case (.validator, _):
                deviceID = DeviceID(rawValue: field)
            case (_, 0):
                deviceID = nil
            default:
                throw EntitlementError(.invalidField, "certificate: a \(role) certificate names device \(field); only validators have one")
            }
        }
        return CertificateTerms(
            keyID: keyID, role: role, publicKey: publicKey, notBefore: notBefore, notAfter: notAfter, issuerKeyID: issuer,
            deviceID: deviceID, format: format)
    }
}

extension Certificate {
    /// Length of an encoded certificate in the current format: terms and signature.
    public static let encodedSize = CertificateFormat.current.certificateSize

    /// The length of the encoded certificate that starts with `bytes`, read from its format
    /// byte; nil when there is no byte or the format is unknown.
    ///
    /// For containers that carry certificates back to back (the trust bundle): the format byte
    /// says how many bytes to take.
    public static func encodedSize<Bytes: Collection<UInt8>>(ofCertificateStartingWith bytes: Bytes) -> Int? {
        bytes.first.flatMap(CertificateFormat.init(rawValue:))?.certificateSize
    }

    /// The terms followed by the 64-byte root signature.
    public func encoded() throws -> [UInt8] { try terms.encoded() + signature.rawRepresentation }

    /// Decodes a certificate (format 1 or 2) exactly.
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

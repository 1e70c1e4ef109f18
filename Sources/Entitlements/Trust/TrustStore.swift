import Crypto
import Identifiers

/// The community root key, its certificates and revocations: everything a validator needs to
/// verify entitlements offline.
///
/// Certificate signatures are checked once, when the store is built, not on every tap: a tap
/// then costs one Ed25519 verification per entitlement. Dates are still checked on every call,
/// because they depend on `now`.
public struct TrustStore: Sendable {
    /// The root key's identifier.
    public let rootKeyID: KeyID
    /// The root public key (the trust anchor, distributed out of band and pinned).
    public let rootPublicKey: SigningPublicKey
    /// The certificates, by key identifier.
    public let certificates: [KeyID: Certificate]
    /// The revoked keys.
    public let revocations: RevocationList

    struct CheckedKey: Sendable {
        let certificate: Certificate
        let signatureIsValid: Bool
        let publicKey: Curve25519.Signing.PublicKey?
    }

    let checked: [KeyID: CheckedKey]

    /// Builds a store; certificates whose root signature fails are kept and reported at use.
    ///
    /// Throws only if the root key itself is not a usable Ed25519 key. If two certificates
    /// share a key identifier, the last one wins.
    public init(
        rootKeyID: KeyID, rootPublicKey: SigningPublicKey,
        certificates: [Certificate], revocations: RevocationList = RevocationList()
    ) throws {
        let root = try rootPublicKey.cryptoKey()
        self.rootKeyID = rootKeyID
        self.rootPublicKey = rootPublicKey
        self.revocations = revocations
        var byID: [KeyID: Certificate] = [:]
        var checked: [KeyID: CheckedKey] = [:]
        for certificate in certificates {
            byID[certificate.keyID] = certificate
            let signatureIsValid =
                certificate.issuerKeyID == rootKeyID
                && root.isValidSignature(certificate.signature.rawRepresentation, for: certificate.terms.signedBytes)
            checked[certificate.keyID] = CheckedKey(
                certificate: certificate,
                signatureIsValid: signatureIsValid,
                publicKey: try? certificate.publicKey.cryptoKey())
        }
        self.certificates = byID
        self.checked = checked
    }

    /// The certificates that bind a key to `device` (format 2, validator role), newest first.
    ///
    /// Only certificates whose root signature verifies are listed; revoked and out-of-date ones
    /// are included, because a ledger written before a key was retired or rotated is still
    /// verified with that key. Check the one you use with `checkCertificate(of:role:now:)` or
    /// `revocations` when the instant matters. Ordered by not-before, then key id, newest first.
    public func certificates(forDevice device: DeviceID) -> [Certificate] {
        checked.values
            .filter { $0.signatureIsValid && $0.certificate.role == .validator && $0.certificate.deviceID == device }
            .map(\.certificate)
            .sorted { ($0.notBefore, $0.keyID) > ($1.notBefore, $1.keyID) }
    }

    /// The device's current certificate: the newest root-signed, unrevoked validator
    /// certificate naming `device`, or nil when there is none.
    ///
    /// This is how a verifier that knows only a device id (`ledger verify --trust … --device …`)
    /// finds the key the device's ledger must be signed with. Dates are not checked (a ledger is
    /// verified long after it was written); `certificates(forDevice:)` lists retired keys too.
    public func certificate(forDevice device: DeviceID) -> Certificate? {
        certificates(forDevice: device).first { revocations.revocation(of: $0.keyID) == nil }
    }

    /// Checks an entitlement read from `card` and reports whether it is valid now, or why not.
    ///
    /// Order: the issuer's certificate (known, not revoked, root-signed, issuer role, in date),
    /// then the entitlement's own signature, then its binding (card, layout), its category and
    /// its dates. Nothing the entitlement says about itself is reported before its signature is
    /// known to be good, except which key it claims signed it.
    public func verify(
        _ entitlement: Entitlement,
        for card: CardSerial,
        layoutVersion: LayoutVersion,
        categories: [BenefitCategory],
        now: UnixTime,
        timeZone: TimeZoneRule = .europeKyiv
    ) -> EntitlementVerdict {
        let issuerID = entitlement.issuerKeyID
        switch checkIssuer(issuerID, role: .issuer, now: now) {
        case .rejected(let rejection):
            return .invalid(rejection)
        case .accepted(let key):
            guard let publicKey = key.publicKey,
                publicKey.isValidSignature(entitlement.signature.rawRepresentation, for: entitlement.signedBytes)
            else { return .invalid(.badSignature) }
            let terms = entitlement.terms
            guard terms.cardSerial == card else {
                return .invalid(.wrongCard(expected: card, found: terms.cardSerial))
            }
            guard terms.layoutVersion == layoutVersion else {
                return .invalid(.wrongLayoutVersion(expected: layoutVersion, found: terms.layoutVersion))
            }
            guard categories.contains(where: { $0.code == terms.category }) else {
                return .invalid(.unknownCategory(terms.category))
            }
            let today = timeZone.local(at: now).date
            guard today >= terms.validFrom else { return .invalid(.notYetValid(validFrom: terms.validFrom)) }
            guard today <= terms.validUntil else { return .invalid(.expired(validUntil: terms.validUntil)) }
            return .valid(VerifiedEntitlement(entitlement: entitlement, issuer: key.certificate))
        }
    }

    /// Checks that `keyID` is certified by the root for `role`, unrevoked and in date at `now`.
    ///
    /// For other signers (validator checkpoints, accounting receipts), so every part of the
    /// system applies the same rules to the same certificates.
    public func checkCertificate(of keyID: KeyID, role: KeyRole, now: UnixTime) -> CertificateVerdict {
        switch checkIssuer(keyID, role: role, now: now) {
        case .accepted(let key): .valid(key.certificate)
        case .rejected(let rejection): .invalid(rejection)
        }
    }

    /// Verifies a signature over `message` by the certified key `keyID` in `role` at `now`.
    public func isValidSignature(
        _ signature: Ed25519Signature, for message: [UInt8], by keyID: KeyID, role: KeyRole, now: UnixTime
    ) -> Bool {
        guard case .accepted(let key) = checkIssuer(keyID, role: role, now: now), let publicKey = key.publicKey else {
            return false
        }
        return publicKey.isValidSignature(signature.rawRepresentation, for: message)
    }

    enum IssuerCheck {
        case accepted(CheckedKey)
        case rejected(EntitlementRejection)
    }

    func checkIssuer(_ keyID: KeyID, role: KeyRole, now: UnixTime) -> IssuerCheck {
        guard let key = checked[keyID] else { return .rejected(.unknownIssuer(keyID)) }
        if let revocation = revocations.revocation(of: keyID) {
            return .rejected(.revokedIssuer(keyID, revocation.reason))
        }
        guard key.signatureIsValid else { return .rejected(.issuerCertificateBadSignature(keyID)) }
        let terms = key.certificate.terms
        guard terms.role == role else { return .rejected(.issuerWrongRole(keyID, terms.role)) }
        guard now >= terms.notBefore else { return .rejected(.issuerCertificateNotYetValid(keyID, notBefore: terms.notBefore)) }
        guard now <= terms.notAfter else { return .rejected(.issuerCertificateExpired(keyID, notAfter: terms.notAfter)) }
        return .accepted(key)
    }
}

/// The outcome of checking a key's certificate for a role at an instant.
public enum CertificateVerdict: Hashable, Sendable {
    /// Certified by the root for the role, unrevoked, in date.
    case valid(Certificate)
    /// Not usable, and why (one of the issuer-related rejections).
    case invalid(EntitlementRejection)
}

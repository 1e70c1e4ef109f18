import Identifiers

/// The outcome of verifying one entitlement: valid, or exactly why not.
public enum EntitlementVerdict: Hashable, Sendable {
    /// Signed by a certified, unrevoked issuer, bound to this card and layout, in date today.
    case valid(VerifiedEntitlement)
    /// Not usable, and why.
    case invalid(EntitlementRejection)

    /// The verified entitlement, if valid.
    public var verified: VerifiedEntitlement? {
        if case .valid(let entitlement) = self { entitlement } else { nil }
    }

    /// The rejection, if invalid.
    public var rejection: EntitlementRejection? {
        if case .invalid(let rejection) = self { rejection } else { nil }
    }
}

/// Why an entitlement is not valid. Checked in the order of the cases below; the first found is reported.
public enum EntitlementRejection: Hashable, Sendable {
    /// No certificate for the issuer key in the trust store.
    case unknownIssuer(KeyID)
    /// The issuer key is on the revocation list.
    case revokedIssuer(KeyID, Revocation.Reason)
    /// The issuer's certificate does not carry a valid root signature (or names another root).
    case issuerCertificateBadSignature(KeyID)
    /// The issuer's certificate is for another role (a validator or accounting key).
    case issuerWrongRole(KeyID, KeyRole)
    /// The issuer's certificate starts later than now.
    case issuerCertificateNotYetValid(KeyID, notBefore: UnixTime)
    /// The issuer's certificate ended before now.
    case issuerCertificateExpired(KeyID, notAfter: UnixTime)
    /// The entitlement's signature does not verify under the issuer's key.
    case badSignature
    /// The entitlement names another card.
    case wrongCard(expected: CardSerial, found: CardSerial)
    /// The entitlement was issued for another layout version.
    case wrongLayoutVersion(expected: LayoutVersion, found: LayoutVersion)
    /// The category is not in the community's list.
    case unknownCategory(CategoryCode)
    /// Today (local) is before the first valid day.
    case notYetValid(validFrom: CivilDate)
    /// Today (local) is after the last valid day.
    case expired(validUntil: CivilDate)

    /// A stable name for logs and ledgers.
    public var code: String {
        switch self {
        case .unknownIssuer: "unknown-issuer"
        case .revokedIssuer: "revoked-issuer"
        case .issuerCertificateBadSignature: "issuer-certificate-bad-signature"
        case .issuerWrongRole: "issuer-wrong-role"
        case .issuerCertificateNotYetValid: "issuer-certificate-not-yet-valid"
        case .issuerCertificateExpired: "issuer-certificate-expired"
        case .badSignature: "bad-signature"
        case .wrongCard: "wrong-card"
        case .wrongLayoutVersion: "wrong-layout-version"
        case .unknownCategory: "unknown-category"
        case .notYetValid: "not-yet-valid"
        case .expired: "expired"
        }
    }
}

/// An entitlement that `TrustStore.verify` accepted.
///
/// Only this module can create one, so code that takes a `VerifiedEntitlement` (the tariff
/// decision) cannot be handed an unchecked entitlement by mistake.
public struct VerifiedEntitlement: Hashable, Sendable {
    /// The entitlement.
    public let entitlement: Entitlement
    /// The certificate of the key that signed it.
    public let issuer: Certificate

    init(entitlement: Entitlement, issuer: Certificate) {
        self.entitlement = entitlement
        self.issuer = issuer
    }

    /// The signed terms.
    public var terms: EntitlementTerms { entitlement.terms }
}

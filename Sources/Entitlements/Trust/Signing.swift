import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signing for the desk and `hromada-keys`. The private key stays a swift-crypto key type.
extension EntitlementTerms {
    /// Signs the terms in `encoding` with the issuer's key. The caller must set `issuerKeyID` to
    /// that key's id.
    public func signed(with issuerKey: Curve25519.Signing.PrivateKey, encoding: EntitlementEncoding = .full) throws -> Entitlement {
        let body = try encoded(encoding)
        let onCard = body.count + 64 - (encoding == .compact ? Self.compactBindingSize : 0)
        guard onCard <= Entitlement.maximumEncodedSize else {
            throw EntitlementError(.tooLarge, "signed entitlement would take \(onCard) bytes, at most \(Entitlement.maximumEncodedSize)")
        }
        let domain = encoding == .compact ? Self.compactSigningDomain : Self.signingDomain
        return Entitlement(terms: self, signature: try sign(domain + body, with: issuerKey), encoding: encoding)
    }
}

extension CertificateTerms {
    /// Signs the terms with the root key. The caller must set `issuerKeyID` to the root's id.
    public func signed(with rootKey: Curve25519.Signing.PrivateKey) throws -> Certificate {
        let body = try encoded()
        return Certificate(terms: self, signature: try sign(Self.signingDomain + body, with: rootKey))
    }
}

/// Signs `message`, wrapping the library's error in ours.
func sign(_ message: [UInt8], with key: Curve25519.Signing.PrivateKey) throws -> Ed25519Signature {
    let signature: Data
    do {
        signature = try key.signature(for: message)
    } catch {
        throw EntitlementError(.signingFailed, "Ed25519 signing failed: \(error)")
    }
    return try Ed25519Signature(rawRepresentation: Array(signature))
}

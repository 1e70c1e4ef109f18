import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signing for the desk and `hromada-keys`. The private key stays a swift-crypto key type.
extension EntitlementTerms {
    /// Signs the terms with the issuer's key. The caller must set `issuerKeyID` to that key's id.
    public func signed(with issuerKey: Curve25519.Signing.PrivateKey) throws -> Entitlement {
        let body = try encoded()
        guard body.count + 64 <= Entitlement.maximumEncodedSize else {
            throw EntitlementError(.tooLarge, "signed entitlement would take \(body.count + 64) bytes, at most \(Entitlement.maximumEncodedSize)")
        }
        return Entitlement(terms: self, signature: try sign(Self.signingDomain + body, with: issuerKey))
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

import Crypto
import Entitlements
import Identifiers

#if canImport(FoundationEssentials)
import FoundationEssentials
#endif
import Foundation

/// A device public key as an operator or auditor gives it to `ledger verify --device-key`.
public enum DevicePublicKeyText {
    /// The key in `text`: 64 hex digits, or the path of a file holding them (`*.pub`) or the 32
    /// raw bytes. Nil when it is none of these, or not a valid Ed25519 public key.
    public static func parse(_ text: String) -> Curve25519.Signing.PublicKey? {
        resolve(text)?.key
    }

    /// The key in `text` as `parse(_:)` reads it, or the key a certificate file certifies
    /// (`keys/<id>.cert` as `hromada-keys` writes it, binary or hex), with the certificate.
    public static func resolve(_ text: String) -> (key: Curve25519.Signing.PublicKey, certificate: Certificate?)? {
        var bytes = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if bytes == nil, let contents = FileManager.default.contents(atPath: text) {
            let asText = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            bytes = Hex.decode(asText) ?? (contents.count == 32 ? Array(contents) : nil)
            if bytes?.count != 32 {
                // Not a bare key: a certificate, binary or in hex.
                let certificate = (try? Certificate(decoding: Array(contents)))
                    ?? Hex.decode(asText).flatMap { try? Certificate(decoding: $0) }
                if let certificate,
                    let key = try? Curve25519.Signing.PublicKey(rawRepresentation: certificate.publicKey.rawRepresentation)
                {
                    return (key, certificate)
                }
            }
        }
        guard let bytes, bytes.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else { return nil }
        return (key, nil)
    }

    /// Checks a device certificate under the community root at `now`: root signature, role
    /// `validator`, validity. Returns the lines to print (Ukrainian, then English) and whether it
    /// passed.
    public static func checkCertificate(
        _ certificate: Certificate, rootPublicKey: SigningPublicKey?, now: UnixTime
    ) -> (passed: Bool, lines: [String]) {
        let id = certificate.keyID
        guard let rootPublicKey else {
            return (
                true,
                ["увага: сертифікат \(id) не перевірено підписом кореня (додайте --root-key) / warning: certificate \(id) was not checked against the community root (pass --root-key)"]
            )
        }
        let store: TrustStore
        do {
            store = try TrustStore(rootKeyID: KeyID(derivedFrom: rootPublicKey), rootPublicKey: rootPublicKey, certificates: [certificate])
        } catch {
            return (false, ["ключ кореня непридатний / the root key is not usable: \(error)"])
        }
        switch store.checkCertificate(of: id, role: .validator, now: now) {
        case .valid:
            return (true, ["ключ пристрою з сертифіката \(id), підписаного коренем громади / device key from certificate \(id), signed by the community root"])
        case .invalid(let rejection):
            return (false, ["сертифікат \(id) не прийнято (\(rejection.code)) / certificate \(id) refused (\(rejection.code))"])
        }
    }
}

import Crypto
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
        var bytes = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if bytes == nil, let contents = FileManager.default.contents(atPath: text) {
            let asText = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            bytes = Hex.decode(asText) ?? (contents.count == 32 ? Array(contents) : nil)
        }
        guard let bytes, bytes.count == 32 else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
    }
}

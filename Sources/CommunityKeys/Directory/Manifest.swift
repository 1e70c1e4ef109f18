import Entitlements

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `community.json`: the public facts about a community directory (docs/keys.md).
struct CommunityManifest: Codable, Hashable {
    /// One certified key.
    struct KeyEntry: Codable, Hashable {
        var keyID: String
        var role: String
        var label: String
    }

    var format: Int
    var community: String
    var rootKeyID: String
    var keys: [KeyEntry]
    var cardKeyVersions: [Int]
    var bundleVersions: [String: UInt32]

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }
}

/// The text form of a secret signing key file.
struct SigningKeyFile: Codable {
    var format: Int
    var kind: String
    var role: String
    var keyID: String
    var privateKey: String
}

/// The text form of a secret card master key file.
struct CardKeyFile: Codable {
    var format: Int
    var kind: String
    var role: String
    var version: Int
    var key: String
}

enum HexText {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }

    static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var high: UInt8?
        for character in text.utf8 {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let pending = high {
                bytes.append(pending << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return high == nil ? bytes : nil
    }
}

extension KeyRole {
    init?(name: String) {
        guard let role = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = role
    }
}

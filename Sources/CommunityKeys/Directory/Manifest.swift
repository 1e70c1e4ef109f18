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
        /// The device a validator key is certified for; absent for other roles and for keys
        /// certified before device ids were bound (format 1 certificates).
        var device: UInt32?
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

extension KeyRole {
    init?(name: String) {
        guard let role = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = role
    }
}

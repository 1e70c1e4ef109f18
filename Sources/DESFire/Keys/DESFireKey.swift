import Crypto
import Identifiers
import SmartCard

/// A DESFire key: its cipher, its bytes (kept in a `SymmetricKey`) and its version.
///
/// The key's bytes never appear in `description` or logs. DES-family keys carry their version
/// in the parity bits (the least significant bit of each of the first 8 bytes, most
/// significant version bit first), as the card stores them; an AES key's version travels as a
/// separate byte in ChangeKey.
public struct DESFireKey: Sendable, Equatable, CustomStringConvertible {
    /// The cipher a key is for.
    public enum KeyType: String, Sendable, Hashable, CaseIterable {
        /// Single DES, 8 bytes (the card stores it as 16 bytes with equal halves).
        case des
        /// Two-key triple DES, 16 bytes.
        case tripleDES2K
        /// Three-key triple DES, 24 bytes.
        case tripleDES3K
        /// AES-128, 16 bytes.
        case aes128

        /// The number of key bytes.
        public var byteCount: Int {
            switch self {
            case .des: 8
            case .tripleDES2K, .aes128: 16
            case .tripleDES3K: 24
            }
        }

        /// The family the card groups the type in (one family per application).
        public var family: KeyFamily {
            switch self {
            case .des, .tripleDES2K: .tripleDES
            case .tripleDES3K: .tripleDES3K
            case .aes128: .aes
            }
        }
    }

    /// The cipher this key is for.
    public let type: KeyType
    /// The key version (0 for a factory key).
    public let version: UInt8
    /// The key bytes (for DES-family keys with the version in the parity bits).
    let material: SymmetricKey

    /// An AES-128 key of 16 bytes.
    public static func aes128(_ key: SymmetricKey, version: UInt8 = 0) throws(DESFireError) -> DESFireKey {
        guard key.bitCount == 128 else {
            throw DESFireError(.invalidArgument, "an AES-128 key has 16 bytes, not \(key.bitCount / 8)")
        }
        return DESFireKey(type: .aes128, version: version, material: key)
    }

    /// A single-DES key of 8 bytes. With `version` nil the version is read from the parity bits;
    /// otherwise the parity bits are set to carry it.
    public static func des(_ key: SymmetricKey, version: UInt8? = nil) throws(DESFireError) -> DESFireKey {
        try desFamily(.des, key, version: version)
    }

    /// A two-key triple-DES key of 16 bytes (version in the parity bits of the first 8 bytes).
    public static func tripleDES2K(_ key: SymmetricKey, version: UInt8? = nil) throws(DESFireError) -> DESFireKey {
        try desFamily(.tripleDES2K, key, version: version)
    }

    /// A three-key triple-DES key of 24 bytes (version in the parity bits of the first 8 bytes).
    public static func tripleDES3K(_ key: SymmetricKey, version: UInt8? = nil) throws(DESFireError) -> DESFireKey {
        try desFamily(.tripleDES3K, key, version: version)
    }

    /// The key every blank card's PICC master key is: single DES, all zeros, version 0.
    public static let factoryDefault = DESFireKey(type: .des, version: 0, material: SymmetricKey(data: [UInt8](repeating: 0, count: 8)))

    /// A key of all zero bytes of the given type: what a new application's keys are.
    public static func zero(_ type: KeyType) -> DESFireKey {
        DESFireKey(type: type, version: 0, material: SymmetricKey(data: [UInt8](repeating: 0, count: type.byteCount)))
    }

    private static func desFamily(_ type: KeyType, _ key: SymmetricKey, version: UInt8?) throws(DESFireError) -> DESFireKey {
        guard key.bitCount == type.byteCount * 8 else {
            throw DESFireError(.invalidArgument, "a \(type) key has \(type.byteCount) bytes, not \(key.bitCount / 8)")
        }
        var bytes = key.withUnsafeBytes { Array($0) }
        if let version {
            for index in 0..<8 {
                bytes[index] = bytes[index] & 0xFE | (version >> (7 - index)) & 1
            }
        }
        var read: UInt8 = 0
        for index in 0..<8 { read = read << 1 | bytes[index] & 1 }
        return DESFireKey(type: type, version: read, material: SymmetricKey(data: bytes))
    }

    init(type: KeyType, version: UInt8, material: SymmetricKey) {
        self.type = type
        self.version = version
        self.material = material
    }

    /// The key's bytes. Internal: only the crypto of this module reads them.
    var bytes: [UInt8] { material.withUnsafeBytes { Array($0) } }

    /// The bytes as the card stores the key and ChangeKey carries it: single DES doubled to
    /// 16 bytes (K || K), every other type as is.
    var cardBytes: [UInt8] {
        let bytes = self.bytes
        return type == .des ? bytes + bytes : bytes
    }

    /// Whether a DES-family key is single DES in effect: 8 bytes, or 16 whose halves are equal
    /// once the parity (version) bits are ignored. The card decides the same way, and a
    /// legacy session key is built differently for the two.
    var isEffectivelySingleDES: Bool {
        switch type {
        case .des: return true
        case .tripleDES2K:
            let bytes = self.bytes
            return (0..<8).allSatisfy { bytes[$0] & 0xFE == bytes[$0 + 8] & 0xFE }
        case .tripleDES3K, .aes128: return false
        }
    }

    public var description: String {
        "DESFireKey(\(type), version 0x\(Hex.encode([version], case: .upper)), bytes redacted)"
    }
}

/// The key family of an application: every key of one application is of the same family.
public enum KeyFamily: UInt8, Sendable, Hashable, CaseIterable {
    /// DES and two-key triple DES (flag bits 00).
    case tripleDES = 0x00
    /// Three-key triple DES (flag bits 01).
    case tripleDES3K = 0x40
    /// AES-128 (flag bits 10).
    case aes = 0x80
}

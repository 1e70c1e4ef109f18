import Crypto
import Tariff

/// A SHA-256 value in the ledger chain: an entry's hash, or the genesis value before entry 1.
public struct ChainHash: Hashable, Sendable, CustomStringConvertible {
    /// The 32 bytes.
    public let bytes: [UInt8]

    /// Wraps 32 bytes; throws `.invalidField` for any other length.
    public init<Bytes: Collection<UInt8>>(bytes: Bytes) throws {
        guard bytes.count == 32 else {
            throw LedgerError(.invalidField, "a chain hash has 32 bytes, not \(bytes.count)")
        }
        self.bytes = Array(bytes)
    }

    /// Parses 64 hex digits (either case).
    public init?(hex: String) {
        guard let bytes = hexBytes(hex), bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    init(digest: SHA256.Digest) { self.bytes = digest.withUnsafeBytes { Array($0) } }

    /// SHA-256 of `data`.
    public static func of(_ data: [UInt8]) -> ChainHash { ChainHash(digest: SHA256.hash(data: data)) }

    /// The ASCII text hashed with the device id to make the genesis value.
    public static let genesisTag: [UInt8] = Array("HromadaCard ledger genesis v1".utf8)

    /// The value entry 1 of `device` chains to: SHA-256("HromadaCard ledger genesis v1" ‖ device id, u32 big-endian).
    ///
    /// Bound to the device so that one validator's ledger cannot be spliced onto another's
    /// start and still verify.
    public static func genesis(for device: DeviceID) -> ChainHash {
        var bytes = genesisTag
        bytes.appendBigEndian(device.rawValue)
        return .of(bytes)
    }

    /// 64 lower-case hex digits.
    public var hex: String { hexString(bytes) }
    /// 64 lower-case hex digits.
    public var description: String { hex }
}

/// Lower-case hex of `bytes`.
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Bytes of an even-length hex string (either case, no separators), or nil.
public func hexBytes(_ text: some StringProtocol) -> [UInt8]? {
    let utf8 = Array(text.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(utf8.count / 2)
    var index = 0
    while index < utf8.count {
        guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
        out.append(high << 4 | low)
        index += 2
    }
    return out
}

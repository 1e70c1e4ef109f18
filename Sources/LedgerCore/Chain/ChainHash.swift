import Crypto
import Identifiers

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

    /// Parses 64 hex digits (either case, nothing else; the rule of `Hex.decode`).
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == 32 else { return nil }
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
    public var hex: String { Hex.encode(bytes) }
    /// 64 lower-case hex digits.
    public var description: String { hex }
}

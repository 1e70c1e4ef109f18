import Crypto
import Identifiers

/// A SHA-256 value in the ledger chain: an entry's hash, or the genesis value before entry 1.
public struct ChainHash: Hashable, Sendable, CustomStringConvertible {
    // The 32 bytes as four big-endian words, held inline rather than in an array: every entry
    // holds two hashes (its own and the one it chains to), and a reconciliation reads millions
    // of entries, so two arrays an entry were two allocations to make, free and count
    // references on at every copy (docs/reconcile-tool.md, "Benchmark"). Big-endian words keep
    // the bytes' order: comparing the words in turn compares the bytes lexicographically.
    private let word0: UInt64
    private let word1: UInt64
    private let word2: UInt64
    private let word3: UInt64

    /// The 32 bytes (a new array at each read).
    public var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.storeBytes(of: word0.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: word1.bigEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: word2.bigEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: word3.bigEndian, toByteOffset: 24, as: UInt64.self)
            count = 32
        }
    }

    /// Wraps 32 bytes; throws `.invalidField` for any other length.
    public init<Bytes: Collection<UInt8>>(bytes: Bytes) throws {
        guard bytes.count == 32 else {
            throw LedgerError(.invalidField, "a chain hash has 32 bytes, not \(bytes.count)")
        }
        if let hash = bytes.withContiguousStorageIfAvailable({ ChainHash(UnsafeRawBufferPointer($0)) }) {
            self = hash
        } else {
            self = Array(bytes).withUnsafeBytes { ChainHash($0) }
        }
    }

    /// Parses 64 hex digits (either case, nothing else; the rule of `Hex.decode`).
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == 32 else { return nil }
        self = bytes.withUnsafeBytes { ChainHash($0) }
    }

    /// The hash whose bytes `raw` holds (exactly 32).
    init(_ raw: UnsafeRawBufferPointer) {
        precondition(raw.count == 32, "a chain hash has 32 bytes")
        word0 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        word1 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        word2 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        word3 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    init(digest: SHA256.Digest) { self = digest.withUnsafeBytes { ChainHash($0) } }

    /// SHA-256 of `data`.
    public static func of(_ data: [UInt8]) -> ChainHash {
        data.withUnsafeBytes { ChainHash(digest: SHA256.hash(data: $0)) }
    }

    /// Whether these bytes come before `other`'s in lexicographic order.
    public func precedes(_ other: ChainHash) -> Bool {
        (word0, word1, word2, word3) < (other.word0, other.word1, other.word2, other.word3)
    }

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

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var big = value.bigEndian
        Swift.withUnsafeBytes(of: &big) { append(contentsOf: $0) }
    }
}

/// Reads big-endian fields from untrusted bytes; every read is bounds-checked and throws.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int, _ field: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else {
            throw LedgerError(.truncated, "the bytes end inside \(field) (at offset \(offset), \(count) wanted, \(remaining) left)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type, _ field: String) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else {
            throw LedgerError(.truncated, "the bytes end inside \(field) (at offset \(offset), \(size) wanted, \(remaining) left)")
        }
        // One unaligned load rather than a loop over bytes: a reconciliation decodes millions
        // of entries, each a score of fields.
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += size
        return T(bigEndian: value)
    }

    /// The next 32 bytes as a chain hash (no array made for them).
    mutating func hash(_ field: String) throws -> ChainHash {
        guard remaining >= 32 else {
            throw LedgerError(.truncated, "the bytes end inside \(field) (at offset \(offset), 32 wanted, \(remaining) left)")
        }
        let hash = bytes.withUnsafeBytes { ChainHash(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + 32])) }
        offset += 32
        return hash
    }

    func expectEnd(_ structure: String) throws {
        guard remaining == 0 else {
            throw LedgerError(.trailingBytes, "\(remaining) bytes follow a complete \(structure)")
        }
    }
}

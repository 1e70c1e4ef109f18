/// Reads little-endian fields from bytes a card sent, throwing instead of trapping.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var index = 0
    private let what: String

    init(_ bytes: [UInt8], parsing what: String) {
        self.bytes = bytes
        self.what = what
    }

    var remaining: Int { bytes.count - index }

    mutating func byte() throws(DESFireError) -> UInt8 {
        guard index < bytes.count else {
            throw DESFireError(.truncatedResponse, "\(what): \(bytes.count) bytes end before offset \(index)")
        }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func bytes(_ count: Int) throws(DESFireError) -> [UInt8] {
        guard count <= remaining else {
            throw DESFireError(.truncatedResponse, "\(what): needs \(count) bytes at offset \(index), has \(remaining)")
        }
        defer { index += count }
        return Array(bytes[index..<index + count])
    }

    /// An unsigned little-endian integer of `count` bytes (up to 4).
    mutating func unsigned(_ count: Int) throws(DESFireError) -> UInt32 {
        var value: UInt32 = 0
        for (shift, byte) in try bytes(count).enumerated() { value |= UInt32(byte) << UInt32(8 * shift) }
        return value
    }

    mutating func int32() throws(DESFireError) -> Int32 {
        Int32(bitPattern: try unsigned(4))
    }

    /// Checks every byte was read.
    func finish() throws(DESFireError) {
        guard remaining == 0 else {
            throw DESFireError(.oversizedResponse, "\(what): \(remaining) bytes left over")
        }
    }
}

/// A value in the card's 3-byte little-endian form (offsets, lengths, sizes).
func uint24Bytes(_ value: Int) -> [UInt8] {
    precondition((0...0xFF_FFFF).contains(value))
    return littleEndian(UInt32(value), count: 3)
}

/// A signed value in the card's 4-byte little-endian two's complement form.
func int32Bytes(_ value: Int32) -> [UInt8] {
    littleEndian(UInt32(bitPattern: value), count: 4)
}

/// Checks an integer argument is in range before it is encoded.
func require(_ value: Int, in range: ClosedRange<Int>, _ what: String) throws(DESFireError) {
    guard range.contains(value) else {
        throw DESFireError(.invalidArgument, "\(what) must be in \(range.lowerBound)...\(range.upperBound), not \(value)")
    }
}

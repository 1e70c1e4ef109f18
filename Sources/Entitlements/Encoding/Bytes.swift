/// Appends big-endian fields to a byte buffer.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
    mutating func raw(_ values: [UInt8]) { bytes.append(contentsOf: values) }
}

/// Reads big-endian fields from untrusted bytes; every read is bounds-checked and throws `.truncated`.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset = 0
    let what: String

    init<Bytes: Collection<UInt8>>(_ bytes: Bytes, what: String) {
        self.bytes = Array(bytes)
        self.what = what
    }

    var remaining: Int { bytes.count - offset }

    mutating func u8(_ field: String) throws -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }
    mutating func u16(_ field: String) throws -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
    mutating func u32(_ field: String) throws -> UInt32 {
        try need(4, field)
        defer { offset += 4 }
        return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
    mutating func u64(_ field: String) throws -> UInt64 {
        try need(8, field)
        defer { offset += 8 }
        return bytes[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) }
    }
    mutating func raw(_ count: Int, _ field: String) throws -> [UInt8] {
        try need(count, field)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// The bytes not yet read.
    func rest() -> ArraySlice<UInt8> { bytes[offset...] }

    func expectEnd() throws {
        guard remaining == 0 else {
            throw EntitlementError(.trailingBytes, "\(what): \(remaining) byte(s) after the end at offset \(offset)")
        }
    }

    private func need(_ count: Int, _ field: String) throws {
        guard remaining >= count else {
            throw EntitlementError(.truncated, "\(what): \(field) needs \(count) byte(s) at offset \(offset), \(remaining) left")
        }
    }
}

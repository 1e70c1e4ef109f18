// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// A bundle that cannot be read, or a payload that cannot be encoded.
///
/// Thrown by the decoders of untrusted bundle bytes and by the encoders. Whether a well-formed
/// bundle may be installed is not an error but a `BundleVerdict`. Equality compares the code only.
public struct BundleError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<BundleError>

    /// What went wrong.
    public let code: Code
    /// A human explanation.
    public let reason: String
    /// Source file that raised it.
    public let file: String
    /// Source line that raised it.
    public let line: UInt

    /// Creates an error.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == BundleError {
    /// The bytes do not start with the bundle magic.
    public static var notABundle: Self { Self("not-a-bundle") }
    /// The format byte names a version this code does not read.
    public static var unsupportedFormat: Self { Self("unsupported-format") }
    /// The bytes ended before the structure did.
    public static var truncated: Self { Self("truncated") }
    /// Bytes were left after the structure.
    public static var trailingBytes: Self { Self("trailing-bytes") }
    /// A field holds a value outside its range (unknown kind, bad community name, …).
    public static var invalidField: Self { Self("invalid-field") }
    /// The payload does not decode as its kind says.
    public static var invalidPayload: Self { Self("invalid-payload") }
    /// The payload decodes but is not in its one canonical form.
    public static var nonCanonical: Self { Self("non-canonical") }
    /// The payload disagrees with the envelope (community or version).
    public static var payloadMismatch: Self { Self("payload-mismatch") }
    /// A value does not fit its encoding.
    public static var tooLarge: Self { Self("too-large") }
    /// Signing failed inside the crypto library.
    public static var signingFailed: Self { Self("signing-failed") }
}

/// Big-endian writer for the bundle formats.
struct BundleWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)] }
    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    mutating func raw(_ values: [UInt8]) { bytes += values }
}

/// Bounds-checked big-endian reader of untrusted bytes.
struct BundleReader {
    let bytes: [UInt8]
    var offset = 0
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    var remaining: Int { bytes.count - offset }

    mutating func raw(_ count: Int, _ field: String) throws(BundleError) -> [UInt8] {
        guard count >= 0, remaining >= count else {
            throw BundleError(.truncated, "\(what): \(field) needs \(count) byte(s) at offset \(offset), \(remaining) left")
        }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }
    mutating func u8(_ field: String) throws(BundleError) -> UInt8 { try raw(1, field)[0] }
    mutating func u16(_ field: String) throws(BundleError) -> UInt16 {
        try raw(2, field).reduce(0) { $0 << 8 | UInt16($1) }
    }
    mutating func u32(_ field: String) throws(BundleError) -> UInt32 {
        try raw(4, field).reduce(0) { $0 << 8 | UInt32($1) }
    }
    mutating func u64(_ field: String) throws(BundleError) -> UInt64 {
        try raw(8, field).reduce(0) { $0 << 8 | UInt64($1) }
    }
    mutating func i64(_ field: String) throws(BundleError) -> Int64 { Int64(bitPattern: try u64(field)) }
    func expectEnd() throws(BundleError) {
        guard remaining == 0 else {
            throw BundleError(.trailingBytes, "\(what): \(remaining) byte(s) after the end at offset \(offset)")
        }
    }
}

import Entitlements

extension UnixTime {
    /// ISO 8601 when the instant lies within years 1900–9999, else the raw seconds.
    ///
    /// `UnixTime.description` traps for instants whose day number overflows 32 bits, and the
    /// instants here may come from untrusted bytes; messages must never crash a validator.
    var safeText: String {
        (-2_208_988_800...253_402_300_799).contains(rawValue) ? description : "\(rawValue) s"
    }
}

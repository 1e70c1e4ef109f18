/// One BER-TLV data object (ISO/IEC 7816-4 annex D): a tag, and either a value or children.
public struct TLV: Hashable, Sendable {
    /// The tag bytes as they appear on the wire (one to three bytes).
    public var tag: [UInt8]
    public var value: [UInt8]

    public init(tag: [UInt8], value: [UInt8]) {
        self.tag = tag
        self.value = value
    }

    /// Whether the tag marks a constructed object (its value is itself TLV-encoded).
    public var isConstructed: Bool { (tag.first ?? 0) & 0x20 != 0 }

    /// The encoded bytes: tag, definite length, value.
    public var bytes: [UInt8] {
        var out = tag
        let length = value.count
        switch length {
        case 0..<0x80: out.append(UInt8(length))
        case 0x80...0xFF: out += [0x81, UInt8(length)]
        default: out += [0x82, UInt8(length >> 8), UInt8(length & 0xFF)]
        }
        return out + value
    }

    /// Parses a sequence of TLV objects filling `bytes` exactly. Throws on truncation, an
    /// indefinite length or lengths over 65535 bytes.
    public static func parseAll(_ bytes: [UInt8]) throws(TLVError) -> [TLV] {
        var objects: [TLV] = []
        var index = 0
        while index < bytes.count {
            // 0x00 and 0xFF between objects are padding (ISO 7816-4 5.2.2.1).
            if bytes[index] == 0x00 || bytes[index] == 0xFF {
                index += 1
                continue
            }
            let tagStart = index
            index += 1
            if bytes[tagStart] & 0x1F == 0x1F {
                repeat {
                    guard index < bytes.count, index - tagStart < 3 else { throw TLVError.truncated(at: tagStart) }
                    index += 1
                } while bytes[index - 1] & 0x80 != 0
            }
            let tag = Array(bytes[tagStart..<index])
            guard index < bytes.count else { throw TLVError.truncated(at: index) }
            let first = bytes[index]
            index += 1
            var length = 0
            if first < 0x80 {
                length = Int(first)
            } else {
                let count = Int(first & 0x7F)
                guard count >= 1, count <= 2 else { throw TLVError.unsupportedLength(at: index - 1) }
                guard index + count <= bytes.count else { throw TLVError.truncated(at: index) }
                for byte in bytes[index..<(index + count)] { length = length << 8 | Int(byte) }
                index += count
            }
            guard index + length <= bytes.count else { throw TLVError.truncated(at: index) }
            objects.append(TLV(tag: tag, value: Array(bytes[index..<(index + length)])))
            index += length
        }
        return objects
    }
}

/// Bytes that are not well-formed BER-TLV.
///
/// An enum, because `TLV.parseAll` throws it typed and callers match the offset. Equality
/// compares the case and the offset (more than `CodedError`'s code-only default): where the
/// bytes went wrong is part of the answer.
public enum TLVError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<TLVError>

    /// The bytes end inside a tag, a length or a value that starts at this offset.
    case truncated(at: Int)
    /// The length at this offset uses a form this parser does not read (more than two length bytes).
    case unsupportedLength(at: Int)

    /// What went wrong.
    public var code: Code {
        switch self {
        case .truncated: .truncated
        case .unsupportedLength: .unsupportedLength
        }
    }

    /// Where it went wrong.
    public var reason: String {
        switch self {
        case .truncated(let offset): "the TLV bytes end inside the object at offset \(offset)"
        case .unsupportedLength(let offset): "the TLV length at offset \(offset) has an unsupported form"
        }
    }

    /// Equal when the case and the offset are.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.truncated(let left), .truncated(let right)), (.unsupportedLength(let left), .unsupportedLength(let right)):
            left == right
        default: false
        }
    }

    /// Hashes what equality compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        switch self {
        case .truncated(let offset), .unsupportedLength(let offset): hasher.combine(offset)
        }
    }
}

extension ErrorCode where Domain == TLVError {
    /// The bytes end inside an object.
    public static var truncated: Self { Self("tlv-truncated") }
    /// A length form this parser does not read.
    public static var unsupportedLength: Self { Self("tlv-unsupported-length") }
}

/// An ISO/IEC 7816-4 command APDU.
///
/// Encoded in the short form (Lc and Le of one byte each), which is all a DESFire card behind a
/// PC/SC reader needs. `le == 0` means "Le present and zero" (up to 256 bytes expected); `nil`
/// means no Le.
public struct CommandAPDU: Hashable, Sendable {
    public var cla: UInt8
    public var ins: UInt8
    public var p1: UInt8
    public var p2: UInt8
    public var data: [UInt8]
    public var le: UInt8?

    /// Builds a command; `data` must hold at most 255 bytes (short Lc).
    public init(cla: UInt8, ins: UInt8, p1: UInt8 = 0, p2: UInt8 = 0, data: [UInt8] = [], le: UInt8? = nil) {
        precondition(data.count <= 255, "short APDUs carry at most 255 data bytes")
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.le = le
    }

    /// The bytes sent to the reader.
    public var bytes: [UInt8] {
        var out: [UInt8] = [cla, ins, p1, p2]
        out.reserveCapacity(6 + data.count)
        if !data.isEmpty {
            out.append(UInt8(data.count))
            out.append(contentsOf: data)
        }
        if let le { out.append(le) }
        return out
    }

    /// Parses a short-form command APDU (cases 1–4). Throws on any other shape.
    public init(bytes: [UInt8]) throws(APDUFormatError) {
        guard bytes.count >= 4 else { throw APDUFormatError.tooShort(bytes.count) }
        let body = Array(bytes[4...])
        var data: [UInt8] = []
        var le: UInt8?
        switch body.count {
        case 0:
            break
        case 1:
            le = body[0]
        default:
            let lc = Int(body[0])
            guard lc > 0 else { throw APDUFormatError.extendedLengthUnsupported }
            guard body.count == 1 + lc || body.count == 2 + lc else {
                throw APDUFormatError.lengthMismatch(declared: lc, actual: body.count - 1)
            }
            data = Array(body[1..<(1 + lc)])
            if body.count == 2 + lc { le = body[1 + lc] }
        }
        self.init(cla: bytes[0], ins: bytes[1], p1: bytes[2], p2: bytes[3], data: data, le: le)
    }
}

/// A response APDU: data followed by the two status bytes.
public struct ResponseAPDU: Hashable, Sendable {
    public var data: [UInt8]
    public var status: StatusWord

    public init(data: [UInt8], status: StatusWord) {
        self.data = data
        self.status = status
    }

    /// Splits raw response bytes; a response must carry at least SW1 SW2.
    public init(bytes: [UInt8]) throws(APDUFormatError) {
        guard bytes.count >= 2 else { throw APDUFormatError.tooShort(bytes.count) }
        self.data = Array(bytes.dropLast(2))
        self.status = StatusWord(sw1: bytes[bytes.count - 2], sw2: bytes[bytes.count - 1])
    }

    /// The bytes as the card sent them.
    public var bytes: [UInt8] { data + [status.sw1, status.sw2] }
}

/// A byte string that is not a well-formed short APDU.
///
/// An enum, because the APDU initializers throw it typed and callers match the counts.
/// Equality compares the case and its counts (more than `CodedError`'s code-only default):
/// how the bytes are malformed is part of the answer.
public enum APDUFormatError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<APDUFormatError>

    /// Fewer bytes than the smallest APDU of the kind (this many).
    case tooShort(Int)
    /// The Lc byte declares another data length than the bytes carry.
    case lengthMismatch(declared: Int, actual: Int)
    /// An extended-length APDU (Lc of 00), which is not supported.
    case extendedLengthUnsupported

    /// What went wrong.
    public var code: Code {
        switch self {
        case .tooShort: .tooShort
        case .lengthMismatch: .lengthMismatch
        case .extendedLengthUnsupported: .extendedLengthUnsupported
        }
    }

    /// The explanation, with the counts.
    public var reason: String {
        switch self {
        case .tooShort(let count): "APDU of \(count) bytes is too short"
        case .lengthMismatch(let declared, let actual): "APDU declares Lc=\(declared) but carries \(actual) bytes"
        case .extendedLengthUnsupported: "extended-length APDUs are not supported"
        }
    }

    /// The explanation alone, as before this type adopted `CodedError` (its messages already name the problem).
    public var description: String { reason }

    /// Equal when the case and its counts are.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.tooShort(let left), .tooShort(let right)): left == right
        case (.lengthMismatch(let leftDeclared, let leftActual), .lengthMismatch(let rightDeclared, let rightActual)):
            leftDeclared == rightDeclared && leftActual == rightActual
        case (.extendedLengthUnsupported, .extendedLengthUnsupported): true
        default: false
        }
    }

    /// Hashes what equality compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        switch self {
        case .tooShort(let count): hasher.combine(count)
        case .lengthMismatch(let declared, let actual):
            hasher.combine(declared)
            hasher.combine(actual)
        case .extendedLengthUnsupported: break
        }
    }
}

extension ErrorCode where Domain == APDUFormatError {
    /// Fewer bytes than the smallest APDU.
    public static var tooShort: Self { Self("apdu-too-short") }
    /// Lc disagrees with the data carried.
    public static var lengthMismatch: Self { Self("apdu-length-mismatch") }
    /// Extended-length APDUs are not supported.
    public static var extendedLengthUnsupported: Self { Self("apdu-extended-length-unsupported") }
}

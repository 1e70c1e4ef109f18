/// The two status bytes that end every response APDU.
///
/// Known values have names, so code reads `case .success:` rather than `0x9000`. DESFire
/// wraps its own one-byte status codes as `91 xx`; those names live in the DESFire module.
public struct StatusWord: Hashable, Sendable, CustomStringConvertible {
    public var sw1: UInt8
    public var sw2: UInt8

    public init(sw1: UInt8, sw2: UInt8) {
        self.sw1 = sw1
        self.sw2 = sw2
    }

    public init(_ value: UInt16) {
        self.init(sw1: UInt8(value >> 8), sw2: UInt8(value & 0xFF))
    }

    /// SW1 SW2 as one 16-bit number.
    public var value: UInt16 { UInt16(sw1) << 8 | UInt16(sw2) }

    public static let success = StatusWord(0x9000)
    public static let wrongLength = StatusWord(0x6700)
    public static let securityStatusNotSatisfied = StatusWord(0x6982)
    public static let conditionsOfUseNotSatisfied = StatusWord(0x6985)
    public static let wrongParameters = StatusWord(0x6B00)
    public static let fileNotFound = StatusWord(0x6A82)
    public static let instructionNotSupported = StatusWord(0x6D00)
    public static let classNotSupported = StatusWord(0x6E00)
    public static let noPreciseDiagnosis = StatusWord(0x6F00)

    /// Matches a status word against a known one in `switch` statements.
    public static func ~= (pattern: StatusWord, value: StatusWord) -> Bool { pattern == value }

    static let names: [UInt16: String] = [
        0x9000: "success",
        0x6700: "wrong length",
        0x6982: "security status not satisfied",
        0x6985: "conditions of use not satisfied",
        0x6B00: "wrong parameters",
        0x6A82: "file not found",
        0x6D00: "instruction not supported",
        0x6E00: "class not supported",
        0x6F00: "no precise diagnosis",
    ]

    public var description: String {
        let hex = String(value, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: 4 - hex.count) + hex
        if let name = Self.names[value] { return "\(padded) (\(name))" }
        return padded
    }
}

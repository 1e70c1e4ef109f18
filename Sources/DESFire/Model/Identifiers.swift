/// A DESFire application identifier: 24 bits, sent least significant byte first.
public struct ApplicationID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The 24-bit value.
    public let rawValue: UInt32

    /// An AID from its 24-bit value; nil above 0xFFFFFF.
    public init?(rawValue: UInt32) {
        guard rawValue <= 0xFF_FFFF else { return nil }
        self.rawValue = rawValue
    }

    /// An AID written as a literal in code; a literal above 0xFFFFFF is a programming error.
    public init(integerLiteral value: UInt32) {
        precondition(value <= 0xFF_FFFF, "an application ID has 24 bits")
        self.rawValue = value
    }

    /// An AID from the 3 bytes the card sends (least significant first).
    public init(wireBytes bytes: [UInt8]) throws(DESFireError) {
        guard bytes.count == 3 else {
            throw DESFireError(.malformedResponse, "an application ID has 3 bytes, not \(bytes.count)")
        }
        self.rawValue = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16
    }

    /// The card level (the PICC), where applications are created and the PICC master key lives.
    public static let picc: ApplicationID = 0x000000

    /// The 3 bytes the card expects, least significant first.
    public var wireBytes: [UInt8] { littleEndian(rawValue, count: 3) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 6 - hex.count) + hex
    }
}

/// A file number inside an application: 0 to 31 on EV1.
public struct FileNumber: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The file number.
    public let rawValue: UInt8

    /// The highest file number an EV1 application has.
    public static let maximum: UInt8 = 31

    /// A file number; nil above 31.
    public init?(rawValue: UInt8) {
        guard rawValue <= Self.maximum else { return nil }
        self.rawValue = rawValue
    }

    /// A file number written as a literal in code; above 31 is a programming error.
    public init(integerLiteral value: UInt8) {
        precondition(value <= Self.maximum, "EV1 file numbers are 0...31")
        self.rawValue = value
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "file \(rawValue)" }
}

/// How a file's data travels between card and reader.
public enum CommunicationMode: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// In clear. In an EV1 session the command still advances the CMAC chain and the response
    /// still carries a CMAC.
    case plain = 0x00
    /// In clear with a MAC: EV1 appends an 8-byte CMAC, legacy a 4-byte DES MAC.
    case maced = 0x01
    /// Enciphered with the session key, with a CRC inside.
    case enciphered = 0x03

    /// Decodes a file's communication settings byte; 0x02 also means plain (bit 0 clear).
    public init(settingsByte: UInt8) throws(DESFireError) {
        switch settingsByte {
        case 0x00, 0x02: self = .plain
        case 0x01: self = .maced
        case 0x03: self = .enciphered
        default: throw DESFireError(.malformedResponse, "communication settings byte 0x\(String(settingsByte, radix: 16)) is not defined")
        }
    }

    public var description: String {
        switch self {
        case .plain: "plain"
        case .maced: "MACed"
        case .enciphered: "enciphered"
        }
    }
}

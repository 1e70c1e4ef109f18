/// The community's card number: 8 bytes, printed as four groups of four hex digits.
///
/// This is the number the desk assigns and writes into the card's holder file, not the chip's
/// UID (which can be random per tap). Entitlements are bound to it.
public struct CardSerial: RawRepresentable, Hashable, Comparable, Sendable, BitwiseCopyable, Codable,
    CustomStringConvertible, ExpressibleByIntegerLiteral
{
    /// The serial as an unsigned 64-bit number.
    public let rawValue: UInt64
    /// Creates a serial from its numeric value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// Creates a serial from its numeric value.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    /// Creates a serial from an integer literal.
    public init(integerLiteral value: UInt64) { self.rawValue = value }

    /// Parses the printed form (`0123-4567-89AB-CDEF`, dashes and spaces optional, any case):
    /// 16 hex digits by the rule of `Hex.decode` once the dashes and spaces are removed.
    public init?(printed text: String) {
        let digits = text.filter { $0 != "-" && $0 != " " }
        guard let bytes = Hex.decode(digits), bytes.count == 8 else { return nil }
        self.rawValue = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The printed form: 16 upper-case hex digits in four dash-separated groups.
    public var printed: String {
        let digits = Array(Hex.encode((0..<8).reversed().map { UInt8(truncatingIfNeeded: rawValue >> (8 * $0)) }, case: .upper))
        return stride(from: 0, to: 16, by: 4).map { String(digits[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// The printed form.
    public var description: String { printed }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let serial = CardSerial(printed: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a card serial: \(text)")
        }
        self = serial
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(printed)
    }
}

/// A number that names something (an entitlement, a category, a route…): a distinct type per
/// meaning, so a route number can never be passed where a category code is expected.
///
/// Conformers declare only `rawValue` and `init(rawValue:)`; ordering, integer literals, the
/// unlabelled initializer, the decimal `description` and a Codable form as the bare number come
/// from here.
public protocol NumericIdentifier: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    CustomStringConvertible, ExpressibleByIntegerLiteral
where RawValue: FixedWidthInteger & Codable & Sendable, IntegerLiteralType == RawValue {
    init(rawValue: RawValue)
}

extension NumericIdentifier {
    /// Creates an identifier from its number.
    public init(_ rawValue: RawValue) { self.init(rawValue: rawValue) }
    /// Creates an identifier from an integer literal.
    public init(integerLiteral value: RawValue) { self.init(rawValue: value) }
    /// The decimal number.
    public var description: String { String(rawValue) }
    /// The identifier `text` names in the one form `description` prints: decimal digits, no
    /// sign, no leading zero (`101`, never `0101` or `+101`); nil for any other text or a
    /// number too large. Why so strict: an id is signed and compared as text elsewhere, and a
    /// `0101` read quietly as 101 names a device its owner never meant.
    public init?(decimal text: some StringProtocol) {
        let digits = text.utf8
        guard let first = digits.first, digits.allSatisfy({ (0x30...0x39).contains($0) }), first != 0x30 || digits.count == 1,
            let value = RawValue(text, radix: 10)
        else { return nil }
        self.init(rawValue: value)
    }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(RawValue.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The version of the card layout a card was personalized with (`CardLayouts/*-v<N>.json`).
public struct LayoutVersion: NumericIdentifier {
    /// The version number.
    public let rawValue: UInt16
    /// Creates the identifier from its number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// `v<N>`.
    public var description: String { "v\(rawValue)" }
}

/// The number of an entitlement, unique on its card; usage counters are keyed by it.
public struct EntitlementID: NumericIdentifier {
    /// The number.
    public let rawValue: UInt32
    /// Creates the identifier from its number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
}

/// The numeric code of a benefit category, as written on cards and in ledgers.
public struct CategoryCode: NumericIdentifier {
    /// The code.
    public let rawValue: UInt16
    /// Creates the identifier from its number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
}

/// A route number as the community's tariff lists it (bus route 1, 2, 101 …).
public struct RouteNumber: NumericIdentifier {
    /// The number.
    public let rawValue: UInt16
    /// Creates the identifier from its number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
}

/// A fare zone number as the community's tariff lists it.
public struct ZoneNumber: NumericIdentifier {
    /// The number.
    public let rawValue: UInt8
    /// Creates the identifier from its number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }
}

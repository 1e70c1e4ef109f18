/// The identifier of a community key (root, issuer desk, validator device, accounting service).
///
/// Assigned by `hromada-keys`; `Entitlements` offers `init(derivedFrom:)`, a default derived from
/// the public key (the key material and its hashing stay there).
public struct KeyID: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    CustomStringConvertible, ExpressibleByIntegerLiteral
{
    /// The identifier.
    public let rawValue: UInt32
    /// Creates a key identifier.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Creates a key identifier.
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    /// Creates a key identifier from an integer literal.
    public init(integerLiteral value: UInt32) { self.rawValue = value }

    /// Parses the printed form: exactly eight hex digits (either case), by the rule of `Hex.decode`.
    public init?(printed text: String) {
        guard let bytes = Hex.decode(text), bytes.count == 4 else { return nil }
        self.rawValue = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Eight lower-case hex digits (the big-endian bytes of the number).
    public var description: String {
        Hex.encode((0..<4).reversed().map { UInt8(truncatingIfNeeded: rawValue >> (8 * $0)) })
    }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(UInt32.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

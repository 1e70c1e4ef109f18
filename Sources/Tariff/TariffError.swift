/// A tariff, deny list or card state that cannot be used as given.
///
/// Thrown only for inconsistent data (a negative fare, repeated routes, no layout versions).
/// A refused tap is never an error: it is `Decision.deny`. Equality compares the code only.
public struct TariffError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name.
        public let name: String
        /// Creates a code from its stable name.
        public init(_ name: String) { self.name = name }
        /// The stable name.
        public var description: String { name }

        /// A tariff field is out of range or contradicts another.
        public static let invalidTariff = Code("invalid-tariff")
        /// The deny list names a card twice.
        public static let invalidDenyList = Code("invalid-deny-list")
    }

    /// What went wrong.
    public let code: Code
    /// A human explanation naming the field at fault.
    public let reason: String
    /// The source file where the error was raised.
    public let file: String
    /// The source line where the error was raised.
    public let line: UInt

    /// Creates an error; the location is filled in for you.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    /// The code and the reason.
    public var description: String { "\(code): \(reason)" }

    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: TariffError) -> Bool { error.code == pattern }
}

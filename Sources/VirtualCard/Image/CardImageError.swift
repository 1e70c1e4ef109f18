/// A card image file could not be read, parsed or written.
///
/// Equality compares the code only.
public struct CardImageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name.
        public let name: String
        /// A code named `name`.
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The file is not JSON, or not an image of this format.
        public static let malformed = Code("image-malformed")
        /// The image has a format version this program does not know.
        public static let unsupportedVersion = Code("image-unsupported-version")
        /// The image parses but describes a card that cannot exist (wrong lengths, limits…).
        public static let inconsistent = Code("image-inconsistent")
        /// Reading or writing the file failed.
        public static let io = Code("image-io")
    }

    /// The code.
    public let code: Code
    /// A human reason.
    public let reason: String
    /// Where it was raised.
    public let file: String
    /// Where it was raised.
    public let line: UInt

    /// An error with `code` and `reason`.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "\(code): \(reason)" }

    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: CardImageError) -> Bool { error.code == pattern }
}

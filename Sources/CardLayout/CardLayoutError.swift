/// Why a layout could not be loaded, or a record could not be encoded or decoded.
///
/// One error type for the module: a stable `code` to match on, a human `reason`, the JSON
/// pointer of the offending part of the layout (when there is one) and where in our source it
/// was raised. Equality compares the code and the path, so a test can say exactly which rule
/// failed where.
public struct CardLayoutError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name, e.g. `"overlapping-fields"`.
        public let name: String
        /// Creates a code from its stable name.
        public init(_ name: String) { self.name = name }
        /// The stable name.
        public var description: String { name }

        // MARK: The text itself
        /// The layout is not well-formed JSON.
        public static let malformedJSON = Code("malformed-json")
        /// The JSON does not satisfy `card-layout.schema.json`; `rule` names the schema keyword.
        public static let schemaViolation = Code("schema-violation")

        // MARK: Rules the schema cannot express
        /// The AID is the PICC level (000000), which is not an application.
        public static let badAID = Code("bad-aid")
        /// Two keys share a number.
        public static let duplicateKeyNumber = Code("duplicate-key-number")
        /// Two keys share a role.
        public static let duplicateKeyRole = Code("duplicate-key-role")
        /// A role (application master, read, validate, issue) has no key.
        public static let missingKeyRole = Code("missing-key-role")
        /// The application master key is not key 0, which DESFire requires.
        public static let applicationMasterNotKeyZero = Code("application-master-not-key-zero")
        /// An access right names a key the application does not have.
        public static let badAccessRight = Code("bad-access-right")
        /// Two files share a number.
        public static let duplicateFileNumber = Code("duplicate-file-number")
        /// Two files share a name.
        public static let duplicateFileName = Code("duplicate-file-name")
        /// A file refers to a record format that is not defined.
        public static let unknownFormat = Code("unknown-format")
        /// The records of a file do not fit in it.
        public static let recordLargerThanFile = Code("record-larger-than-file")
        /// A value file's limits are inconsistent.
        public static let badValueLimits = Code("bad-value-limits")
        /// A field's width is not allowed for its type.
        public static let badFieldWidth = Code("bad-field-width")
        /// A field reaches past the end of its record.
        public static let fieldOutsideRecord = Code("field-outside-record")
        /// Two fields share bytes.
        public static let overlappingFields = Code("overlapping-fields")
        /// Two fields of a record share a name.
        public static let duplicateFieldName = Code("duplicate-field-name")
        /// An enum code or flag bit does not fit the field's width, or is repeated.
        public static let badCodeTable = Code("bad-code-table")
        /// The application does not fit the card's memory.
        public static let tooBigForCard = Code("too-big-for-card")

        // MARK: Records
        /// The bytes given to the decoder are not exactly one record long.
        public static let wrongRecordLength = Code("wrong-record-length")
        /// A record to encode lacks a field, has an extra one, or a value of the wrong kind.
        public static let recordMismatch = Code("record-mismatch")
        /// A value does not fit its field.
        public static let valueOutOfRange = Code("value-out-of-range")
        /// A stored enum code has no name in the layout.
        public static let unknownEnumCode = Code("unknown-enum-code")
        /// Stored flags have bits set that the layout does not name.
        public static let undefinedFlagBits = Code("undefined-flag-bits")
        /// A file named by the caller is not in the layout, or has no records.
        public static let unknownFile = Code("unknown-file")
    }

    /// What went wrong.
    public let code: Code
    /// A human explanation naming the offending values.
    public let reason: String
    /// JSON pointer into the layout document (`/files/2/size`), or `""` when not about one spot.
    public let path: String
    /// For schema violations, the schema keyword that failed (`enum`, `required`, …).
    public let rule: String?
    /// Source file that raised the error.
    public let file: String
    /// Source line that raised the error.
    public let line: UInt

    /// Creates an error.
    public init(
        _ code: Code, _ reason: String, path: String = "", rule: String? = nil,
        file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.reason = reason
        self.path = path
        self.rule = rule
        self.file = file
        self.line = line
    }

    /// Equal when the code, the path and the schema rule agree.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.path == rhs.path && lhs.rule == rhs.rule
    }
    /// Hashes what equality compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(path)
        hasher.combine(rule)
    }
    /// `code at path: reason`.
    public var description: String {
        let where_ = path.isEmpty ? "" : " at \(path)"
        let rulePart = rule.map { " (schema rule \($0))" } ?? ""
        return "\(code)\(where_)\(rulePart): \(reason)"
    }

    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: CardLayoutError) -> Bool { error.code == pattern }
}

// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// Why a layout could not be loaded, or a record could not be encoded or decoded.
///
/// One error type for the module: a stable `code` to match on, a human `reason`, the JSON
/// pointer of the offending part of the layout (when there is one) and where in our source it
/// was raised. Equality compares the code and the path, so a test can say exactly which rule
/// failed where.
public struct CardLayoutError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<CardLayoutError>

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
}

extension ErrorCode where Domain == CardLayoutError {
    // MARK: The text itself
    /// The layout is not well-formed JSON.
    public static var malformedJSON: Self { Self("malformed-json") }
    /// The JSON does not satisfy `card-layout.schema.json`; `rule` names the schema keyword.
    public static var schemaViolation: Self { Self("schema-violation") }

    // MARK: Rules the schema cannot express
    /// The AID is the PICC level (000000), which is not an application.
    public static var badAID: Self { Self("bad-aid") }
    /// Two keys share a number.
    public static var duplicateKeyNumber: Self { Self("duplicate-key-number") }
    /// Two keys share a role.
    public static var duplicateKeyRole: Self { Self("duplicate-key-role") }
    /// A role (application master, read, validate, issue) has no key.
    public static var missingKeyRole: Self { Self("missing-key-role") }
    /// The application master key is not key 0, which DESFire requires.
    public static var applicationMasterNotKeyZero: Self { Self("application-master-not-key-zero") }
    /// An access right names a key the application does not have.
    public static var badAccessRight: Self { Self("bad-access-right") }
    /// Two files share a number.
    public static var duplicateFileNumber: Self { Self("duplicate-file-number") }
    /// Two files share a name.
    public static var duplicateFileName: Self { Self("duplicate-file-name") }
    /// A file refers to a record format that is not defined.
    public static var unknownFormat: Self { Self("unknown-format") }
    /// The records of a file do not fit in it.
    public static var recordLargerThanFile: Self { Self("record-larger-than-file") }
    /// A value file's limits are inconsistent.
    public static var badValueLimits: Self { Self("bad-value-limits") }
    /// A field's width is not allowed for its type.
    public static var badFieldWidth: Self { Self("bad-field-width") }
    /// A field reaches past the end of its record.
    public static var fieldOutsideRecord: Self { Self("field-outside-record") }
    /// Two fields share bytes.
    public static var overlappingFields: Self { Self("overlapping-fields") }
    /// Two fields of a record share a name.
    public static var duplicateFieldName: Self { Self("duplicate-field-name") }
    /// An enum code or flag bit does not fit the field's width, or is repeated.
    public static var badCodeTable: Self { Self("bad-code-table") }
    /// The application does not fit the card's memory.
    public static var tooBigForCard: Self { Self("too-big-for-card") }

    // MARK: Records
    /// The bytes given to the decoder are not exactly one record long.
    public static var wrongRecordLength: Self { Self("wrong-record-length") }
    /// A record to encode lacks a field, has an extra one, or a value of the wrong kind.
    public static var recordMismatch: Self { Self("record-mismatch") }
    /// A value does not fit its field.
    public static var valueOutOfRange: Self { Self("value-out-of-range") }
    /// A stored enum code has no name in the layout.
    public static var unknownEnumCode: Self { Self("unknown-enum-code") }
    /// Stored flags have bits set that the layout does not name.
    public static var undefinedFlagBits: Self { Self("undefined-flag-bits") }
    /// A file named by the caller is not in the layout, or has no records.
    public static var unknownFile: Self { Self("unknown-file") }
}

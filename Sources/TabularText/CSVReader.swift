/// One record of a CSV file: its fields and the line it starts on.
public struct CSVRecord: Hashable, Sendable {
    /// The line the record starts on, 1-based, counting every line break of the file (also
    /// those inside quoted fields).
    public var line: Int
    /// The fields, unquoted, with `""` inside quotes read as one quote.
    public var fields: [String]
    /// Whether any field of the record was in quotes: a record of only blanks is empty, one of
    /// quoted blanks is data.
    public var hasQuotedField: Bool

    /// Creates a record.
    public init(line: Int, fields: [String], hasQuotedField: Bool = false) {
        self.line = line
        self.fields = fields
        self.hasQuotedField = hasQuotedField
    }
}

/// Why the text is not CSV: the kind and the line where it happened.
public struct CSVSyntaxError: Error, Hashable, Sendable {
    /// What is wrong.
    public enum Kind: Hashable, Sendable {
        /// A quoted field runs to the end of the file (or, where quoted line breaks are not
        /// allowed, to the end of its line).
        case unclosedQuote
        /// A quote in the middle of an unquoted field, or after a quoted one, where the dialect
        /// refuses it.
        case quoteInsideField
    }

    /// What is wrong.
    public var kind: Kind
    /// The line of the record it happened in.
    public var line: Int

    /// Creates an error.
    public init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }
}

/// What a reader accepts beyond RFC 4180: the separator, and what a quote that does not open a
/// field means.
public struct CSVDialect: Hashable, Sendable {
    /// A quote that does not stand at the start of a field (blanks before it aside).
    public enum StrayQuote: Hashable, Sendable {
        /// It is part of the field's text (`5" wide`).
        case literal
        /// The file is refused (`CSVSyntaxError.Kind.quoteInsideField`).
        case refused
        /// It starts quoting there, as a spreadsheet's lenient reading does (`ab"c;d"` is `abc;d`).
        case opensQuote
    }

    /// The field separator, `;` or `,` (or a tab).
    public var separator: Unicode.Scalar
    /// What a stray quote means.
    public var strayQuote: StrayQuote
    /// Whether a quoted field may hold line breaks; when not, a quote still open at the end of a
    /// line is `unclosedQuote` on that line.
    public var lineBreaksInQuotes: Bool

    /// Creates a dialect; the defaults are RFC 4180's.
    public init(separator: Unicode.Scalar, strayQuote: StrayQuote = .literal, lineBreaksInQuotes: Bool = true) {
        self.separator = separator
        self.strayQuote = strayQuote
        self.lineBreaksInQuotes = lineBreaksInQuotes
    }
}

/// Reads CSV text record by record (RFC 4180): fields between separators, a field in double
/// quotes may hold the separator, line breaks and `""` for a quote; records end at LF, CRLF or a
/// lone CR (what Excel on old Macs wrote); blanks before an opening quote are dropped.
///
/// Every record carries its line, so a caller can name the line of each problem it finds; the
/// reader itself stops at the first syntax error, having returned the records before it.
public struct CSVReader: Sendable {
    // Unicode scalars, not characters: a combining mark after a separator or a quote would
    // otherwise fuse with it into one character and hide it.
    private let scalars: String.UnicodeScalarView
    private var index: String.UnicodeScalarView.Index
    private var line = 1
    private let dialect: CSVDialect

    /// A reader over `text` (already decoded, without a byte order mark: `CSVText.decode`).
    public init(_ text: String, dialect: CSVDialect) {
        self.scalars = text.unicodeScalars
        self.index = scalars.startIndex
        self.dialect = dialect
    }

    /// All the records of `text`.
    public static func records(_ text: String, dialect: CSVDialect) throws(CSVSyntaxError) -> [CSVRecord] {
        var reader = CSVReader(text, dialect: dialect)
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    /// The next record, or nil at the end of the text. A line break at the very end makes no
    /// empty record; an empty line elsewhere is a record of one empty field.
    public mutating func next() throws(CSVSyntaxError) -> CSVRecord? {
        guard index < scalars.endIndex else { return nil }
        let start = line
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false
        var fieldWasQuoted = false
        var anyQuoted = false
        while let scalar = take() {
            if quoted {
                if scalar == "\"" {
                    if peek() == "\"" {
                        field.append("\"")
                        _ = take()
                    } else {
                        quoted = false
                    }
                    continue
                }
                field.append(scalar)
                if scalar == "\r" || scalar == "\n" {
                    guard dialect.lineBreaksInQuotes else { throw CSVSyntaxError(.unclosedQuote, line: line) }
                    if scalar == "\r", peek() == "\n" { field.append(take()!) }
                    line += 1
                }
                continue
            }
            if scalar == "\"" {
                if !fieldWasQuoted, field.allSatisfy(CSVText.isBlank) {
                    field = String.UnicodeScalarView()
                } else {
                    switch dialect.strayQuote {
                    case .literal:
                        field.append(scalar)
                        continue
                    case .refused: throw CSVSyntaxError(.quoteInsideField, line: line)
                    case .opensQuote: break
                    }
                }
                quoted = true
                fieldWasQuoted = true
                anyQuoted = true
            } else if scalar == dialect.separator {
                fields.append(String(field))
                field = String.UnicodeScalarView()
                fieldWasQuoted = false
            } else if scalar == "\r" || scalar == "\n" {
                if scalar == "\r", peek() == "\n" { _ = take() }
                line += 1
                fields.append(String(field))
                return CSVRecord(line: start, fields: fields, hasQuotedField: anyQuoted)
            } else {
                field.append(scalar)
            }
        }
        if quoted { throw CSVSyntaxError(.unclosedQuote, line: start) }
        fields.append(String(field))
        return CSVRecord(line: start, fields: fields, hasQuotedField: anyQuoted)
    }

    private mutating func take() -> Unicode.Scalar? {
        guard index < scalars.endIndex else { return nil }
        defer { scalars.formIndex(after: &index) }
        return scalars[index]
    }

    private func peek() -> Unicode.Scalar? {
        index < scalars.endIndex ? scalars[index] : nil
    }
}

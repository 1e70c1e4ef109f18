/// Writes CSV the way Excel with a Ukrainian locale opens it by a double click: UTF-8 with a
/// byte order mark, `;` between fields, CRLF after every record, a field quoted (RFC 4180, inner
/// quotes doubled) when it holds the separator, a quote, CR or LF, or starts or ends with a
/// space (which Excel would trim).
///
/// It writes text as given: turning numbers into decimal-comma text and guarding against
/// formulas is for the caller, which knows what a cell means.
public struct CSVWriter: Sendable {
    /// The separator between fields.
    public let separator: Unicode.Scalar
    private var text = ""

    /// A writer; `;` is Excel's separator where the decimal separator is `,`.
    public init(separator: Unicode.Scalar = ";") {
        self.separator = separator
    }

    /// One field as it stands in the file: quoted when it must be.
    public func field(_ value: String) -> String {
        let needsQuotes =
            value.unicodeScalars.contains { $0 == separator || $0 == "\"" || $0 == "\r" || $0 == "\n" }
            || value.unicodeScalars.first == " " || value.unicodeScalars.last == " "
        guard needsQuotes else { return value }
        var quoted = "\""
        quoted.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            if scalar == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(scalar) }
        }
        quoted += "\""
        return quoted
    }

    /// Appends a record of fields given as plain text.
    public mutating func append(record fields: [String]) {
        append(encodedRecord: fields.map(field))
    }

    /// Appends a record of fields already as they stand in the file (from `field(_:)`).
    public mutating func append(encodedRecord fields: [String]) {
        text += fields.joined(separator: String(Character(separator)))
        text += "\r\n"
    }

    /// The file: the byte order mark and the records.
    public var bytes: [UInt8] {
        CSVText.byteOrderMark + Array(text.utf8)
    }
}

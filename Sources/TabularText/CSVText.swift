/// The bytes and characters around CSV records: the byte order mark, UTF-8, the separator a
/// header uses.
public enum CSVText {
    /// The UTF-8 byte order mark Excel writes (and `CSVWriter` writes for it).
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The file's text is not UTF-8.
    public struct NotUTF8: Error, Hashable, Sendable {
        /// The first line (1-based, counting LF) that holds a byte that is not UTF-8.
        public var line: Int

        /// Creates the error.
        public init(line: Int) { self.line = line }
    }

    /// The text of a file: one leading byte order mark dropped, the rest strictly UTF-8.
    public static func decode(_ bytes: [UInt8]) throws(NotUTF8) -> String {
        var body = bytes[...]
        if body.starts(with: byteOrderMark) { body = body.dropFirst(byteOrderMark.count) }
        if let text = String(validating: body, as: UTF8.self) { return text }
        // LF is never part of a longer UTF-8 sequence, so lines can be checked one by one.
        for (index, line) in body.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated()
        where String(validating: line, as: UTF8.self) == nil {
            throw NotUTF8(line: index + 1)
        }
        throw NotUTF8(line: 1)
    }

    /// The separator a header or first line uses: `;` where it has one (Excel with a decimal
    /// comma, as in Ukraine), `,` otherwise.
    public static func separator(of firstLine: some StringProtocol) -> Unicode.Scalar {
        firstLine.unicodeScalars.contains(";") ? ";" : ","
    }

    /// The text up to its first line break.
    public static func firstLine(of text: String) -> Substring {
        let scalars = text.unicodeScalars
        let end = scalars.firstIndex { $0 == "\r" || $0 == "\n" } ?? scalars.endIndex
        return Substring(scalars[..<end])
    }

    /// What may stand before an opening quote: space, tab, no-break space.
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\u{00A0}"
    }
}

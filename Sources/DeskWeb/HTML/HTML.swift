import HTMLText

/// A piece of HTML that is safe to send: markup written in the source as string literals, with
/// every interpolated `String` escaped on the way in.
///
/// Why a type rather than templates: an escaping mistake is a stored script in a clerk's browser
/// (names and addresses are typed by people at the counter, imports come from other systems).
/// Here there is no way to put text into a page unescaped: `"<td>\(name)</td>" as HTML` escapes
/// `name`; only `HTML` values (themselves built the same way) pass through as they are, and
/// only strings, integers and `HTML` can be interpolated at all.
public struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The markup.
    public private(set) var rendered: String

    /// Markup written in the program's source.
    public init(stringLiteral value: String) { rendered = value }

    /// Markup with interpolated values escaped.
    public init(stringInterpolation: StringInterpolation) { rendered = stringInterpolation.output }

    /// Nothing.
    public static let empty: HTML = ""

    /// The markup.
    public var description: String { rendered }

    /// Joins pieces of HTML.
    public static func joined(_ pieces: [HTML], separator: HTML = "") -> HTML {
        var result = HTML.empty
        for (index, piece) in pieces.enumerated() {
            if index > 0 { result.rendered += separator.rendered }
            result.rendered += piece.rendered
        }
        return result
    }

    /// `text` safe in element content and in quoted attribute values: the one escaper the
    /// reports use too (`HTMLText`; control characters other than tab, LF and CR become U+FFFD).
    public static func escape(_ text: String) -> String { HTMLText.escape(text) }

    /// Interpolation: strings and numbers escaped, `HTML` kept.
    public struct StringInterpolation: StringInterpolationProtocol {
        var output = ""

        /// Reserves room.
        public init(literalCapacity: Int, interpolationCount: Int) { output.reserveCapacity(literalCapacity + interpolationCount * 16) }
        /// Markup from the source.
        public mutating func appendLiteral(_ literal: String) { output += literal }
        /// Text, escaped.
        public mutating func appendInterpolation(_ text: String) { output += HTML.escape(text) }
        /// Text or nothing, escaped.
        public mutating func appendInterpolation(_ text: String?) { output += HTML.escape(text ?? "") }
        /// A number.
        public mutating func appendInterpolation<Number: BinaryInteger>(_ number: Number) { output += String(number) }
        /// Markup built safely elsewhere.
        public mutating func appendInterpolation(_ html: HTML) { output += html.rendered }
        /// Several pieces of markup.
        public mutating func appendInterpolation(_ pieces: [HTML]) { for piece in pieces { output += piece.rendered } }
    }
}

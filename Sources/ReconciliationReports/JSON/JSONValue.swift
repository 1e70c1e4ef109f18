/// A JSON value with integers only, written the same way every time.
///
/// Reports have no fractions: money is kopecks and shares are basis points, so there is no
/// float whose printing could differ between platforms. Object keys are sorted by Unicode code
/// point and strings are escaped exactly as Python's `json.dumps(…, ensure_ascii=False,
/// sort_keys=True)` escapes them, so an auditor's few lines of Python recompute our bytes
/// (docs/reconciliation-reports.md).
public indirect enum JSONValue: Hashable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A whole number.
    case integer(Int64)
    /// A string.
    case string(String)
    /// An array, in its order.
    case array([JSONValue])
    /// An object; its keys are written sorted. (Keys are Swift strings, so two keys that are
    /// canonically equivalent Unicode, `é` and `e` + U+0301, are one key here; report keys are
    /// ASCII names.)
    case object([String: JSONValue])

    /// Compact canonical bytes: no spaces, sorted keys. What the manifest signs.
    public var canonicalBytes: [UInt8] {
        var text = ""
        write(to: &text, indent: nil, depth: 0)
        return Array(text.utf8)
    }

    /// Indented bytes for files people also read: two spaces per level, sorted keys, a final
    /// newline. The same as Python's `json.dumps(value, indent=2, ensure_ascii=False,
    /// sort_keys=True) + "\n"`.
    public var prettyBytes: [UInt8] {
        var text = ""
        write(to: &text, indent: 2, depth: 0)
        text += "\n"
        return Array(text.utf8)
    }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The integer, if this is one.
    public var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    private func write(to text: inout String, indent: Int?, depth: Int) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .integer(let value): text += "\(value)"
        case .string(let value): Self.writeString(value, to: &text)
        case .array(let elements):
            guard !elements.isEmpty else {
                text += "[]"
                return
            }
            text += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { text += "," }
                Self.newline(&text, indent: indent, depth: depth + 1)
                element.write(to: &text, indent: indent, depth: depth + 1)
            }
            Self.newline(&text, indent: indent, depth: depth)
            text += "]"
        case .object(let members):
            guard !members.isEmpty else {
                text += "{}"
                return
            }
            text += "{"
            for (index, key) in members.keys.sorted(by: Self.codePointOrder).enumerated() {
                if index > 0 { text += "," }
                Self.newline(&text, indent: indent, depth: depth + 1)
                Self.writeString(key, to: &text)
                text += indent == nil ? ":" : ": "
                members[key]!.write(to: &text, indent: indent, depth: depth + 1)
            }
            Self.newline(&text, indent: indent, depth: depth)
            text += "}"
        }
    }

    private static func newline(_ text: inout String, indent: Int?, depth: Int) {
        guard let indent else { return }
        text += "\n" + String(repeating: " ", count: indent * depth)
    }

    /// Orders keys by Unicode code point, as Python's `sort_keys` does (Swift's `<` on
    /// `String` compares canonical equivalents equal, which a byte format must not).
    static func codePointOrder(_ lhs: String, _ rhs: String) -> Bool {
        lhs.unicodeScalars.lexicographicallyPrecedes(rhs.unicodeScalars) { $0.value < $1.value }
    }

    private static func writeString(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}

extension JSONValue {
    /// Reads JSON text. Numbers must be whole and fit `Int64`: a manifest has no others.
    public init(parsing bytes: [UInt8]) throws {
        var parser = JSONParser(bytes: bytes)
        self = try parser.document()
    }
}

/// A small strict JSON reader (RFC 8259), for manifests handed back to be verified.
struct JSONParser {
    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(bytes: [UInt8]) {
        // A byte order mark is tolerated: some editors add one.
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func document() throws -> JSONValue {
        let value = try self.value()
        skipWhitespace()
        guard index == bytes.count else { throw failure("text after the JSON value") }
        return value
    }

    func failure(_ why: String) -> ReportError { ReportError(.malformedJSON, "\(why) at byte \(index)") }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func value() throws -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw failure("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            guard depth < 64 else { throw failure("nesting too deep") }
            index += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                let key = try string()
                skipWhitespace()
                try expect(":")
                guard members.updateValue(try value(), forKey: key) == nil else { throw failure("key \(key) twice") }
                skipWhitespace()
                if try separatorOrEnd("}") { return .object(members) }
            }
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            guard depth < 64 else { throw failure("nesting too deep") }
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                elements.append(try value())
                skipWhitespace()
                if try separatorOrEnd("]") { return .array(elements) }
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .integer(try integer())
        }
    }

    mutating func separatorOrEnd(_ end: Unicode.Scalar) throws -> Bool {
        guard index < bytes.count else { throw failure("unexpected end") }
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            return false
        }
        try expect(end)
        return true
    }

    mutating func expect(_ scalar: Unicode.Scalar) throws {
        guard index < bytes.count, bytes[index] == UInt8(ascii: scalar) else { throw failure("expected \(scalar)") }
        index += 1
    }

    mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        guard bytes[index...].starts(with: expected) else { throw failure("expected \(word)") }
        index += expected.count
    }

    mutating func integer() throws -> Int64 {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        guard index > digitsStart else { throw failure("expected a value") }
        guard !(bytes[digitsStart] == UInt8(ascii: "0") && index - digitsStart > 1) else { throw failure("leading zero") }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            throw failure("only whole numbers are expected")
        }
        guard let value = Int64(String(decoding: bytes[start..<index], as: UTF8.self)) else { throw failure("number out of range") }
        return value
    }

    mutating func string() throws -> String {
        try expect("\"")
        var scalars = String.UnicodeScalarView()
        var run = index
        func flush(_ end: Int) throws {
            guard let text = String(validating: bytes[run..<end], as: UTF8.self) else { throw failure("invalid UTF-8") }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard index < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                try flush(index)
                index += 1
                return String(scalars)
            }
            guard byte >= 0x20 else { throw failure("control character in a string") }
            guard byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            try flush(index)
            index += 1
            guard index < bytes.count else { throw failure("unterminated string") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try hexQuad()
                if (0xD800..<0xDC00).contains(code) {
                    guard bytes[index...].starts(with: Array("\\u".utf8)) else { throw failure("lone surrogate") }
                    index += 2
                    let low = try hexQuad()
                    guard (0xDC00..<0xE000).contains(low) else { throw failure("lone surrogate") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw failure("invalid escape") }
                scalars.append(scalar)
            default: throw failure("invalid escape")
            }
            run = index
        }
    }

    mutating func hexQuad() throws -> UInt32 {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw failure("invalid \\u escape")
        }
        index += 4
        return value
    }
}

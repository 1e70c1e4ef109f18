/// A parsed JSON document, kept exact: integers stay integers and object keys keep their order.
///
/// Layouts are small, hand-written files; a parser of our own keeps this module free of
/// Foundation, rejects duplicate keys (which `JSONSerialization` silently merges), and never
/// turns `1` into `true` or `2.0` into `2`.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON Schema type name of this value (`"integer"` for whole numbers).
    public var schemaTypeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Parses JSON text; throws `CardLayoutError.malformedJSON` with the byte offset of the fault.
    public static func parse(_ text: String) throws(CardLayoutError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses UTF-8 JSON bytes; throws `CardLayoutError.malformedJSON` with the byte offset.
    public static func parse(_ bytes: [UInt8]) throws(CardLayoutError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        let value = try parser.parseDocument()
        return value
    }
}

/// A JSON object whose keys keep the order they were written in.
public struct JSONObject: Hashable, Sendable {
    /// The members in document order; keys are unique.
    public private(set) var members: [(key: String, value: JSONValue)]

    /// An empty object.
    public init() { members = [] }

    /// The keys in document order.
    public var keys: [String] { members.map(\.key) }

    /// The value stored under `key`, if any.
    public subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    /// Adds a member; returns false (and changes nothing) when the key is already present.
    @discardableResult
    public mutating func append(_ key: String, _ value: JSONValue) -> Bool {
        if members.contains(where: { $0.key == key }) { return false }
        members.append((key, value))
        return true
    }

    /// Objects are equal when they hold the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        return lhs.members.allSatisfy { rhs[$0.key] == $0.value }
    }

    /// Hashes the members independently of their order.
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for member in members {
            var memberHasher = Hasher()
            memberHasher.combine(member.key)
            memberHasher.combine(member.value)
            combined ^= memberHasher.finalize()
        }
        hasher.combine(combined)
    }
}

/// A recursive-descent JSON parser (RFC 8259) with a depth limit so hostile input cannot
/// exhaust the stack.
struct JSONParser {
    let bytes: [UInt8]
    var index = 0
    var depth = 0
    static let maximumDepth = 64

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws(CardLayoutError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw fault("unexpected text after the document") }
        return value
    }

    func fault(_ what: String) -> CardLayoutError {
        CardLayoutError(.malformedJSON, "\(what) at byte \(index)")
    }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func expect(_ literal: String) throws(CardLayoutError) {
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw fault("expected \(literal)") }
            index += 1
        }
    }

    mutating func parseValue() throws(CardLayoutError) -> JSONValue {
        guard index < bytes.count else { throw fault("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fault("unexpected character")
        }
    }

    mutating func enter() throws(CardLayoutError) {
        depth += 1
        if depth > Self.maximumDepth { throw fault("nesting deeper than \(Self.maximumDepth)") }
    }

    mutating func parseObject() throws(CardLayoutError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var object = JSONObject()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fault("expected a key") }
            let keyStart = index
            let key = try parseString()
            skipWhitespace()
            try expect(":")
            skipWhitespace()
            let value = try parseValue()
            guard object.append(key, value) else {
                index = keyStart
                throw fault("duplicate key \"\(key)\"")
            }
            skipWhitespace()
            guard index < bytes.count else { throw fault("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
            throw fault("expected , or }")
        }
    }

    mutating func parseArray() throws(CardLayoutError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fault("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw fault("expected , or ]")
        }
    }

    mutating func parseHex4() throws(CardLayoutError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw fault("truncated \\u escape") }
            let byte = bytes[index]
            let nibble: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fault("bad \\u escape")
            }
            value = value << 4 | nibble
            index += 1
        }
        return value
    }

    mutating func parseString() throws(CardLayoutError) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fault("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                break
            }
            if byte < 0x20 { throw fault("control character in string") }
            if byte == UInt8(ascii: "\\") {
                if !raw.isEmpty {
                    guard let text = String(validating: raw, as: UTF8.self) else { throw fault("invalid UTF-8") }
                    scalars.append(contentsOf: text.unicodeScalars)
                    raw.removeAll()
                }
                index += 1
                guard index < bytes.count else { throw fault("unterminated escape") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800...0xDBFF).contains(code) {
                        try expect("\\u")
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fault("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fault("unpaired surrogate") }
                    scalars.append(scalar)
                default: throw fault("unknown escape")
                }
                continue
            }
            raw.append(byte)
            index += 1
        }
        if !raw.isEmpty {
            guard let text = String(validating: raw, as: UTF8.self) else { throw fault("invalid UTF-8") }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        return String(scalars)
    }

    mutating func parseNumber() throws(CardLayoutError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits(_ parser: inout JSONParser) -> Int {
            var count = 0
            while parser.index < parser.bytes.count,
                  (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index]) {
                parser.index += 1
                count += 1
            }
            return count
        }
        let intStart = index
        let intDigits = digits(&self)
        guard intDigits > 0 else { throw fault("expected digits") }
        if intDigits > 1, bytes[intStart] == UInt8(ascii: "0") { throw fault("leading zero") }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            isInteger = false
            guard digits(&self) > 0 else { throw fault("expected fraction digits") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            isInteger = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw fault("expected exponent digits") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger {
            guard let value = Int64(text) else { throw fault("integer out of range") }
            return .integer(value)
        }
        guard let value = Double(text), value.isFinite else { throw fault("number out of range") }
        return .number(value)
    }
}

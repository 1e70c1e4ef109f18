/// Why bytes are not JSON: what was wrong and the byte offset where it was found.
public struct JSONSyntaxError: Error, Hashable, Sendable {
    /// What is wrong (`duplicate key "version"`, `unterminated string`, …).
    public var reason: String
    /// The offset in the bytes where the fault was found.
    public var offset: Int

    /// Creates an error.
    public init(reason: String, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// `reason at byte offset`, as the modules' errors quote it.
    public var description: String { "\(reason) at byte \(offset)" }
}

extension JSONValue {
    /// Parses UTF-8 JSON (RFC 8259) strictly: duplicate keys, trailing commas, leading zeros,
    /// control characters in strings, lone surrogates and nesting deeper than 64 are refused.
    ///
    /// - Parameters:
    ///   - allowsFractions: whether numbers with a fraction or an exponent are read (as
    ///     `.number`); documents of money and counts refuse them.
    ///   - skipsByteOrderMark: whether a leading UTF-8 byte order mark (some editors add one) is
    ///     passed over.
    public init(json bytes: [UInt8], allowsFractions: Bool = true, skipsByteOrderMark: Bool = false) throws(JSONSyntaxError) {
        var parser = JSONParser(bytes: bytes, allowsFractions: allowsFractions, skipsByteOrderMark: skipsByteOrderMark)
        self = try parser.parseDocument()
    }
}

/// A recursive-descent JSON parser (RFC 8259) with a depth limit so hostile input cannot
/// exhaust the stack.
struct JSONParser {
    let bytes: [UInt8]
    let allowsFractions: Bool
    var index = 0
    var depth = 0
    static let maximumDepth = 64

    init(bytes: [UInt8], allowsFractions: Bool, skipsByteOrderMark: Bool) {
        self.bytes = bytes
        self.allowsFractions = allowsFractions
        if skipsByteOrderMark, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw fault("unexpected text after the document") }
        return value
    }

    func fault(_ what: String) -> JSONSyntaxError {
        JSONSyntaxError(reason: what, offset: index)
    }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func expect(_ literal: String) throws(JSONSyntaxError) {
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw fault("expected \(literal)") }
            index += 1
        }
    }

    mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
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

    mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw fault("nesting deeper than \(Self.maximumDepth)") }
    }

    mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
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

    mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
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

    mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
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

    mutating func parseString() throws(JSONSyntaxError) -> String {
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

    mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
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
        guard isInteger || allowsFractions else {
            index = start
            throw fault("only whole numbers are expected")
        }
        if isInteger {
            guard let value = Int64(text) else { throw fault("integer out of range") }
            return .integer(value)
        }
        guard let value = Double(text), value.isFinite else { throw fault("number out of range") }
        return .number(value)
    }
}

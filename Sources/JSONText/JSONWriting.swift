extension JSONValue {
    /// Compact canonical bytes: no spaces, keys sorted by code point, strings escaped as Python's
    /// `json.dumps(…, ensure_ascii=False, separators=(",", ":"), sort_keys=True)` escapes them,
    /// so an auditor's few lines of Python recompute the bytes a signature covers.
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

    /// Orders keys by Unicode code point, as Python's `sort_keys` does (Swift's `<` on
    /// `String` compares canonical equivalents equal, which a byte format must not).
    public static func codePointOrder(_ lhs: String, _ rhs: String) -> Bool {
        lhs.unicodeScalars.lexicographicallyPrecedes(rhs.unicodeScalars) { $0.value < $1.value }
    }

    private func write(to text: inout String, indent: Int?, depth: Int) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .integer(let value): text += "\(value)"
        // Swift's shortest round-trip form; the documents that are signed hold no fractions.
        case .number(let value): text += "\(value)"
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
        case .object(let object):
            guard !object.isEmpty else {
                text += "{}"
                return
            }
            text += "{"
            for (index, member) in object.members.sorted(by: { Self.codePointOrder($0.key, $1.key) }).enumerated() {
                if index > 0 { text += "," }
                Self.newline(&text, indent: indent, depth: depth + 1)
                Self.writeString(member.key, to: &text)
                text += indent == nil ? ":" : ": "
                member.value.write(to: &text, indent: indent, depth: depth + 1)
            }
            Self.newline(&text, indent: indent, depth: depth)
            text += "}"
        }
    }

    private static func newline(_ text: inout String, indent: Int?, depth: Int) {
        guard let indent else { return }
        text += "\n" + String(repeating: " ", count: indent * depth)
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

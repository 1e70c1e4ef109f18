/// A validator for the subset of JSON Schema (draft 2020-12) that `card-layout.schema.json` uses.
///
/// We validate layouts against the schema itself, not a hand-copied imitation of it, so the two
/// cannot drift apart. The validator refuses any keyword it does not implement: a schema that
/// used one would otherwise be silently ignored there.
public struct JSONSchemaValidator: Sendable {
    /// One place where a document fails the schema.
    public struct Violation: Hashable, Sendable, CustomStringConvertible {
        /// JSON pointer into the document.
        public let path: String
        /// The keyword that failed (`required`, `enum`, `additionalProperties`, …).
        public let rule: String
        /// JSON pointer into the schema, to the failing keyword.
        public let schemaPath: String
        /// What the keyword wanted.
        public let message: String
        /// `path: message (rule at schemaPath)`.
        public var description: String { "\(path.isEmpty ? "/" : path): \(message) (\(rule) at \(schemaPath))" }
    }

    /// The keywords this validator implements.
    public static let supportedKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "propertyNames", "items",
        "minItems", "maxItems", "enum", "const", "minimum", "maximum", "minLength", "maxLength",
        "pattern", "$ref", "oneOf", "allOf", "if", "then", "else",
    ]
    /// Keywords that only annotate and are ignored when validating.
    public static let annotationKeywords: Set<String> = [
        "$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default",
    ]

    /// The root schema.
    public let schema: JSONValue

    /// Creates a validator; throws `schemaViolation` if the schema uses an unsupported keyword.
    public init(schema: JSONValue) throws(CardLayoutError) {
        self.schema = schema
        try Self.checkKeywords(schema, at: "#")
    }

    private static func checkKeywords(_ node: JSONValue, at path: String) throws(CardLayoutError) {
        guard case .object(let object) = node else { return }
        for (key, value) in object.members {
            let childPath = "\(path)/\(key)"
            guard supportedKeywords.contains(key) || annotationKeywords.contains(key) else {
                throw CardLayoutError(.schemaViolation, "the schema uses \(key), which this validator does not implement",
                                      path: childPath, rule: "unsupported-keyword")
            }
            switch key {
            case "properties", "$defs":
                if case .object(let members) = value {
                    for (name, sub) in members.members { try checkKeywords(sub, at: "\(childPath)/\(name)") }
                }
            case "additionalProperties", "propertyNames", "items", "if", "then", "else":
                try checkKeywords(value, at: childPath)
            case "oneOf", "allOf":
                if case .array(let items) = value {
                    for (index, sub) in items.enumerated() { try checkKeywords(sub, at: "\(childPath)/\(index)") }
                }
            default: break
            }
        }
    }

    /// Every violation in `document`, in document order of discovery.
    public func violations(of document: JSONValue) -> [Violation] {
        var found: [Violation] = []
        validate(document, against: schema, path: "", schemaPath: "#", into: &found)
        return found
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node = schema
        for token in reference.dropFirst(2).split(separator: "/") {
            let name = String(token).replacingOccurrences("~1", "/").replacingOccurrences("~0", "~")
            guard case .object(let object) = node, let next = object[name] else { return nil }
            node = next
        }
        return node
    }

    private func validate(
        _ value: JSONValue, against schemaNode: JSONValue, path: String, schemaPath: String,
        into found: inout [Violation]
    ) {
        if case .bool(let allowed) = schemaNode {
            if !allowed {
                found.append(Violation(path: path, rule: "false", schemaPath: schemaPath, message: "is not allowed here"))
            }
            return
        }
        guard case .object(let rules) = schemaNode else { return }
        func fail(_ rule: String, _ message: String, at instancePath: String? = nil) {
            found.append(Violation(path: instancePath ?? path, rule: rule, schemaPath: "\(schemaPath)/\(rule)", message: message))
        }

        if case .string(let reference)? = rules["$ref"] {
            if let target = resolve(reference) {
                validate(value, against: target, path: path, schemaPath: reference, into: &found)
            } else {
                fail("$ref", "unresolvable reference \(reference)")
            }
        }
        if let typeRule = rules["type"] {
            let allowed: [String]
            switch typeRule {
            case .string(let name): allowed = [name]
            case .array(let names): allowed = names.compactMap { if case .string(let n) = $0 { n } else { nil } }
            default: allowed = []
            }
            let actual = value.schemaTypeName
            let matches = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
            if !matches {
                fail("type", "must be of type \(allowed.joined(separator: " or ")), found \(actual)")
                return
            }
        }
        if case .array(let options)? = rules["enum"], !options.contains(value) {
            fail("enum", "must be one of \(options.map(Self.render).joined(separator: ", ")), found \(Self.render(value))")
        }
        if let constant = rules["const"], constant != value {
            fail("const", "must be \(Self.render(constant)), found \(Self.render(value))")
        }
        validateNumber(value, rules, fail)
        validateString(value, rules, fail)

        if case .array(let items) = value {
            if case .integer(let minimum)? = rules["minItems"], items.count < minimum {
                fail("minItems", "must have at least \(minimum) items, has \(items.count)")
            }
            if case .integer(let maximum)? = rules["maxItems"], items.count > maximum {
                fail("maxItems", "must have at most \(maximum) items, has \(items.count)")
            }
            if let itemSchema = rules["items"] {
                for (index, item) in items.enumerated() {
                    validate(item, against: itemSchema, path: "\(path)/\(index)", schemaPath: "\(schemaPath)/items", into: &found)
                }
            }
        }

        if case .object(let object) = value {
            if case .array(let required)? = rules["required"] {
                for case .string(let name) in required where object[name] == nil {
                    fail("required", "lacks the required property \(name)")
                }
            }
            var declared: [String: JSONValue] = [:]
            if case .object(let properties)? = rules["properties"] {
                for (name, sub) in properties.members { declared[name] = sub }
            }
            for (name, member) in object.members {
                let memberPath = "\(path)/\(Self.escape(name))"
                if let propertyNames = rules["propertyNames"] {
                    validate(.string(name), against: propertyNames, path: memberPath,
                             schemaPath: "\(schemaPath)/propertyNames", into: &found)
                }
                if let sub = declared[name] {
                    validate(member, against: sub, path: memberPath,
                             schemaPath: "\(schemaPath)/properties/\(Self.escape(name))", into: &found)
                } else if let additional = rules["additionalProperties"] {
                    if case .bool(false) = additional {
                        fail("additionalProperties", "has the property \(name), which the schema does not allow", at: memberPath)
                    } else {
                        validate(member, against: additional, path: memberPath,
                                 schemaPath: "\(schemaPath)/additionalProperties", into: &found)
                    }
                }
            }
        }

        if case .array(let all)? = rules["allOf"] {
            for (index, sub) in all.enumerated() {
                validate(value, against: sub, path: path, schemaPath: "\(schemaPath)/allOf/\(index)", into: &found)
            }
        }
        if case .array(let options)? = rules["oneOf"] {
            var matching = 0
            for (index, sub) in options.enumerated() {
                var scratch: [Violation] = []
                validate(value, against: sub, path: path, schemaPath: "\(schemaPath)/oneOf/\(index)", into: &scratch)
                if scratch.isEmpty { matching += 1 }
            }
            if matching != 1 {
                fail("oneOf", matching == 0 ? "matches none of the allowed forms" : "matches more than one allowed form")
            }
        }
        if let condition = rules["if"] {
            var scratch: [Violation] = []
            validate(value, against: condition, path: path, schemaPath: "\(schemaPath)/if", into: &scratch)
            if scratch.isEmpty, let then = rules["then"] {
                validate(value, against: then, path: path, schemaPath: "\(schemaPath)/then", into: &found)
            } else if !scratch.isEmpty, let otherwise = rules["else"] {
                validate(value, against: otherwise, path: path, schemaPath: "\(schemaPath)/else", into: &found)
            }
        }
    }

    private func validateNumber(_ value: JSONValue, _ rules: JSONObject, _ fail: (String, String, String?) -> Void) {
        let number: Double
        switch value {
        case .integer(let whole): number = Double(whole)
        case .number(let real): number = real
        default: return
        }
        if let minimum = Self.number(rules["minimum"]), number < minimum {
            fail("minimum", "must be at least \(Self.render(rules["minimum"]!)), found \(Self.render(value))", nil)
        }
        if let maximum = Self.number(rules["maximum"]), number > maximum {
            fail("maximum", "must be at most \(Self.render(rules["maximum"]!)), found \(Self.render(value))", nil)
        }
    }

    private func validateString(_ value: JSONValue, _ rules: JSONObject, _ fail: (String, String, String?) -> Void) {
        guard case .string(let text) = value else { return }
        let length = text.unicodeScalars.count
        if case .integer(let minimum)? = rules["minLength"], length < minimum {
            fail("minLength", "must be at least \(minimum) characters long", nil)
        }
        if case .integer(let maximum)? = rules["maxLength"], length > maximum {
            fail("maxLength", "must be at most \(maximum) characters long", nil)
        }
        if case .string(let pattern)? = rules["pattern"] {
            if let regex = try? Regex(pattern) {
                if text.firstMatch(of: regex) == nil {
                    fail("pattern", "must match \(pattern), found \(Self.render(value))", nil)
                }
            } else {
                fail("pattern", "the schema's pattern \(pattern) does not compile", nil)
            }
        }
    }

    private static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .integer(let whole)?: Double(whole)
        case .number(let real)?: real
        default: nil
        }
    }

    static func escape(_ name: String) -> String {
        name.replacingOccurrences("~", "~0").replacingOccurrences("/", "~1")
    }

    /// Short JSON rendering of a value for messages.
    static func render(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let whole): String(whole)
        case .number(let real): String(real)
        case .string(let text): "\"\(text)\""
        case .array(let items): "[" + items.map(render).joined(separator: ", ") + "]"
        case .object(let object): "{" + object.keys.joined(separator: ", ") + "}"
        }
    }
}

extension String {
    /// Foundation-free substring replacement, for JSON pointer escaping.
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}

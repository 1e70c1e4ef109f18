/// A JSON value, kept exact: integers stay integers (`1` is never `true`, `2.0` never `2`), and an
/// object remembers the order its keys were written in.
///
/// One type for every document the project reads or writes itself: card layouts (read, in
/// order, with their schema) and the finance officer's reports and manifests (written
/// canonically, read back to be verified). Foundation's `JSONSerialization` would merge
/// duplicate keys and blur integers and floats, which neither may.
public enum JSONValue: Hashable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A whole number.
    case integer(Int64)
    /// A number with a fraction or an exponent.
    case number(Double)
    /// A string.
    case string(String)
    /// An array, in its order.
    case array([JSONValue])
    /// An object.
    case object(JSONObject)

    /// An object from a dictionary (its keys are written sorted, so their order does not matter).
    public static func object(_ members: [String: JSONValue]) -> JSONValue {
        .object(JSONObject(members))
    }

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
}

/// A JSON object: unique keys, kept in the order they were added.
///
/// Keys are Swift strings, so two keys that are canonically equivalent Unicode (`é` and
/// `e` + U+0301) are one key; the documents' keys are ASCII names.
public struct JSONObject: Hashable, Sendable {
    /// The members in the order they were added; keys are unique.
    public private(set) var members: [(key: String, value: JSONValue)]
    private var positions: [String: Int]

    /// An empty object.
    public init() {
        members = []
        positions = [:]
    }

    /// An object with the members of a dictionary (in the dictionary's order).
    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.map { (key: $0.key, value: $0.value) }
        positions = Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1.key, $0) })
    }

    /// The keys in the order they were added.
    public var keys: [String] { members.map(\.key) }

    /// How many members.
    public var count: Int { members.count }

    /// Whether there are none.
    public var isEmpty: Bool { members.isEmpty }

    /// The value stored under `key`, if any.
    public subscript(key: String) -> JSONValue? {
        positions[key].map { members[$0].value }
    }

    /// Adds a member; returns false (and changes nothing) when the key is already present.
    @discardableResult
    public mutating func append(_ key: String, _ value: JSONValue) -> Bool {
        guard positions[key] == nil else { return false }
        positions[key] = members.count
        members.append((key, value))
        return true
    }

    /// Removes the member `key` and returns its value, or nil when there is none.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let position = positions.removeValue(forKey: key) else { return nil }
        let value = members.remove(at: position).value
        for index in position..<members.count { positions[members[index].key] = index }
        return value
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

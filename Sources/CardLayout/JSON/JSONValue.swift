// Layout documents are `JSONValue`s: the type is part of this module's API.
@_exported import JSONText

extension JSONValue {
    /// Parses JSON text; throws `CardLayoutError.malformedJSON` with the byte offset of the fault.
    public static func parse(_ text: String) throws(CardLayoutError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses UTF-8 JSON bytes; throws `CardLayoutError.malformedJSON` with the byte offset.
    public static func parse(_ bytes: [UInt8]) throws(CardLayoutError) -> JSONValue {
        do {
            return try JSONValue(json: bytes)
        } catch {
            throw CardLayoutError(.malformedJSON, error.description)
        }
    }
}

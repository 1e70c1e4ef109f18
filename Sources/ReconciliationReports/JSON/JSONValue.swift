// Reports and manifests are `JSONValue`s: the type is part of this module's API.
@_exported import JSONText

extension JSONValue {
    /// Reads JSON text, as a manifest handed back to be verified. Numbers must be whole and fit
    /// `Int64` (reports have no fractions: money is kopecks, shares are basis points); a byte
    /// order mark is tolerated, as some editors add one. Throws `ReportError.malformedJSON`.
    public init(parsing bytes: [UInt8]) throws {
        do {
            self = try JSONValue(json: bytes, allowsFractions: false, skipsByteOrderMark: true)
        } catch {
            throw ReportError(.malformedJSON, error.description)
        }
    }
}

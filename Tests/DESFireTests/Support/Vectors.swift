import Foundation
@testable import DESFire
import Identifiers
import SmartCard

/// The one loader for the JSON vector files in `Vectors/`.
enum Vectors {
    struct Missing: Error, CustomStringConvertible {
        let name: String
        var description: String { "vector file \(name).json is not in the test bundle" }
    }

    /// Decodes `Vectors/<name>.json`.
    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors") else {
            throw Missing(name: name)
        }
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

/// Hex text from a vector file as bytes; a malformed string is a broken vector file.
func bytes(_ hex: String) -> [UInt8] {
    guard let bytes = Hex.decode(hex) else { preconditionFailure("not hex in a vector file: \(hex)") }
    return bytes
}

/// A JSON value whose type varies between steps (results, modes).
enum JSONValue: Decodable, Equatable {
    case string(String)
    case int(Int)
    case array([JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let int = try? container.decode(Int.self) {
            self = .int(int)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }
}

extension DESFireError.Code {
    /// An error with this code, for `#expect(throws:)` (errors compare by code only).
    var expected: DESFireError { DESFireError(self, "any error with code \(self)") }
}

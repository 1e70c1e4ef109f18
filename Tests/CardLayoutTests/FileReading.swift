#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Tests may read the repository's files; the library may not.
func readText(atPath path: String) throws -> String {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return String(decoding: data, as: UTF8.self)
}

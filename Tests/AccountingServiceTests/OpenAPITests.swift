import AccountingService
import Hummingbird
import Testing

import Foundation

@Suite("docs/openapi.yaml", .runsStorage)
struct OpenAPITests {
    /// `METHOD /path` for every operation in the document (paths with `{name}` parameters).
    static func documentedOperations() throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var operations: Set<String> = []
        var inPaths = false
        var currentPath: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, let first = line.first, first != " ", first != "#" { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if let currentPath, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "put", "post", "delete", "patch", "head", "options"].contains(String(method)) {
                    operations.insert("\(method.uppercased()) \(currentPath)")
                }
            }
        }
        return operations
    }

    /// `METHOD /path` for every route the service registers, `:name` written as `{name}`.
    static func registeredOperations() async throws -> Set<String> {
        let service = try await TestService(.sqlite)
        let routes = service.router.routes.map { route -> String in
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
            return "\(route.method.rawValue) \(path.hasPrefix("/") ? path : "/" + path)"
        }
        try await service.storage.close()
        return Set(routes)
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationExists() async throws {
        let documented = try Self.documentedOperations()
        let registered = try await Self.registeredOperations()
        #expect(documented.count >= 12)
        #expect(registered.subtracting(documented).isEmpty, "routes missing from docs/openapi.yaml: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented but not registered: \(documented.subtracting(registered).sorted())")
    }
}

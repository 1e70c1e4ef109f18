import Foundation
import Testing

@testable import ReconciliationReports

/// Processes, temporary directories and the fixtures the report tests share.
enum Support {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reports-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs python3 with `script` and `arguments`; stdout and stderr together.
    static func python(_ script: String, _ arguments: [String] = []) throws -> (status: Int32, output: String) {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("script.py")
        try script.write(to: file, atomically: true, encoding: .utf8)
        return try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", file.path] + arguments)
    }

    static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Writes `files` into `directory`.
    static func write(_ files: [OutputFile], to directory: URL) throws {
        for file in files {
            try Data(file.bytes).write(to: directory.appendingPathComponent(file.name))
        }
    }

    /// Names people give carriers and devices, and names meant to break a page or a CSV.
    static let hostileNames = [
        "<script>alert(1)</script>",
        "ТОВ \"Лебідь; Транс\"",
        "Перевізник\nз переносом рядка",
        "Кома, крапка з комою; лапки \"\" і апостроф '",
        "  пробіли з краю  ",
        "=HYPERLINK(\"http://evil\";\"клік\")",
        "-1+2",
        "@SUM(A1)",
        "</table><img src=x onerror=alert(2)>",
        "Ґанок Їжак Єнот — «лапки» ’",
    ]
}

import Foundation
import Testing

/// The vectors are only as good as their derivation: the script beside them, run again, must
/// print the committed file byte for byte (so neither the script nor the file drifted, and the
/// machine's tz database still agrees with the one the vectors were made from).
@Suite("Vector scripts")
struct VectorScriptTests {
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors")

    @Test func kyivVectorsAreReproducedByTheirScript() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.vectors.appendingPathComponent("derive_kyiv_offsets.py").path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(complaint)")
        let committed = try Data(contentsOf: Self.vectors.appendingPathComponent("kyiv-offsets.json"))
        #expect(printed == committed, "derive_kyiv_offsets.py no longer prints kyiv-offsets.json")
    }
}

import Crypto
import Foundation
import Testing

@testable import ReconciliationReports

/// The manifest binds a report's files to its inputs under the finance key. Checked here by
/// the Swift verifier and by the Python verifier printed in docs/reconciliation-reports.md, run
/// as printed (taken from the document at test time, so the two cannot drift).
@Suite("The signed manifest of a report", .serialized)
struct ManifestTests {
    static let financeKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: Array(repeating: 7, count: 32))
    static let otherKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: Array(repeating: 9, count: 32))

    static let manifest = ReportManifest(
        subject: [
            "community": .string("Немішаївська селищна територіальна громада"), "periodFrom": .string("2026-11-01"),
            "periodTo": .string("2026-11-30"), "generator": .string("hromada-reconcile"),
        ],
        inputs: [
            ManifestInput(kind: "device-head", name: "502", attributes: ["sequence": .integer(88), "chainHash": .string(String(repeating: "ab", count: 32))]),
            ManifestInput(kind: "bundle", name: "tariff v3", attributes: ["sha256": .string(String(repeating: "cd", count: 32))]),
            ManifestInput(kind: "device-head", name: "501", attributes: ["sequence": .integer(1200), "chainHash": .string(String(repeating: "01", count: 32))]),
            ManifestInput(kind: "receipt", name: "501@1100", attributes: ["note": .string("лапки \" і\nрядок")]),
        ])

    static let outputs = [
        OutputFile(name: "report.uk.html", bytes: Array("<!DOCTYPE html><p>Розрахунок</p>".utf8)),
        OutputFile(name: "compensation-lines.csv", bytes: [0xEF, 0xBB, 0xBF] + Array("Перевізник;Сума\r\n\"<script>\";1,00\r\n".utf8)),
        OutputFile(name: "report.json", bytes: Array("{}\n".utf8)),
        OutputFile(name: "empty.csv", bytes: []),
    ]

    static func files(_ outputs: [OutputFile]) -> [String: [UInt8]] {
        Dictionary(uniqueKeysWithValues: outputs.map { ($0.name, $0.bytes) })
    }

    @Test func signsAndVerifies() throws {
        let signed = try Self.manifest.signed(outputs: Self.outputs, with: Self.financeKey)
        let read = try SignedReportManifest(bytes: signed.bytes)
        #expect(read == signed)
        #expect(read.verify(files: Self.files(Self.outputs + [signed.file]), trusting: Self.financeKey.publicKey) == .intact(files: 4))
        #expect(read.inputsDigest == Self.manifest.inputsDigest)
        // The inputs are sorted, so their order of discovery does not change the digest.
        let shuffled = ReportManifest(subject: Self.manifest.subject, inputs: Self.manifest.inputs.reversed())
        #expect(shuffled.inputsDigest == Self.manifest.inputsDigest)
    }

    @Test func refusesEveryChange() throws {
        let signed = try Self.manifest.signed(outputs: Self.outputs, with: Self.financeKey)
        let key = Self.financeKey.publicKey
        var files = Self.files(Self.outputs)

        // One flipped bit in any output.
        for name in files.keys where !(files[name] ?? []).isEmpty {
            var changed = files
            changed[name]![changed[name]!.count / 2] ^= 0x01
            #expect(Self.problem(signed.verify(files: changed, trusting: key)) == .fileChanged, "\(name)")
        }
        // One flipped bit in the manifest's signed content (the sequence of device 501) …
        let text = String(decoding: signed.bytes, as: UTF8.self)
        let forged = try SignedReportManifest(bytes: Array(text.replacingOccurrences(of: "1200", with: "1201").utf8))
        #expect(forged.verify(files: files, trusting: key).isIntact == false)
        if case .refused(let problem, _) = forged.verify(files: files, trusting: key) { #expect(problem == .badSignature) }
        // … or in the signature itself.
        let signature = try #require(signed.document["signature"]?["value"]?.stringValue)
        let flippedSignature = (signature.first == "0" ? "1" : "0") + signature.dropFirst()
        let badSignature = try SignedReportManifest(bytes: Array(text.replacingOccurrences(of: signature, with: flippedSignature).utf8))
        #expect(Self.problem(badSignature.verify(files: files, trusting: key)) == .badSignature)
        // Signed by a key other than the finance key.
        let other = try Self.manifest.signed(outputs: Self.outputs, with: Self.otherKey)
        #expect(Self.problem(other.verify(files: files, trusting: key)) == .otherSigner)
        // A file missing, a file added.
        files["report.json"] = nil
        #expect(Self.problem(signed.verify(files: files, trusting: key)) == .missingFile)
        files = Self.files(Self.outputs)
        files["extra.csv"] = [1]
        #expect(Self.problem(signed.verify(files: files, trusting: key)) == .unlistedFile)
    }

    @Test func refusesFileNamesOutsideTheDirectory() {
        for name in ["../x.csv", "a/b.csv", "", "..", "manifest.json", "tab\t.csv"] {
            #expect(throws: ReportError.self, "\(name)") {
                try Self.manifest.signed(outputs: [OutputFile(name: name, bytes: [])], with: Self.financeKey)
            }
        }
        #expect(throws: ReportError.self) {
            try Self.manifest.signed(outputs: [OutputFile(name: "a.csv", bytes: []), OutputFile(name: "a.csv", bytes: [1])], with: Self.financeKey)
        }
    }

    // MARK: The printed Python verifier

    @Test func thePrintedVerifierAcceptsAnIntactReport() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let signed = try Self.manifest.signed(outputs: Self.outputs, with: Self.financeKey)
        try Support.write(Self.outputs + [signed.file], to: directory)
        let keyHex = Self.hex(Self.financeKey.publicKey.rawRepresentation)
        let verdict = try Self.verify(directory, key: keyHex)
        #expect(verdict.status == 0, "\(verdict.output)")
        #expect(verdict.output == "report intact: 4 files, inputs \(Self.manifest.inputsDigest), signed by \(keyHex)\n")
    }

    @Test func thePrintedVerifierRefusesChanges() throws {
        let keyHex = Self.hex(Self.financeKey.publicKey.rawRepresentation)
        let signed = try Self.manifest.signed(outputs: Self.outputs, with: Self.financeKey)
        func refused(_ change: (URL) throws -> Void, key: String? = nil, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let directory = try Support.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            try Support.write(Self.outputs + [signed.file], to: directory)
            try change(directory)
            let verdict = try Self.verify(directory, key: key ?? keyHex)
            #expect(verdict.status == 1, "\(verdict.output)", sourceLocation: sourceLocation)
            #expect(verdict.output == "report refused: \(expected)\n", sourceLocation: sourceLocation)
        }
        try refused({ directory in
            let file = directory.appendingPathComponent("compensation-lines.csv")
            var bytes = [UInt8](try Data(contentsOf: file))
            bytes[10] ^= 0x01
            try Data(bytes).write(to: file)
        }, "compensation-lines.csv differs from the manifest")
        try refused({ directory in
            let file = directory.appendingPathComponent("manifest.json")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "1200", with: "1201")
            try text.write(to: file, atomically: true, encoding: .utf8)
        }, "the signature does not match the manifest")
        try refused({ try Data([1]).write(to: $0.appendingPathComponent("extra.csv")) }, "extra.csv is not in the manifest")
        try refused({ try FileManager.default.removeItem(at: $0.appendingPathComponent("report.json")) }, "report.json is missing")
        let otherHex = Self.hex(Self.otherKey.publicKey.rawRepresentation)
        try refused({ _ in }, key: otherHex, "signed by \(keyHex), not by \(otherHex)")
    }

    static func problem(_ verdict: ManifestVerdict) -> ManifestVerdict.Problem? {
        if case .refused(let problem, _) = verdict { return problem }
        return nil
    }

    /// The one ```python block of docs/reconciliation-reports.md, exactly as printed.
    static func verifierScript() throws -> String {
        let document = try String(contentsOf: Support.repository.appendingPathComponent("docs/reconciliation-reports.md"), encoding: .utf8)
        let blocks = document.components(separatedBy: "```python\n").dropFirst()
        #expect(blocks.count == 1, "docs/reconciliation-reports.md should print exactly one Python block")
        let block = try #require(blocks.first)
        return try #require(block.components(separatedBy: "\n```").first) + "\n"
    }

    static func verify(_ directory: URL, key: String) throws -> (status: Int32, output: String) {
        // The printed verifier checks the signature with the `cryptography` package (Debian
        // python3-cryptography, installed by Tools/setup); the test installs nothing.
        let probe = try Support.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import cryptography"])
        try #require(probe.status == 0, "python3 cannot import cryptography: run Tools/setup (python3-cryptography)")
        return try Support.python(try verifierScript(), [directory.path, key])
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

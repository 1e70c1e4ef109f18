import AccountingCore
import AccountingService
import AccountingStore
import Bundles
import Entitlements
import Identifiers
import LedgerCore
import Testing

import Foundation

/// schemathesis (PyPI, installed by Tools/setup) generates requests from docs/openapi.yaml and
/// sends them to the live service on SQLite: every operation, device requests signed for real
/// (Tests/Schemathesis/hromada_signing.py), operator requests with an admin token. It checks that
/// nothing is a server error, that every status code, content type, response header and body is
/// the documented one, and that a method a path does not have is 405.
@Suite("schemathesis against docs/openapi.yaml", .runsStorage)
struct SchemathesisTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The venv Tools/setup makes (HROMADA_SCHEMATHESIS_VENV overrides it).
    static var venv: URL {
        ProcessInfo.processInfo.environment["HROMADA_SCHEMATHESIS_VENV"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent(".build/schemathesis")
    }

    /// The operations docs/openapi.yaml describes: one method key (four spaces in) per operation.
    static func operationCount() throws -> Int {
        let document = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        let methods: Set<Substring> = ["get", "put", "post", "delete", "patch"]
        return document.split(separator: "\n").filter { line in
            line.hasPrefix("    ") && !line.hasPrefix("     ") && line.hasSuffix(":") && methods.contains(line.dropFirst(4).dropLast())
        }.count
    }

    @Test func everyOperationConformsToTheDocument() async throws {
        let python = Self.venv.appendingPathComponent("bin/python")
        try #require(FileManager.default.isExecutableFile(atPath: python.path), "schemathesis is not installed: run Tools/setup")
        let service = try await TestService(.sqlite, now: { UnixTime(Date()) })
        let chain = service.device.chain(count: 10)
        // Bundles to serve, so that downloads and revalidation (304) are reached too.
        try await service.storage.storeBundle(StoredBundle(kind: .trust, version: 1, bytes: Community.trustBundle(version: 1), uploadedAt: UnixTime(Date())))
        try await service.storage.storeBundle(
            StoredBundle(kind: .denyList, version: 1, bytes: Community.denyListBundle(version: 1, serials: [0x00BB_0000_0000_0001]), uploadedAt: UnixTime(Date())))
        let log = Self.root.appendingPathComponent(".build/schemathesis-run.log")
        try await service.withLiveServer(logLevel: .error) { port, _ in
            // Some history to read: the registered device's first ten entries.
            let body = try service.device.batch(chain[0..<10]).jsonBody()
            let headers = service.device.headers(method: "POST", path: "/v1/ledger/batches", body: body, at: UnixTime(Date()))
            let seeded = try await RawConnection.exchange(port: port, RawConnection.request("POST", "/v1/ledger/batches", headers: headers, body: body))
            try #require(seeded.status == 200)
            let process = Process()
            process.executableURL = python
            // Its own working directory: schemathesis keeps a cache of crashes there.
            let work = Self.root.appendingPathComponent(".build/schemathesis-work")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            process.currentDirectoryURL = work
            process.arguments = [
                "-m", "schemathesis.cli", "run", Self.root.appendingPathComponent("docs/openapi.yaml").path, "--url", "http://127.0.0.1:\(port)",
                "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,response_headers_conformance,unsupported_method",
                "--header", "Authorization: Bearer \(service.admin)",
                "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", "60", "--seed", "20261206",
                "--workers", "1", "--generation-with-security-parameters", "false", "--request-timeout", "20",
                "--suppress-health-check", "all", "--generation-database", "none", "--no-color",
            ]
            var environment = ProcessInfo.processInfo.environment
            environment["PYTHONPATH"] = Self.root.appendingPathComponent("Tests/Schemathesis").path
            environment["SCHEMATHESIS_HOOKS"] = "hromada_signing"
            environment["HROMADA_DEVICE"] = String(service.device.id.rawValue)
            environment["HROMADA_DEVICE_KEY"] = Hex.encode(service.device.key.rawRepresentation)
            environment["HROMADA_DEVICE_CERTIFICATE"] = Hex.encode(try service.device.certificate.encoded())
            environment["HROMADA_DEVICE_KEY_ID"] = service.device.certificate.keyID.description
            process.environment = environment
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let output = try FileHandle(forWritingTo: log)
            process.standardOutput = output
            process.standardError = output
            // A run that hangs is ended (and fails) after five minutes; a normal one takes well under one.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(300))
                process.terminate()
            }
            let status = await withCheckedContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { continuation.resume(returning: -1) }
            }
            watchdog.cancel()
            try output.close()
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(status == 0, "schemathesis failed (log: .build/schemathesis-run.log):\n\(text.suffix(6000))")
            // It did test every operation of the document (counted from the document itself,
            // so a new endpoint is covered without editing this test).
            let operations = try Self.operationCount()
            #expect(operations >= 36)
            #expect(text.contains("Selected: \(operations)/\(operations)") && text.contains("Tested: \(operations)"), "\(text.suffix(2000))")
            // The hook's signatures were good: no device request was refused for its
            // authentication, and batches reached the ingest decision.
            let metrics = try await RawConnection.exchange(port: port, RawConnection.request("GET", "/metrics"))
            let counters = String(decoding: metrics.body, as: UTF8.self)
            #expect(!counters.contains("hromada_device_auth_refused_total"), "\(counters)")
            #expect(counters.contains("hromada_batches_total"), "\(counters)")
        }
    }
}

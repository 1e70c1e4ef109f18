import AccountingStore
import CommunityKeys
import Entitlements
import Identifiers
import Logging
import ReconcileTool
import ReconciliationSimulator
import StorageTesting
import Testing

import Foundation

/// `hromada-reconcile` as a real process over a simulated month in an SQLite file.
@Suite("hromada-reconcile as a process", .serialized)
struct CommandLineTests {
    /// The `hromada-reconcile` built next to the test bundle.
    static var executable: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("hromada-reconcile").path
    }

    /// Runs the tool; its exit status and standard output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: text, as: UTF8.self), String(decoding: errorText, as: UTF8.self))
    }

    @Test("report, claim import, payment add and close, with the summary in Ukrainian and a signed closing")
    func wholeMonth() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "swift build --product hromada-reconcile")
        let month = simulatedMonth
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let database = "sqlite:\(root)/accounting.sqlite"
        try await StorageLocation(database)!.withStorage(logger: Logger(label: "test")) { storage in
            var loader = StoreLoader(community: month.community)
            try await loader.registerDevices(in: storage)
            try await loader.write(month.uploads, into: storage)
            try await month.storeReference(in: storage)
        }
        var rng = SeededRandom(seed: 5)
        let keys = "\(root)/keys"
        let community = try CommunityDirectory.create(at: keys, community: "sim-hromada", now: UnixTime(1_790_000_000), using: &rng)
        try community.addKey(role: .finance, label: "finance-1", now: UnixTime(1_790_000_000), using: &rng)

        let report = try Self.run(["report", "--db", database, "--month", "2026-10", "--out", "\(root)/report", "--keys", keys])
        #expect(report.status == 0, "\(report.error)")
        let compensation = Money.hryvnias(month.truth.totalCompensationKopecks)
        #expect(report.output.hasPrefix("Звіт за 2026-10: компенсація \(compensation) за "))
        #expect(report.output.hasSuffix("Файли: \(root)/report\n"))
        for name in ["report.json", "report.uk.html", "report.en.html", "manifest.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(root)/report/\(name)"), "\(name)")
        }

        // The auditor's way: export, then report from the directory (read a device file at a time), the same report.json.
        let export = try Self.run(["export", "--db", database, "--month", "2026-10", "--out", "\(root)/exports", "--bundles", "\(root)/bundles"])
        #expect(export.status == 0, "\(export.error)")
        // With the card pass's scratch files in a directory of our choosing: nothing is left there.
        try FileManager.default.createDirectory(atPath: "\(root)/scratch", withIntermediateDirectories: true)
        let audited = try Self.run(
            [
                "report", "--exports", "\(root)/exports", "--bundles", "\(root)/bundles", "--month", "2026-10", "--out", "\(root)/audited", "--keys", keys,
                "--scratch", "\(root)/scratch",
            ])
        #expect(audited.status == 0, "\(audited.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/scratch") == [])
        let noScratch = try Self.run(["report", "--db", database, "--month", "2026-10", "--out", "\(root)/unwritten", "--scratch", "\(root)/claim-nowhere/x"])
        #expect(noScratch.status != 0)
        #expect(noScratch.error.contains("cannot make a scratch directory under \(root)/claim-nowhere/x"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/unwritten/report.json"))
        #expect(audited.output.hasPrefix("Звіт за 2026-10: компенсація \(compensation) за "))
        let fromDatabase = try Data(contentsOf: URL(fileURLWithPath: "\(root)/report/report.json"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(root)/audited/report.json")) == fromDatabase)

        try Data("route;date;category;rides;amount\n1;2026-10-05;1;3;45,00\n".utf8).write(to: URL(fileURLWithPath: "\(root)/claim.csv"))
        let claim = try Self.run(["claim", "import", "--carrier", "1", "--month", "2026-10", "--claims", "\(root)/claims", "\(root)/claim.csv"])
        #expect(claim.status == 0, "\(claim.error)")
        #expect(claim.output == "Претензію перевізника 1 за 2026-10 прийнято: 1 рядків, 45,00 грн.\n")
        let outside = try Self.run(["claim", "import", "--carrier", "1", "--month", "2026-11", "--claims", "\(root)/claims", "\(root)/claim.csv"])
        #expect(outside.status != 0)

        let payment = try Self.run(["payment", "add", "--db", database, "--carrier", "2", "--date", "2026-11-03", "--amount", "1234,5", "--reference", "ПД-9"])
        #expect(payment.status == 0, "\(payment.error)")
        #expect(payment.output == "Платіж перевізнику 2 від 2026-11-03: 1\u{00A0}234,50 грн, ПД-9.\n")

        let close = try Self.run(["close", "--db", database, "--month", "2026-10", "--keys", keys, "--claims", "\(root)/claims", "--out", "\(root)/closed"])
        #expect(close.status == 0, "\(close.error)")
        #expect(close.output.hasPrefix("Місяць 2026-10 закрито "))
        let again = try Self.run(["close", "--db", database, "--month", "2026-10", "--keys", keys, "--out", "\(root)/closed-again"])
        #expect(again.status != 0)
        #expect(again.error.contains("closed already"))
        try await StorageLocation(database)!.withStorage(logger: Logger(label: "test")) { storage in
            let stored = try #require(try await storage.periodClose(month: "2026-10"))
            let finance = try community.currentKey(role: .finance)
            #expect(ClosingRecord.verify(record: stored.record, signature: stored.signature, publicKey: try finance.certificate.publicKey.cryptoKey()))
        }
    }
}

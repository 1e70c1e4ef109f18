import Foundation
import TestBedSupport
import Testing

/// Issue 13's privacy test: after a full run of the README's main command (`Tools/demo`, from
/// this build's products), no name or document number of the people it registered is in the
/// accounting store, any ledger, the report or anything the demo printed outside its registry
/// step; and the same search, pointed at the registry (which does hold them), finds them — so
/// the check is shown able to fail.
@Suite("The demo keeps personal data at the desk", .serialized)
struct DemoPrivacyTests {
    static let packageRoot = Fixtures.packageRoot.path

    struct Run {
        var status: Int32
        var output: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    @Test("a full demo run: the names and documents are in the registry only; a search of the registry (the leaking control) finds them")
    func demoLeaksNothing() throws {
        let bin = URL(fileURLWithPath: VcardExecutable.path()).deletingLastPathComponent().path
        let demo = try Self.run("/bin/bash", ["Tools/demo"], environment: ["DEMO_BIN": bin, "DEMO_KEEP": "1"])
        let kept = demo.output.components(separatedBy: "\n").last { $0.hasPrefix("Залишено / kept: ") }.map { String($0.dropFirst("Залишено / kept: ".count)) }
        let work = try #require(kept, "the demo did not keep its folder:\n\(demo.output.suffix(3000))")
        defer { try? FileManager.default.removeItem(atPath: work) }
        #expect(demo.status == 0, "\(demo.output.suffix(3000))")
        #expect(demo.output.contains("none of 20 strings (names, documents) in"), "\(demo.output.suffix(1500))")

        // What the demo registered: four people, a name and a document number each.
        let people = try String(contentsOfFile: work + "/people.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(people.count == 8)
        let surnames = people.filter { $0.contains(" ") }.compactMap { $0.split(separator: " ").first.map(String.init) }

        // Printed output: personal data only inside step 3 (the registry step).
        let sections = demo.output.components(separatedBy: "\n== ")
        for section in sections where !section.hasPrefix("3. ") {
            for text in people + surnames {
                #expect(!section.contains(text), "the demo printed personal data outside the registry step, in: \(section.prefix(60))")
            }
        }
        #expect(sections.contains { $0.hasPrefix("3. ") && $0.contains(people[0]) })

        // The stores, ledgers and report, searched again by the same check the demo ran.
        let report = Fixtures.packageRoot.appendingPathComponent(".build/demo-report").path
        let stores = try FileManager.default.contentsOfDirectory(atPath: work)
            .filter { $0.hasPrefix("accounting.sqlite") || $0.hasPrefix("ledger-") || $0.hasPrefix("desk-ledger.sqlite") }.map { work + "/" + $0 }
        #expect(stores.contains(work + "/desk-ledger.sqlite") && stores.contains(work + "/accounting.sqlite") && stores.contains(work + "/ledger-101.sqlite"))
        let clean = try Self.run("/usr/bin/python3", ["Tools/demo.d/privacy.py", "--people", work + "/people.txt", "--control", work + "/registry.sqlite"] + stores + [report])
        #expect(clean.status == 0, "\(clean.output)")

        // The control: the registry searched the same way is a leak, and the check says so.
        let leaking = try Self.run("/usr/bin/python3", ["Tools/demo.d/privacy.py", "--people", work + "/people.txt"] + stores + [report, work + "/registry.sqlite"])
        #expect(leaking.status == 1 && leaking.output.contains("LEAK: registry.sqlite"), "\(leaking.output)")
    }
}

import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import Testing

@testable import LedgerStore

/// Kills an appending process at random moments; what it reported as appended must survive.
///
/// The child is `ledger-append-child` (a test-only executable, Tests/LedgerAppendChild), which
/// appends through the real `LedgerStore` and prints each sequence number only after `append`
/// returned. SIGKILL stops it without any cleanup, between or in
/// the middle of SQLite writes. (This tests process crashes; a power cut additionally needs the
/// disk to honour fsync, which `synchronous=FULL` asks of it.)
@Suite struct CrashTests {
    static var validatorBinary: URL? { builtExecutable("hromada-validator") }

    /// An executable built beside the test bundle (`swift build` builds every executable target).
    static func builtExecutable(_ name: String) -> URL? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    @Test func everyReportedAppendSurvivesSIGKILL() throws {
        let binary = try #require(Self.builtExecutable("ledger-append-child"), "build ledger-append-child first (swift build)")
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        var rng = SystemRandomNumberGenerator()
        var head: UInt64 = 0
        var reportedInAllRounds = 0
        for round in 0..<30 {
            let child = Process()
            child.executableURL = binary
            child.arguments = [
                "--db", path, "--device", String(Support.device.rawValue),
                "--seed", Hex.encode(Support.deviceSeed), "--checkpoint-interval", "7",
            ]
            let output = Pipe()
            child.standardOutput = output
            child.standardError = FileHandle.nullDevice
            try child.run()
            // Some rounds die during start-up and migration of the schema, most mid-stream.
            let delay = round % 5 == 0 ? UInt32.random(in: 0...30_000, using: &rng) : UInt32.random(in: 30_000...250_000, using: &rng)
            usleep(delay)
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            // A line cut short by the kill is simply not a report.
            let reported = text.split(separator: "\n").compactMap { UInt64($0) }
            reportedInAllRounds += reported.count
            // The child appends after the head it found, one sequence a line.
            #expect(reported == Array((head + 1)..<(head + 1 + UInt64(reported.count))), "round \(round): \(reported)")

            let store = try Support.open(path)
            // Every reported append is there, as the child wrote it; at most one more finished
            // without being reported.
            let lastReported = reported.last ?? head
            #expect(store.head.sequence >= lastReported, "round \(round): reported \(lastReported), stored \(store.head.sequence)")
            #expect(store.head.sequence <= lastReported + 1, "round \(round): reported \(lastReported), stored \(store.head.sequence)")
            for sequence in reported {
                // The child numbers its cards from 0 in each run.
                let index = sequence - head - 1
                let entry = try store.entry(at: sequence)
                #expect(entry?.record.kind == .rideAccepted, "round \(round): entry \(sequence)")
                #expect(entry?.record.cardSerial == CardSerial(0x00AA_0000_0000_0000 | index), "round \(round): entry \(sequence)")
            }
            let verification = try store.verify(devicePublicKey: Support.deviceKey.publicKey)
            #expect(verification.isIntact, "round \(round): \(verification)")
            head = store.head.sequence
        }
        // Without reports the checks above would hold vacuously.
        #expect(reportedInAllRounds > 30, "the child should have reported appends in most rounds")
    }
}

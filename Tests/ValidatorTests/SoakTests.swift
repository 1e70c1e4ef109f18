import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import LedgerStore
import PropertyTesting
import Synchronization
import TestBedSupport
import Testing
import Validator
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// `hromada-validator run` as a child process, with its stdout read line by line.
final class DaemonProcess: @unchecked Sendable {
    let process = Process()
    let lines = LineCollector()
    let logPath: String

    init(files: DaemonFiles, index: Int) throws {
        let binary = Paths.packageRoot.appendingPathComponent(".build/debug/hromada-validator").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw MissingFile(description: "build hromada-validator first: \(binary)") }
        logPath = "\(files.directory)/daemon-\(index).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", files.configurationPath, "--log-level", "debug"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let lines = self.lines
        let buffer = Mutex<[UInt8]>([])
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            let complete: [String] = buffer.withLock { pending in
                pending += data
                var found: [String] = []
                while let newline = pending.firstIndex(of: 0x0A) {
                    found.append(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
                return found
            }
            complete.forEach(lines.append)
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits until the daemon logs that it is watching its readers.
    func waitUntilStarted(timeout: Duration = .seconds(20)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let log = try? String(contentsOfFile: logPath, encoding: .utf8), log.contains("validator started") { return true }
            if !process.isRunning { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func waitForExit(timeout: Duration = .seconds(20)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !process.isRunning { return process.terminationStatus }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Ends the daemon for good (test cleanup): SIGKILL by PID if still running.
    func killIfRunning() {
        if process.isRunning { kill(pid, SIGKILL) }
    }
}

/// A card that SIGKILLs the daemon once it has answered APDU `killAfter`: at once (the answer
/// is never read) or a moment later (while the daemon writes its ledger).
final class KillingCard: EmulatedCard {
    let base: VirtualDESFireCard
    let killAfter: Int
    let delayMicroseconds: UInt32
    let pid: Int32
    private(set) var answered = 0
    let killed: KillFlag

    init(base: VirtualDESFireCard, killAfter: Int, delayMicroseconds: UInt32, pid: Int32, killed: KillFlag) {
        self.killed = killed
        self.base = base
        self.killAfter = killAfter
        self.delayMicroseconds = delayMicroseconds
        self.pid = pid
    }

    var atr: [UInt8] { base.atr }
    func powerOn() { base.powerOn() }
    func powerOff() { base.powerOff() }
    func reset() { base.reset() }
    func leaveField() { base.leaveField() }
    func respond(to command: [UInt8]) -> [UInt8] {
        let answer = base.respond(to: command)
        answered += 1
        if answered == killAfter {
            killed.set()
            let pid = self.pid
            let delay = delayMicroseconds
            if delay == 0 {
                kill(pid, SIGKILL)
            } else {
                Thread.detachNewThread {
                    usleep(delay)
                    kill(pid, SIGKILL)
                }
            }
        }
        return answer
    }
}

/// Whether a `KillingCard` has killed the daemon.
final class KillFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}

/// The daemon killed with SIGKILL at random APDUs of many taps and restarted: the ledger
/// verifies, and every card agrees with it.
@Suite("Validator daemon soak", .serialized)
struct SoakTests {
    @Test("SIGKILL at random moments over 110 taps on two readers; restarted each time; ledger and cards agree")
    func killAndRestart() async throws {
        let community = try TestCommunity()
        var tariff = community.tariff
        tariff.antiPassbackSeconds = 0
        tariff.transfer = nil
        tariff.version = 1
        let cards = try (0..<4).map { try TestCard(number: UInt8($0), salt: 0x90) }
        defer { cards.forEach { $0.remove() } }
        let purses: [Int32] = [400_000, 0, 400_000, 0]
        var generator = SeededGenerator(seed: 20_261_129)
        try await withTwoReaders { readerA, readerB in
            let issuer = try ValidatorHarness(community: community)
            defer { issuer.removeFiles() }
            for (index, card) in cards.enumerated() {
                let grants: [TestCommunity.Grant] =
                    index % 2 == 0 ? [.init(product: .storedValue, category: 100)] : [.init(product: .rides(count: 1_000, per: .month), category: 1)]
                try await issuer.issue(card, try community.plan(serial: CardSerial(0x9000 + UInt64(index)), grants: grants, purse: purses[index]), on: readerA)
            }
            let files = try DaemonFiles(community: community, readers: [readerA.name, readerB.name], tariff: tariff)
            defer { files.remove() }
            var starts = 1
            var daemon = try DaemonProcess(files: files, index: starts)
            defer { daemon.killIfRunning() }
            #expect(await daemon.waitUntilStarted(), "the daemon did not start: \(files.directory)")

            var kills = 0
            var lines = 0
            let taps = 110
            for tap in 0..<(taps + cards.count) {
                let final = tap >= taps
                let card = final ? cards[tap - taps] : cards[Int(generator.next() % UInt64(cards.count))]
                let reader = tap % 2 == 0 ? readerA : readerB
                let plan = !final && generator.next() % 5 == 0
                let killAfter = Int(generator.next() % 19) + 1
                let delay = generator.next() % 2 == 0 ? UInt32(0) : UInt32(generator.next() % 4_000)
                let emulator = try VirtualDESFireCard(imageFile: card.file)
                let killed = KillFlag()
                let killing = KillingCard(
                    base: emulator, killAfter: plan ? killAfter : Int.max, delayMicroseconds: delay, pid: daemon.pid, killed: killed)
                let before = daemon.lines.count
                let current = daemon
                let killedDuringTap: Bool = try await reader.withVirtualCard(killing) { _ in
                    let answered = await current.lines.wait(forCount: before + 1, timeout: .seconds(5))
                    if answered && !killed.isSet { return false }
                    // Killed (before or just after its line): wait for the exit, restart while
                    // the card is still in the field; the new daemon taps it at once.
                    if killed.isSet {
                        let status = await current.waitForExit()
                        #expect(status != nil, "the killed daemon did not exit")
                        return true
                    }
                    Issue.record("tap \(tap): no decision within 5 s and no kill")
                    return false
                }
                lines += daemon.lines.count - before
                if killedDuringTap {
                    kills += 1
                    starts += 1
                    daemon = try DaemonProcess(files: files, index: starts)
                    #expect(await daemon.waitUntilStarted(), "restart \(starts) failed: \(daemon.logPath)")
                }
            }
            // SIGTERM: drains, writes the shutdown entry and a checkpoint, exits 0.
            kill(daemon.pid, SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            print("soak: \(taps + cards.count) taps, \(kills) SIGKILLs, \(starts) starts, \(lines) JSON lines")
            #expect(kills >= 10)

            let entries = try { () throws -> [LedgerEntry] in
                let store = try LedgerStore(readingAt: files.ledgerPath)
                defer { store.close() }
                var entries: [LedgerEntry] = []
                try store.forEachEntry { entries.append($0) }
                let key = try ValidatorSetup.loadSigningKey(files.configuration.deviceKey).publicKey
                #expect(try store.verify(devicePublicKey: key).isIntact)
                return entries
            }()
            #expect(entries.filter { $0.record.kind == .startUp }.count == starts)

            // The ledger tool agrees, with the device key from the device's key file.
            let publicKey = try ValidatorSetup.loadSigningKey(files.configuration.deviceKey).publicKey.rawRepresentation
            let verify = Process()
            verify.executableURL = Paths.packageRoot.appendingPathComponent(".build/debug/hromada-validator")
            verify.arguments = ["ledger", "verify", "--db", files.ledgerPath, "--device-key", publicKey.map { String(format: "%02x", $0) }.joined()]
            verify.standardOutput = FileHandle.nullDevice
            try verify.run()
            verify.waitUntilExit()
            #expect(verify.terminationStatus == 0)
            #expect(entries.last?.record.kind == .shutdown)

            for (index, card) in cards.enumerated() {
                let contents = try await issuer.contents(of: card, on: readerA)
                let agreement = Agreement.check(
                    card: contents, entries: entries, device: DeviceID(7101), purseIssued: Int(purses[index]),
                    countedEntitlement: index % 2 == 1 ? 1 : nil)
                // The trip log keeps the last ten rides; older confirmed rides have scrolled out.
                #expect(agreement.ridesOnCard.isSubset(of: agreement.ridesConfirmed), "card \(index): \(agreement)")
                #expect(agreement.ridesConfirmed.isDisjoint(with: agreement.ridesAbandoned), "card \(index): \(agreement)")
                #expect(agreement.openPending == 0, "card \(index): \(agreement)")
                #expect(agreement.chargeEntries == agreement.ridesConfirmed.count, "card \(index): \(agreement)")
                #expect(Int64(agreement.purseIssued) - agreement.purseDebitedInLedger == Int64(agreement.purseOnCard), "card \(index): \(agreement)")
                #expect(agreement.countersOnCard == agreement.countedRidesInLedger, "card \(index): \(agreement)")
                let newestSequence = contents.trips.filter { $0.kind == "entry" }.map(\.sequence).max() ?? 0
                #expect(agreement.ridesConfirmed.count == newestSequence, "card \(index): every ride since issue is confirmed in the ledger")
            }
        }
    }
}

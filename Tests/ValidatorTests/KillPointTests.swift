import Entitlements
import Foundation
import Identifiers
import LedgerCore
import LedgerStore
import TestBedSupport
import Testing
import Validator
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// The daemon SIGKILLed between the card's CommitTransaction and the fsync that makes the
/// ride's confirmation durable (the confirmation is a deferred write: on disk with the next
/// pending entry's fsync): the ledger verifies, and the card's next tap settles the ride.
@Suite("Validator daemon killed between commit and confirmation sync", .serialized)
struct KillPointTests {
    @Test("SIGKILL as the card answers CommitTransaction, and while the confirmation waits for its fsync")
    func killAfterCommit() async throws {
        let community = try TestCommunity()
        var tariff = community.tariff
        tariff.antiPassbackSeconds = 0
        tariff.transfer = nil
        let card = try TestCard(number: 1, salt: 0x6B)
        defer { card.remove() }
        let purse: Int32 = 400_000
        try await TestBed.shared.withReader { reader in
            let issuer = try ValidatorHarness(community: community)
            defer { issuer.removeFiles() }
            try await issuer.issue(
                card, try community.plan(serial: 0x6B01, grants: [.init(product: .storedValue, category: 100)], purse: purse), on: reader)
            let files = try DaemonFiles(community: community, readers: [reader.name], tariff: tariff)
            defer { files.remove() }
            var starts = 1
            var daemon = try DaemonProcess(files: files, index: starts)
            defer { daemon.killIfRunning() }
            #expect(await daemon.waitUntilStarted(), "the daemon did not start: \(files.directory)")

            // An untouched tap counts the APDUs: CommitTransaction is the last one.
            func tap(killAfter: Int, delayMicroseconds: UInt32) async throws -> (killed: Bool, line: [String: Any]?) {
                let killed = KillFlag()
                let killing = KillingCard(
                    base: try VirtualDESFireCard(imageFile: card.file), killAfter: killAfter, delayMicroseconds: delayMicroseconds,
                    pid: daemon.pid, killed: killed)
                let before = daemon.lines.count
                let current = daemon
                let answered = try await reader.withVirtualCard(killing) { _ in
                    await current.lines.wait(forCount: before + 1, timeout: .seconds(5))
                }
                if killed.isSet {
                    #expect(await current.waitForExit() != nil, "the killed daemon did not exit")
                    return (true, nil)
                }
                return (false, answered ? daemon.lines.object(before) : nil)
            }
            let (_, first) = try await tap(killAfter: .max, delayMicroseconds: 0)
            #expect(first?["decision"] as? String == "accept", "\(String(describing: first))")
            let commitAPDU = try #require(first?["apdus"] as? Int)

            var settledByNextTap = 0
            // 0: the daemon never reads the commit's answer. Later: it dies while recording the
            // ride (deferred, not yet fsync'd) or just after telling the passenger.
            for delay: UInt32 in [0, 0, 500, 2_000] {
                let (killed, _) = try await tap(killAfter: commitAPDU, delayMicroseconds: delay)
                #expect(killed, "delay \(delay) µs: the kill did not happen")

                // The ledger the killed process left verifies, and holds the pending entry.
                let entries = try Self.entries(files)
                #expect(entries.contains { $0.record.kind == .cardTransactionPending }, "delay \(delay) µs")

                starts += 1
                daemon = try DaemonProcess(files: files, index: starts)
                #expect(await daemon.waitUntilStarted(), "restart \(starts) failed: \(daemon.logPath)")
                // The card seen again: the open entry (if the confirmation did not make it) is settled.
                let (_, again) = try await tap(killAfter: .max, delayMicroseconds: 0)
                #expect(again?["decision"] as? String == "accept", "delay \(delay) µs: \(String(describing: again))")
                settledByNextTap += again?["resolvedPending"] as? Int ?? 0
            }
            #expect(settledByNextTap >= 2, "the kill as the commit is answered must leave the ride to the next tap")

            kill(daemon.pid, SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            let entries = try Self.entries(files)
            let contents = try await issuer.contents(of: card, on: reader)
            let agreement = Agreement.check(card: contents, entries: entries, device: DeviceID(7101), purseIssued: Int(purse))
            // The trip log keeps the newest rides only; every one of them is confirmed.
            #expect(agreement.ridesOnCard.isSubset(of: agreement.ridesConfirmed), "\(agreement)")
            #expect(agreement.ridesConfirmed.isDisjoint(with: agreement.ridesAbandoned), "\(agreement)")
            #expect(agreement.openPending == 0, "\(agreement)")
            #expect(agreement.chargeEntries == agreement.ridesConfirmed.count, "\(agreement)")
            #expect(Int64(purse) - agreement.purseDebitedInLedger == Int64(agreement.purseOnCard), "\(agreement)")
            // Every ride: the first, one per kill, one per tap after a restart.
            #expect(agreement.ridesConfirmed.count == 9, "\(agreement)")
        }
    }

    /// The ledger's entries, after checking that it verifies with the device's key.
    static func entries(_ files: DaemonFiles) throws -> [LedgerEntry] {
        let store = try LedgerStore(readingAt: files.ledgerPath)
        defer { store.close() }
        let key = try ValidatorSetup.loadSigningKey(files.configuration.deviceKey).publicKey
        #expect(try store.verify(devicePublicKey: key).isIntact)
        var entries: [LedgerEntry] = []
        try store.forEachEntry { entries.append($0) }
        return entries
    }
}

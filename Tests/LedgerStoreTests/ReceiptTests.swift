import Crypto
import Entitlements
import Foundation
import LedgerCore
import Testing

@testable import LedgerStore

@Suite struct ReceiptTests {
    /// Entries 1–10 are 30 days old, 11–15 are from today; retention is 7 days.
    static func ledger(in directory: URL) throws -> (LedgerStore, now: UnixTime) {
        let now = UnixTime(Date())
        let store = try Support.open(
            directory.appendingPathComponent("ledger.db").path,
            .init(checkpointInterval: 4, retentionSeconds: 7 * 86_400))
        for index in 0..<15 {
            let time = index < 10 ? now.adding(seconds: -30 * 86_400) : now.adding(seconds: -60)
            try store.append(Support.ride(0, at: time.adding(seconds: Int64(index))))
        }
        return (store, now)
    }

    @Test func onlyGoodReceiptsAreStored() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, _) = try Self.ledger(in: directory)
        let at12 = ChainHead(after: try #require(try store.entry(at: 12)))
        let service = Support.serviceKey.publicKey
        #expect(throws: LedgerStoreError(.receiptRejected, "")) {
            try store.storeReceipt(try Receipt(signing: at12, with: Support.deviceKey), servicePublicKey: service)
        }
        let wrongHash = ChainHead(deviceID: Support.device, sequence: 12, hash: at12.hash == .of([]) ? .of([1]) : .of([]))
        #expect(throws: LedgerStoreError(.receiptRejected, "")) {
            try store.storeReceipt(try Receipt(signing: wrongHash, with: Support.serviceKey), servicePublicKey: service)
        }
        let otherDevice = ChainHead(deviceID: 9, sequence: 12, hash: at12.hash)
        #expect(throws: LedgerStoreError(.receiptRejected, "")) {
            try store.storeReceipt(try Receipt(signing: otherDevice, with: Support.serviceKey), servicePublicKey: service)
        }
        let beyond = ChainHead(deviceID: Support.device, sequence: 99, hash: at12.hash)
        #expect(throws: LedgerStoreError(.receiptRejected, "")) {
            try store.storeReceipt(try Receipt(signing: beyond, with: Support.serviceKey), servicePublicKey: service)
        }
        #expect(try store.latestReceiptSequence() == nil)
        let good = try Receipt(signing: at12, with: Support.serviceKey)
        try store.storeReceipt(good, servicePublicKey: service)
        try store.storeReceipt(good, servicePublicKey: service)
        #expect(try store.latestReceiptSequence() == 12)
        #expect(throws: LedgerStoreError(.appendOnly, "")) { try store.connection.execute("DELETE FROM receipts") }
    }

    @Test func pruningRemovesOnlyReceiptedEntriesPastRetention() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, now) = try Self.ledger(in: directory)
        #expect(try store.prune(now: now) == 0)  // no receipt yet
        // Without a receipt the database itself refuses, whatever the caller does.
        #expect(throws: LedgerStoreError(.appendOnly, "")) { try store.connection.execute("DELETE FROM entries WHERE sequence = 1") }

        let at6 = ChainHead(after: try #require(try store.entry(at: 6)))
        try store.storeReceipt(try Receipt(signing: at6, with: Support.serviceKey), servicePublicKey: Support.serviceKey.publicKey)
        #expect(throws: LedgerStoreError(.appendOnly, "")) { try store.connection.execute("DELETE FROM entries WHERE sequence = 7") }
        #expect(try store.prune(now: now) == 6)
        #expect(try store.chainStart() == at6)

        let at13 = ChainHead(after: try #require(try store.entry(at: 13)))
        try store.storeReceipt(try Receipt(signing: at13, with: Support.serviceKey), servicePublicKey: Support.serviceKey.publicKey)
        // 11–13 are receipted but younger than the retention: they stay, here and in the trigger.
        #expect(try store.prune(now: now) == 4)
        #expect(throws: LedgerStoreError(.appendOnly, "")) { try store.connection.execute("DELETE FROM entries WHERE sequence = 11") }
        #expect(try store.entryCount() == 5)
        guard case .intact(let summary) = try store.verify(devicePublicKey: Support.deviceKey.publicKey) else {
            Issue.record("a pruned ledger must still verify from its anchor")
            return
        }
        #expect(summary.start.sequence == 10 && summary.entryCount == 5 && summary.head.sequence == 15)
        #expect(try store.append(Support.ride(1)).sequence == 16)

        // Removing anchors' cover: a reader must not accept a front cut that no receipt covers.
        try store.connection.execute("DROP TRIGGER receipts_no_delete")
        try store.connection.execute("DELETE FROM receipts")
        #expect(try store.verify() == .broken(LedgerFault(sequence: 1, reason: .missingEntries(expected: 1, found: 11))))
    }
}

import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import Testing

@testable import LedgerStore

/// `verify` checks the columns kept beside each entry against its bytes, and every stored
/// receipt against the chain and the service key; pruning trusts only the bytes.
@Suite struct ColumnAndReceiptVerificationTests {
    static func ledger(in directory: URL, interval: UInt64 = 4, count: Int = 15, at time: (Int) -> UnixTime = { _ in UnixTime(1_781_503_200) })
        throws -> LedgerStore
    {
        let store = try Support.open(
            directory.appendingPathComponent("ledger.db").path, .init(checkpointInterval: interval, retentionSeconds: 7 * 86_400))
        for index in 0..<count { try store.append(Support.ride(index, at: time(index))) }
        return store
    }

    @Test func aChangedDeviceTimeOrKindColumnIsNamed() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Self.ledger(in: directory)
        defer { store.close() }
        #expect(try store.verify().isIntact)
        let fifth = try #require(try store.entry(at: 5))
        try store.connection.execute("DROP TRIGGER entries_no_update")
        try store.connection.execute("UPDATE entries SET device_time = 1 WHERE sequence = 5")
        let reader = try LedgerStore(readingAt: store.path)
        #expect(
            try reader.verify(devicePublicKey: Support.deviceKey.publicKey)
                == .broken(LedgerFault(
                    sequence: 5,
                    reason: .storedColumnMismatch(column: "device_time", stored: "1", bytesSay: "\(fifth.record.deviceTime.rawValue)"))))
        try store.connection.execute("UPDATE entries SET device_time = \(fifth.record.deviceTime.rawValue), kind = 6 WHERE sequence = 5")
        #expect(
            try reader.verify() == .broken(LedgerFault(sequence: 5, reason: .storedColumnMismatch(column: "kind", stored: "6", bytesSay: "3"))))
        try store.connection.execute("UPDATE entries SET kind = 3 WHERE sequence = 5")
        #expect(try reader.verify().isIntact)
    }

    /// Entries from a minute ago whose `device_time` column was set to 1970: the receipt covers
    /// them, the trigger (which reads the column) would let them go, but pruning reads the bytes.
    @Test func pruningDecidesAgeFromTheBytesNotTheColumn() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = UnixTime(Date())
        let store = try Self.ledger(in: directory) { index in index < 3 ? now.adding(seconds: -30 * 86_400) : now.adding(seconds: -60) }
        defer { store.close() }
        let at12 = ChainHead(after: try #require(try store.entry(at: 12)))
        try store.storeReceipt(try Receipt(signing: at12, with: Support.serviceKey), servicePublicKey: Support.serviceKey.publicKey)
        try store.connection.execute("DROP TRIGGER entries_no_update")
        try store.connection.execute("UPDATE entries SET device_time = 1 WHERE sequence <= 12")
        // Only 1–3 are old by their bytes.
        #expect(try store.prune(now: now) == 3)
        #expect(try store.entryCount() == 12)
        #expect(try store.chainStart().sequence == 3)
    }

    /// Pruning refuses to run over entries that do not verify.
    @Test func pruningRefusesAChangedEntry() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = UnixTime(Date())
        let store = try Self.ledger(in: directory) { _ in now.adding(seconds: -30 * 86_400) }
        defer { store.close() }
        let at12 = ChainHead(after: try #require(try store.entry(at: 12)))
        try store.storeReceipt(try Receipt(signing: at12, with: Support.serviceKey), servicePublicKey: Support.serviceKey.publicKey)
        try store.connection.execute("DROP TRIGGER entries_no_update")
        try store.connection.execute("UPDATE entries SET hash = zeroblob(32) WHERE sequence = 4")
        #expect(throws: LedgerStoreError(.inconsistent, "")) { try store.prune(now: now) }
        #expect(try store.entryCount() == 15)
    }

    @Test func everyReceiptIsCheckedAgainstTheChainAndTheServiceKey() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Self.ledger(in: directory)
        defer { store.close() }
        let service = Support.serviceKey.publicKey
        for sequence: UInt64 in [6, 14] {
            let head = ChainHead(after: try #require(try store.entry(at: sequence)))
            try store.storeReceipt(try Receipt(signing: head, with: Support.serviceKey), servicePublicKey: service)
        }
        guard case .intact(let summary) = try store.verify(devicePublicKey: Support.deviceKey.publicKey, servicePublicKey: service) else {
            Issue.record("an untouched ledger with receipts must verify")
            return
        }
        #expect(summary.receiptCount == 2 && summary.lastReceiptSequence == 14 && summary.receiptSignaturesChecked)
        #expect(summary.coverage == [
            LedgerCoverage(first: 1, last: 12, kind: .checkpoint, statementSequence: 12),
            LedgerCoverage(first: 13, last: 14, kind: .receipt, statementSequence: 14),
            LedgerCoverage(first: 15, last: 15, kind: .chainOnly, statementSequence: nil),
        ])
        #expect(summary.chainOnlyEntries == 1 && summary.uncheckpointedEntries == 3)

        // Another service key: the receipts do not verify under the trusted one.
        #expect(
            try store.verify(servicePublicKey: Support.deviceKey.publicKey)
                == .broken(LedgerFault(sequence: 6, reason: .receiptSignatureInvalid)))

        try store.connection.execute("DROP TRIGGER receipts_no_update")
        let signature = try #require(try store.receipts().last).receipt.signature
        var flipped = signature
        flipped[10] ^= 0x01
        try store.connection.execute("UPDATE receipts SET signature = x'\(Hex.encode(flipped))' WHERE sequence = 14")
        #expect(try store.verify(servicePublicKey: service) == .broken(LedgerFault(sequence: 14, reason: .receiptSignatureInvalid)))
        // Without a trusted key, against the key recorded beside the receipt: still found.
        #expect(try store.verify() == .broken(LedgerFault(sequence: 14, reason: .receiptSignatureInvalid)))

        // The receipt's hash changed (and re-signed by the service key, as if the service had
        // signed another chain): it does not match this chain.
        let otherChain = ChainHead(deviceID: Support.device, sequence: 14, hash: .of([1, 2, 3]))
        let forged = try Receipt(signing: otherChain, with: Support.serviceKey)
        try store.connection.execute(
            "UPDATE receipts SET chain_hash = x'\(forged.chainHash.hex)', signature = x'\(Hex.encode(forged.signature))' WHERE sequence = 14")
        #expect(try store.verify(servicePublicKey: service) == .broken(LedgerFault(sequence: 14, reason: .receiptHashMismatch)))

        // A receipt beyond the last entry: the end was cut off.
        try store.connection.execute("UPDATE receipts SET chain_hash = x'\(ChainHead(after: try #require(try store.entry(at: 14))).hash.hex)', signature = x'\(Hex.encode(signature))' WHERE sequence = 14")
        #expect(try store.verify(servicePublicKey: service).isIntact)
        let beyond = try Receipt(signing: ChainHead(deviceID: Support.device, sequence: 20, hash: .of([9])), with: Support.serviceKey)
        try store.connection.execute(
            "INSERT INTO receipts VALUES (20, x'\(beyond.chainHash.hex)', x'\(Hex.encode(beyond.signature))', x'\(Hex.encode(service.rawRepresentation))')")
        #expect(try store.verify(servicePublicKey: service) == .broken(LedgerFault(sequence: 20, reason: .receiptBeyondEnd(lastSequence: 15))))
    }

    /// A checkpoint signed for an upload is stored only if it is this device's over this chain.
    @Test func onlyThisDevicesCheckpointsOverThisChainAreStored() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Self.ledger(in: directory)
        defer { store.close() }
        let at10 = ChainHead(after: try #require(try store.entry(at: 10)))
        let good = try Checkpoint(signing: at10, with: Support.deviceKey)
        try store.storeCheckpoint(good)
        try store.storeCheckpoint(good)
        #expect(try store.checkpoint(at: 10) == good)
        #expect(throws: LedgerStoreError(.invalidEntry, "")) { try store.storeCheckpoint(try Checkpoint(signing: at10, with: Support.serviceKey)) }
        let wrongHash = ChainHead(deviceID: Support.device, sequence: 11, hash: at10.hash)
        #expect(throws: LedgerStoreError(.invalidEntry, "")) { try store.storeCheckpoint(try Checkpoint(signing: wrongHash, with: Support.deviceKey)) }
        let beyond = ChainHead(deviceID: Support.device, sequence: 99, hash: at10.hash)
        #expect(throws: LedgerStoreError(.invalidEntry, "")) { try store.storeCheckpoint(try Checkpoint(signing: beyond, with: Support.deviceKey)) }
        #expect(try store.checkpoints().map(\.sequence) == [4, 8, 10, 12])
        #expect(try store.verify(devicePublicKey: Support.deviceKey.publicKey).isIntact)
        #expect(store.isInService)
    }

    /// Several prune anchors: a receipt or checkpoint at an earlier anchor must name its hash.
    @Test func statementsAtAnEarlierAnchorMustMatchIt() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = UnixTime(Date())
        let store = try Self.ledger(in: directory) { index in index < 10 ? now.adding(seconds: -30 * 86_400) : now.adding(seconds: -60) }
        defer { store.close() }
        let service = Support.serviceKey.publicKey
        let at4 = ChainHead(after: try #require(try store.entry(at: 4)))
        try store.storeReceipt(try Receipt(signing: at4, with: Support.serviceKey), servicePublicKey: service)
        #expect(try store.prune(now: now) == 4)
        let at8 = ChainHead(after: try #require(try store.entry(at: 8)))
        try store.storeReceipt(try Receipt(signing: at8, with: Support.serviceKey), servicePublicKey: service)
        #expect(try store.prune(now: now) == 4)
        #expect(try store.pruneAnchors().map(\.sequence) == [4, 8])
        #expect(try store.verify(devicePublicKey: Support.deviceKey.publicKey, servicePublicKey: service).isIntact)
        // The first anchor rewritten: the receipt and the checkpoint at 4 no longer match it.
        try store.connection.execute("DROP TRIGGER prune_anchors_no_update")
        try store.connection.execute("UPDATE prune_anchors SET chain_hash = zeroblob(32) WHERE sequence = 4")
        #expect(
            try store.verify(devicePublicKey: Support.deviceKey.publicKey, servicePublicKey: service)
                == .broken(LedgerFault(sequence: 4, reason: .checkpointHashMismatch)))
    }
}

import Foundation
import LedgerCore
import Testing

@testable import LedgerStore

/// Durable and deferred appends: which commits fsync, and what a power loss can leave.
///
/// A power loss cannot be staged on a real disk in a test; what it can do to the WAL can. After
/// the last fsync the WAL's later bytes may reach the disk in part, in any order. SQLite's WAL
/// recovery reads frames in order and stops at the first one whose (cumulative) checksum fails,
/// so every such outcome equals one where the WAL ends at some frame after the synced size, or
/// has a damaged frame there. Both are tried below at every frame and within frames.
@Suite struct DurabilityTests {
    @Test func deferredAppendsSyncOnlyWithTheNextDurableOne() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Support.open(directory.appendingPathComponent("ledger.db").path)
        #expect(store.durableSequence == 0)
        try store.append(Support.ride(0))
        #expect(store.durableSequence == 1)
        try store.append(Support.ride(1), durability: .deferred)
        let batch = try store.append(contentsOf: [Support.ride(2), Support.ride(3), Support.ride(4)], durability: .deferred)
        #expect(batch.map(\.sequence) == [3, 4, 5])
        #expect(store.head.sequence == 5 && store.durableSequence == 1)
        // The connection rests at FULL: checkpoints, receipts and pruning stay durable.
        #expect(try store.connection.integer("PRAGMA synchronous") == 2)
        try store.append(Support.ride(5))
        #expect(store.durableSequence == 6)
        try store.append(Support.ride(6), durability: .deferred)
        try store.makeDurable()
        #expect(store.durableSequence == 7)
        try store.append(Support.ride(7), durability: .deferred)
        // An upload batch never carries an entry that is not on disk.
        _ = try store.entries(from: 1, limit: 100)
        #expect(store.durableSequence == 8)
        #expect(try store.verify(devicePublicKey: Support.deviceKey.publicKey).isIntact)
    }

    @Test func aBatchIsOneTransactionWithItsCheckpoints() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        let store = try Support.open(path, .init(checkpointInterval: 3))
        let entries = try store.append(contentsOf: (0..<7).map { Support.ride($0) }, durability: .deferred)
        #expect(entries.map(\.sequence) == Array(1...7))
        #expect(store.lastCheckpointSequence == 6)
        #expect(try store.checkpoints().map(\.sequence) == [3, 6])
        #expect(try store.lastEntries(7) == entries)
        #expect(try store.verify(devicePublicKey: Support.deviceKey.publicKey).isIntact)
    }

    @Test func aPowerLossAfterTheLastFsyncLeavesAPrefixThatVerifies() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        let store = try Support.open(path, .init(checkpointInterval: 4))
        // A pending entry's fsync, then what a tap defers: charges with a confirmation, declines.
        for index in 0..<5 { try store.append(Support.ride(index)) }
        let durable = store.durableSequence
        let syncedSize = try Self.size(path + "-wal")
        try store.append(contentsOf: [Support.ride(5), Support.ride(6)], durability: .deferred)
        try store.append(Support.ride(7), durability: .deferred)
        try store.append(contentsOf: [Support.ride(8), Support.ride(9), Support.ride(10)], durability: .deferred)
        let written = try store.lastEntries(11)
        let database = try Data(contentsOf: URL(fileURLWithPath: path))
        let wal = try Data(contentsOf: URL(fileURLWithPath: path + "-wal"))
        #expect(wal.count > syncedSize)

        let pageSize = Int(try store.connection.integer("PRAGMA page_size") ?? 4096)
        let frameSize = 24 + pageSize
        var cuts = Set(stride(from: syncedSize, through: wal.count, by: frameSize))
        for frameStart in stride(from: syncedSize, to: wal.count, by: frameSize) {
            cuts.insert(frameStart + 24 + 100)
            cuts.insert(frameStart + frameSize - 1)
        }
        var outcomes: [String: UInt64] = [:]
        for cut in cuts.sorted() where cut <= wal.count {
            let head = try Self.recover(database, wal.prefix(cut), in: directory, name: "cut-\(cut)", written: written)
            #expect(head >= durable, "cut at \(cut): the synced entries must survive, found head \(head)")
            outcomes["cut-\(cut)"] = head
        }
        // A frame that did not reach the disk while later ones did.
        for frameStart in stride(from: syncedSize, to: wal.count, by: frameSize) {
            var damaged = wal
            damaged.replaceSubrange(frameStart..<(frameStart + frameSize), with: [UInt8](repeating: 0, count: frameSize))
            let head = try Self.recover(database, damaged, in: directory, name: "hole-\(frameStart)", written: written)
            #expect(head >= durable, "hole at \(frameStart): found head \(head)")
        }
        // The whole WAL keeps everything; the synced size alone keeps the durable entries.
        #expect(outcomes["cut-\(wal.count)"] == 11)
        #expect(outcomes["cut-\(syncedSize)"] == durable)
    }

    /// Opens a copy of the database with `wal` as its WAL (SQLite recovers it), checks that it
    /// holds a prefix of `written` that verifies, and returns its head.
    static func recover(_ database: Data, _ wal: Data, in directory: URL, name: String, written: [LedgerEntry]) throws -> UInt64 {
        let copy = directory.appendingPathComponent(name + ".db").path
        try database.write(to: URL(fileURLWithPath: copy))
        try wal.write(to: URL(fileURLWithPath: copy + "-wal"))
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
        }
        let recovered = try Support.open(copy, .init(checkpointInterval: 4))
        defer { recovered.close() }
        let head = recovered.head.sequence
        let kept = try recovered.lastEntries(Int(head))
        #expect(kept == Array(written.prefix(Int(head))), "\(name): not a prefix of what was written")
        #expect(try recovered.verify(devicePublicKey: Support.deviceKey.publicKey).isIntact, "\(name)")
        return head
    }

    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }
}

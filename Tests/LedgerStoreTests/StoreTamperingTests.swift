import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import PropertyBased
import PropertyTesting
import Testing

@testable import LedgerStore

/// Someone with the database file and `sqlite3` drops the triggers and edits rows: `verify` finds it.
@Suite struct StoreTamperingTests {
    enum Edit: CaseIterable {
        case rewriteEntryAndHash, flipByteKeepHash, deleteRow, swapRows, renumberAndInsert, forgeCheckpoint, moveCheckpointHash
    }

    @Test func sqlEditsOfTheFileAreFound() async throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let generator = Generator<(Edit, Int, Int, Int), Shrink.None<(Edit, Int, Int, Int)>> { rng in
            (Edit.allCases.randomElement(using: &rng)!, Int.random(in: 1...12, using: &rng),
             Int.random(in: 1...12, using: &rng), Int.random(in: 0..<120, using: &rng))
        }
        var round = 0
        await propertyCheck(count: 40, input: generator) { edit, first, second, byte in
            await failOnThrow {
                round += 1
                let path = directory.appendingPathComponent("ledger-\(round).db").path
                let store = try Support.open(path, .init(checkpointInterval: 5))
                var entries: [LedgerEntry] = []
                for index in 0..<12 { entries.append(try store.append(Support.ride(index))) }
                try store.checkpoint()
                #expect(try store.verify().isIntact)
                let db = store.connection
                try db.execute("DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete; DROP TRIGGER checkpoints_no_update")
                let other = first == second ? first % 12 + 1 : second
                switch edit {
                case .rewriteEntryAndHash:
                    let before = first == 1 ? ChainHead.genesis(for: Support.device) : ChainHead(after: entries[first - 2])
                    let forged = try before.seal(.rideAccepted(at: UnixTime(0), card: 1, layout: 1, fareKopecks: 0, route: 1, vehicle: 1))
                    try db.execute("UPDATE entries SET bytes = x'\(Hex.encode(forged.canonicalBytes))', hash = x'\(forged.hash.hex)' WHERE sequence = \(first)")
                case .flipByteKeepHash:
                    var bytes = entries[first - 1].canonicalBytes
                    bytes[byte] ^= 0x01
                    try db.execute("UPDATE entries SET bytes = x'\(Hex.encode(bytes))' WHERE sequence = \(first)")
                case .deleteRow:
                    try db.execute("DELETE FROM entries WHERE sequence = \(first)")
                case .swapRows:
                    let a = entries[first - 1], b = entries[other - 1]
                    try db.execute("UPDATE entries SET bytes = x'\(Hex.encode(b.canonicalBytes))', hash = x'\(b.hash.hex)' WHERE sequence = \(first)")
                    try db.execute("UPDATE entries SET bytes = x'\(Hex.encode(a.canonicalBytes))', hash = x'\(a.hash.hex)' WHERE sequence = \(other)")
                case .renumberAndInsert:
                    try db.execute("UPDATE entries SET sequence = sequence + 1000 WHERE sequence >= \(first)")
                    try db.execute("UPDATE entries SET sequence = sequence - 999 WHERE sequence > 1000")
                    let forged = try ChainHead(after: entries[first - 1]).seal(Support.ride(99))
                    try db.execute("INSERT INTO entries VALUES (\(first), x'\(Hex.encode(forged.canonicalBytes))', x'\(forged.hash.hex)', 0, 3)")
                case .forgeCheckpoint:
                    try db.execute("UPDATE checkpoints SET signature = zeroblob(64) WHERE sequence = (SELECT max(sequence) FROM checkpoints WHERE sequence <= \(max(5, first)))")
                case .moveCheckpointHash:
                    try db.execute("UPDATE checkpoints SET chain_hash = x'\(entries[first - 1].hash.hex)' WHERE sequence = 12 AND \(first) != 12")
                    if first == 12 { try db.execute("UPDATE checkpoints SET chain_hash = x'\(entries[0].hash.hex)' WHERE sequence = 5") }
                }
                let reader = try LedgerStore(readingAt: path)
                let verdict = try reader.verify(devicePublicKey: Support.deviceKey.publicKey)
                #expect(!verdict.isIntact, "\(edit) \(first)/\(other)/\(byte) went unnoticed")
                store.close()
            }
        }
    }
}

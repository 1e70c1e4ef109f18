import Entitlements
import LedgerCore
import NIOCore
import Testing

@testable import AccountingStore

/// The packed page PostgreSQL sends a month's reconciliation (`PackedWindowPage`), read
/// back; the query itself is exercised against a real server by the paging tests of every engine.
@Suite struct PackedWindowPageTests {
    /// Packs `rows` as the query does: length (int4), received time (int8), then the bytes.
    static func pack(_ rows: [(entry: LedgerEntry, received: Int64)]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for row in rows {
            buffer.writeInteger(Int32(row.entry.canonicalBytes.count), endianness: .big)
            buffer.writeInteger(row.received, endianness: .big)
            buffer.writeBytes(row.entry.canonicalBytes)
        }
        return buffer
    }

    @Test func entriesComeBackInSequenceOrderWithTheirReceivedTimes() throws {
        let chain = Fixture.chain(count: 6)
        // Aggregated in an order SQL does not promise: the reader puts them back by sequence.
        let rows = [3, 0, 5, 1, 4, 2].map { (entry: chain[$0], received: 1_800_000_100 + Int64($0)) }
        let entries = try PackedWindowPage.unpack(Self.pack(rows), count: 6)
        #expect(entries.map(\.entry) == chain)
        #expect(entries.map(\.receivedAt) == (0..<6).map { UnixTime(1_800_000_100 + Int64($0)) })
    }

    @Test func anEmptyPageHoldsNoEntries() throws {
        #expect(try PackedWindowPage.unpack(ByteBuffer(), count: 0).isEmpty)
    }

    @Test func aPageCutShortOrMiscountedIsInconsistent() throws {
        let chain = Fixture.chain(count: 3)
        let whole = Self.pack(chain.map { (entry: $0, received: 1_800_000_000) })
        // Cut inside the second row's header, then inside its entry's bytes.
        let firstRow = 12 + chain[0].canonicalBytes.count
        for cut in [firstRow + 5, firstRow + 12 + 10] {
            #expect(throws: StorageError(.inconsistent, "")) { try PackedWindowPage.unpack(whole.getSlice(at: 0, length: cut)!, count: 3) }
        }
        // Whole, but the count disagrees either way.
        #expect(throws: StorageError(.inconsistent, "")) { try PackedWindowPage.unpack(whole, count: 2) }
        #expect(throws: StorageError(.inconsistent, "")) { try PackedWindowPage.unpack(whole, count: 4) }
        // A negative length.
        var negative = ByteBuffer()
        negative.writeInteger(Int32(-1), endianness: .big)
        negative.writeInteger(Int64(0), endianness: .big)
        #expect(throws: StorageError(.inconsistent, "")) { try PackedWindowPage.unpack(negative, count: 1) }
    }

    @Test func anAlteredEntryIsRefusedByTheLedgerDecoder() throws {
        let entry = Fixture.chain(count: 1)[0]
        var packed = Self.pack([(entry: entry, received: 1_800_000_000)])
        // The entry's format byte, right after the 12-byte header.
        packed.setInteger(UInt8(0xEE), at: 12)
        #expect(throws: LedgerError.self) { try PackedWindowPage.unpack(packed, count: 1) }
    }
}

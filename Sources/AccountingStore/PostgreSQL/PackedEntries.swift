import Entitlements
import LedgerCore
import NIOCore

/// Reads back the page `EntrySQL.packedWindowPage` packs into one `bytea`: for each row, the
/// entry's length (int4) and received time (int8), both big-endian, then the entry's bytes.
enum PackedEntries {
    /// The entries of `packed`, by sequence; it must hold exactly `count` rows and nothing after them.
    static func unpack(_ packed: ByteBuffer, count: Int) throws -> [StoredEntry] {
        var buffer = packed
        var entries: [StoredEntry] = []
        entries.reserveCapacity(count)
        while buffer.readableBytes > 0 {
            guard let length = buffer.readInteger(endianness: .big, as: Int32.self),
                let received = buffer.readInteger(endianness: .big, as: Int64.self)
            else { throw StorageError(.inconsistent, "a packed page of entries ends inside a row's header") }
            guard length >= 0, let bytes = buffer.readBytes(length: Int(length)) else {
                throw StorageError(.inconsistent, "a packed page of entries ends inside an entry of \(length) bytes")
            }
            entries.append(StoredEntry(entry: try LedgerEntry(canonicalBytes: bytes), receivedAt: UnixTime(received)))
        }
        guard entries.count == count else {
            throw StorageError(.inconsistent, "a packed page of entries holds \(entries.count) rows, its count says \(count)")
        }
        // The server aggregates the rows as its ordered scan yields them, which SQL does not
        // promise: checked, and sorted in the rare case they came otherwise.
        // (By index: iterating the entries would copy each one.)
        if entries.indices.dropFirst().contains(where: { entries[$0 - 1].entry.sequence >= entries[$0].entry.sequence }) {
            entries.sort { $0.entry.sequence < $1.entry.sequence }
        }
        return entries
    }
}

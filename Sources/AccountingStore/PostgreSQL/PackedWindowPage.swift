import Entitlements
import Identifiers
import LedgerCore
import NIOCore
import PostgresNIO

/// One device's page of entries read from PostgreSQL as a single row: the rows `EntrySQL.windowPage`
/// selects (one device, a range of sequences, a device-time window, a limit), counted and packed
/// into one `bytea`. For each row: the entry's length (int4) and received time (int8), both
/// big-endian, then the entry's bytes.
///
/// A month's reconciliation reads millions of entries through this query. Sent row by row, the
/// client's work per row (a message, a row of the async sequence, its cells) cost more than the
/// entry's own decoding; packed, a page is one message. The rows are aggregated as the ordered
/// scan yields them, which SQL does not promise, so `unpack` puts them in sequence order itself
/// (sorting in the aggregate cost the server more than the rest of the query). A named prepared
/// statement: a month runs it a few thousand times, and it is parsed and planned once a connection.
struct PackedWindowPage: PostgresPreparedStatement {
    static let sql = """
        SELECT count(*), string_agg(int4send(octet_length(bytes)) || int8send(received_at) || bytes, ''::bytea)
        FROM (SELECT bytes, received_at FROM entries
              WHERE device_id = $1 AND sequence >= $2 AND sequence <= $3 AND device_time >= $4 AND device_time < $5
              ORDER BY sequence LIMIT $6) AS page
        """
    typealias Row = (Int64, ByteBuffer?)
    var device: DeviceID
    var sequences: ClosedRange<UInt64>
    var window: DeviceTimeWindow
    var limit: Int

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 6)
        binds.append(Int64(device.rawValue))
        binds.append(Int64(clamping: sequences.lowerBound))
        binds.append(Int64(clamping: sequences.upperBound))
        binds.append(window.lowerBound)
        binds.append(window.upperBound)
        binds.append(Int64(limit))
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }

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
        // By index: iterating the entries (or zipping them) copies each one, which cost more than
        // the rest of this function.
        if entries.indices.dropFirst().contains(where: { entries[$0 - 1].entry.sequence >= entries[$0].entry.sequence }) {
            entries.sort { $0.entry.sequence < $1.entry.sequence }
        }
        return entries
    }
}

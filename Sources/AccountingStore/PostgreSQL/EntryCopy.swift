import LedgerCore
import NIOCore

/// Entries as rows of `COPY entries (…) FROM STDIN` in PostgreSQL's text format, the fastest way
/// postgres-nio has to bulk-load rows (it speaks only the text format of COPY).
///
/// Every value the rows carry is an integer (decimal digits, an optional minus sign), NULL (`\N`)
/// or bytes (`\\x` and lowercase hex), so no value can contain the tab, newline or backslash that
/// would need escaping: the encoding cannot be steered by what an entry holds.
enum EntryCopy {
    /// The table.
    static let table = "entries"
    /// The columns, in the order each row carries them.
    static let columns = EntrySQL.insertColumns
    /// The columns of schema 5's backfill table: the key and the derived columns.
    static let fillColumns = ["device_id", "sequence"] + EntryColumns.schema5Names

    /// The rows for `entries` of `device`, received at `receivedAt`.
    static func rows(_ entries: some Collection<LedgerEntry>, device: Int64, receivedAt: Int64) -> ByteBuffer {
        var buffer = ByteBuffer()
        // About 2 × 170 hex digits of entry and hash a row, plus the numbers.
        buffer.reserveCapacity(entries.count * 480)
        for entry in entries {
            buffer.writeDecimal(device)
            buffer.writeInteger(UInt8(ascii: "\t"))
            buffer.writeDecimal(Int64(entry.sequence))
            buffer.writeInteger(UInt8(ascii: "\t"))
            buffer.writeColumns(EntryColumns(entry.record).values)
            buffer.writeByteaHex(entry.canonicalBytes)
            buffer.writeInteger(UInt8(ascii: "\t"))
            buffer.writeByteaHex(entry.hash.bytes)
            buffer.writeInteger(UInt8(ascii: "\t"))
            buffer.writeDecimal(receivedAt)
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        return buffer
    }

    /// Rows of `fillColumns` for schema 5's backfill: each entry's key and derived columns.
    static func fillRows(_ entries: [LedgerEntry]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(entries.count * 120)
        for entry in entries {
            buffer.writeDecimal(Int64(entry.deviceID.rawValue))
            buffer.writeInteger(UInt8(ascii: "\t"))
            buffer.writeDecimal(Int64(entry.sequence))
            buffer.writeInteger(UInt8(ascii: "\t"))
            buffer.writeColumns(EntryColumns(entry.record).schema5Values)
            // writeColumns ends with a tab; the row ends with a newline instead.
            buffer.moveWriterIndex(to: buffer.writerIndex - 1)
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        return buffer
    }
}

extension ByteBuffer {
    /// The derived columns, each followed by a tab; NULL as COPY's `\N`.
    fileprivate mutating func writeColumns(_ values: some Collection<Int64?>) {
        for value in values {
            if let value {
                writeDecimal(value)
            } else {
                writeInteger(UInt8(ascii: "\\"))
                writeInteger(UInt8(ascii: "N"))
            }
            writeInteger(UInt8(ascii: "\t"))
        }
    }

    /// `value` in decimal ASCII.
    fileprivate mutating func writeDecimal(_ value: Int64) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        // The magnitude as UInt64, so that Int64.min has one too.
        var magnitude = value.magnitude
        let count = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var position = scratch.count
            repeat {
                position -= 1
                scratch[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            return scratch.count - position
        }
        if value < 0 { writeInteger(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &digits) { scratch in
            _ = writeBytes(UnsafeRawBufferPointer(rebasing: scratch[(scratch.count - count)...]))
        }
    }

    /// `bytes` as a `bytea` in COPY's text format: `\\x` (the backslash doubled, as COPY's own
    /// escape) and two lowercase hex digits a byte.
    fileprivate mutating func writeByteaHex(_ bytes: [UInt8]) {
        writeInteger(UInt8(ascii: "\\"))
        writeInteger(UInt8(ascii: "\\"))
        writeInteger(UInt8(ascii: "x"))
        writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[index * 2] = Self.hexDigit(byte >> 4)
                out[index * 2 + 1] = Self.hexDigit(byte & 0x0F)
            }
            return bytes.count * 2
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

import LedgerCore
import NIOCore

/// Entries as rows of `COPY entries (…) FROM STDIN` in PostgreSQL's text format, the fastest way
/// postgres-nio has to bulk-load rows (it speaks only the text format of COPY).
///
/// Every value the rows carry is an integer (decimal digits, an optional minus sign), NULL (`\N`)
/// or bytes (`\\x` and lowercase hex), so no value can contain the tab, newline or backslash that
/// would need escaping: the encoding cannot be steered by what an entry holds.
///
/// Each row is written straight into memory reserved for it in the buffer (`CopyRowWriter`), not
/// byte by byte through `ByteBuffer`'s checked writes: the service encodes 1000 rows a batch, and
/// the checked writes took about 1.7 ms of processor a batch (docs/accounting.md, Performance,
/// "PostgreSQL with one device: COPY rows written in place, four batches in flight").
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
            let bytes = entry.canonicalBytes
            let hash = entry.hash.bytes
            // Seven values and the 17 derived columns, each at most 20 characters and a
            // separator, and the two byteas.
            let bound = 24 * CopyRowWriter.longestInteger + CopyRowWriter.byteaLength(bytes.count) + CopyRowWriter.byteaLength(hash.count)
            let columns = EntryColumns(entry.record)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { memory in
                var row = CopyRowWriter(memory)
                row.integer(device)
                row.separator()
                row.integer(Int64(entry.sequence))
                row.separator()
                columns.forEachValue { value in
                    row.integer(value)
                    row.separator()
                }
                row.bytea(bytes)
                row.separator()
                row.bytea(hash)
                row.separator()
                row.integer(receivedAt)
                row.endOfRow()
                return row.written
            }
        }
        return buffer
    }

    /// Rows of `fillColumns` for schema 5's backfill: each entry's key and derived columns.
    static func fillRows(_ entries: [LedgerEntry]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(entries.count * 120)
        for entry in entries {
            let values = EntryColumns(entry.record).schema5Values
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: (2 + values.count) * CopyRowWriter.longestInteger) { memory in
                var row = CopyRowWriter(memory)
                row.integer(Int64(entry.deviceID.rawValue))
                row.separator()
                row.integer(Int64(entry.sequence))
                for value in values {
                    row.separator()
                    row.integer(value)
                }
                row.endOfRow()
                return row.written
            }
        }
        return buffer
    }
}

/// Writes one COPY text row into memory reserved for it: the caller reserves at least as many
/// bytes as the row can take (`longestInteger` a number and its separator, `byteaLength` a
/// bytea and its separator), so each byte is stored without a check of its own.
struct CopyRowWriter {
    /// The most characters a number and its separator take: `-9223372036854775808` and a tab.
    static let longestInteger = 21

    /// The characters a bytea of `count` bytes and its separator take: `\\x`, two hex digits a
    /// byte, a tab.
    static func byteaLength(_ count: Int) -> Int { 3 + 2 * count + 1 }

    private let memory: UnsafeMutableRawBufferPointer
    /// The bytes written so far.
    private(set) var written = 0

    init(_ memory: UnsafeMutableRawBufferPointer) {
        self.memory = memory
    }

    private mutating func put(_ byte: UInt8) {
        memory.storeBytes(of: byte, toByteOffset: written, as: UInt8.self)
        written += 1
    }

    /// The tab between two values.
    mutating func separator() { put(UInt8(ascii: "\t")) }

    /// The newline that ends a row.
    mutating func endOfRow() { put(UInt8(ascii: "\n")) }

    /// `value` in decimal digits with a minus sign when negative, or COPY's NULL, `\N`.
    mutating func integer(_ value: Int64?) {
        guard let value else {
            put(UInt8(ascii: "\\"))
            put(UInt8(ascii: "N"))
            return
        }
        if value < 0 { put(UInt8(ascii: "-")) }
        // The magnitude as UInt64, so that Int64.min has one too; its digits from the last.
        var magnitude = value.magnitude
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var position = written + digits
        written = position
        repeat {
            position -= 1
            memory.storeBytes(of: UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10), toByteOffset: position, as: UInt8.self)
            magnitude /= 10
        } while magnitude > 0
    }

    /// `bytes` as a `bytea`: `\\x` (the backslash doubled, as COPY's own escape) and two
    /// lowercase hex digits a byte.
    mutating func bytea(_ bytes: [UInt8]) {
        put(UInt8(ascii: "\\"))
        put(UInt8(ascii: "\\"))
        put(UInt8(ascii: "x"))
        for byte in bytes {
            put(Self.hexDigit(byte >> 4))
            put(Self.hexDigit(byte & 0x0F))
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

import Identifiers
import LedgerCore
import NIOCore
import PropertyBased
import PropertyTesting
import Testing

@testable import AccountingStore

/// The COPY rows PostgreSQL's ingest sends (`EntryCopy`), against a plain encoding built from
/// Swift's own `String(Int64)` and `String(radix: 16)`: the rows are written in place, byte by
/// byte, so an off-by-one in a number's length or a hex digit would corrupt a row the server
/// then refuses or, worse, stores as another value. Real servers read these rows in every
/// PostgreSQL store test; these tests pin the exact text.
@Suite struct EntryCopyTests {
    /// One value in COPY's text format, the plain way.
    static func plain(_ value: Int64?) -> String { value.map { String($0) } ?? "\\N" }

    /// Bytes as a COPY `bytea`, the plain way.
    static func plain(_ bytes: [UInt8]) -> String {
        "\\\\x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The row `EntryCopy.rows` should write for `entry`.
    static func plainRow(_ entry: LedgerEntry, device: Int64, receivedAt: Int64) -> String {
        let fields = [String(device), String(entry.sequence)] + EntryColumns(entry.record).values.map(plain)
            + [plain(entry.canonicalBytes), plain(entry.hash.bytes), String(receivedAt)]
        return fields.joined(separator: "\t") + "\n"
    }

    static func text(_ buffer: ByteBuffer) -> String { String(decoding: buffer.readableBytesView, as: UTF8.self) }

    @Test func rowsOfEveryKindOfEntryAreThePlainEncoding() {
        let chain = BulkIngestTests.chainOfEveryKind(count: 60)
        let rows = EntryCopy.rows(chain, device: 4_294_967_295, receivedAt: -1)
        #expect(Self.text(rows) == chain.map { Self.plainRow($0, device: 4_294_967_295, receivedAt: -1) }.joined())
    }

    @Test func backfillRowsAreTheKeyAndTheSchemaFiveColumns() {
        let chain = BulkIngestTests.chainOfEveryKind(count: 30)
        let expected = chain.map { entry in
            ([String(entry.deviceID.rawValue), String(entry.sequence)] + EntryColumns(entry.record).schema5Values.map(Self.plain))
                .joined(separator: "\t") + "\n"
        }
        #expect(Self.text(EntryCopy.fillRows(chain)) == expected.joined())
    }

    /// Numbers from every length of decimal digits, both signs, the extremes and NULLs, and bytes
    /// of any length and value, written one after another into memory reserved as the rows do.
    @Test func anyNumbersAndBytesAreWrittenAsThePlainEncoding() async {
        let values = Generator<[Int64?], Shrink.None<[Int64?]>> { rng in
            (0..<Int.random(in: 1...40, using: &rng)).map { _ in
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: nil
                case 1: [Int64.min, Int64.max, 0, -1, 9, 10, -10, 99, 100].randomElement(using: &rng)!
                // A random number of decimal digits, so every length from 1 to 19 comes up.
                default: (Int64.random(in: 0...Int64.max, using: &rng) >> Int64.random(in: 0...62, using: &rng)) * (Bool.random(using: &rng) ? 1 : -1)
                }
            }
        }
        await propertyCheck(count: 300, input: values) { numbers in
            let bytes = (0..<numbers.count).map { _ in UInt8.random(in: 0...255) }
            let expected = numbers.map(Self.plain).joined(separator: "\t") + "\t" + Self.plain(bytes) + "\n"
            var buffer = ByteBuffer()
            let bound = numbers.count * CopyRowWriter.longestInteger + CopyRowWriter.byteaLength(bytes.count)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { memory in
                var row = CopyRowWriter(memory)
                for number in numbers {
                    row.integer(number)
                    row.separator()
                }
                row.bytea(bytes)
                row.endOfRow()
                #expect(row.written <= bound)
                return row.written
            }
            #expect(Self.text(buffer) == expected)
        }
    }
}

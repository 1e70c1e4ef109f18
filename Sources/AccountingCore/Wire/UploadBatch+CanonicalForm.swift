import Identifiers
import LedgerCore

extension UploadBatch {
    /// The batch, when `body` is in exactly the form `jsonBody()` writes and every part of it is
    /// valid; nil for anything else, which `init(jsonBody:)` then decodes (and refuses) with
    /// `JSONDecoder` as before.
    ///
    /// Why: decoding a batch of 1000 entries through `JSONDecoder`, one `String` and one `Data`
    /// an entry, took half of the time the service spent on a batch outside its database. Every
    /// uploader writes this one form (keys sorted, no spaces, plain base64), so reading it
    /// straight from the bytes is the common case. The form accepted here is a strict subset of
    /// what `JSONDecoder` accepts, and what it yields is what that path would yield: a body
    /// either decodes the same either way or is left to the general path (and its error codes).
    static func decodingCanonicalForm(_ body: [UInt8], limits: AccountingLimits) -> UploadBatch? {
        guard let located = CanonicalBatchBody(locating: body, limits: limits),
            let entries = located.entries(0..<located.entryCount)
        else { return nil }
        return located.batch(with: entries)
    }
}

/// A batch body in the canonical form (`UploadBatch.jsonBody()`), its device and checkpoint read
/// and its entries found but not yet decoded.
///
/// Why in two steps: decoding and hashing a batch's 1000 entries is most of the processor time a
/// batch costs the service outside its database, and each entry decodes on its own. Finding
/// where the entries lie is one quick pass; the service can then decode parts of the list on
/// several cores at once (`entries(_:)` is pure and each call independent). Together the two steps
/// accept exactly what `UploadBatch.decodingCanonicalForm` accepts.
public struct CanonicalBatchBody: Sendable {
    /// The device the body names.
    public let deviceID: DeviceID
    /// The checkpoint the body carries, its fields checked for form only.
    public let checkpoint: Checkpoint
    private let body: [UInt8]
    /// Where each entry's base64 text lies in `body`, between its quotes.
    private let entryTexts: [Range<Int>]

    /// How many entries the body holds.
    public var entryCount: Int { entryTexts.count }

    /// Reads the body's frame; nil when it is not exactly the canonical form (then
    /// `UploadBatch(jsonBody:limits:)` decodes or refuses it the general way).
    public init?(locating body: [UInt8], limits: AccountingLimits) {
        guard body.count <= limits.maximumBodyBytes else { return nil }
        let frame = body.withUnsafeBufferPointer { bytes -> (DeviceID, Checkpoint, [Range<Int>])? in
            var reader = CanonicalBodyReader(bytes: bytes)
            guard reader.expect(#"{"checkpoint":{"chainHash":""#), let chainHash = reader.plainString(),
                reader.expect(#","sequence":"#), let sequence = reader.number(),
                reader.expect(#","signature":""#), let signature = reader.plainString(),
                reader.expect(#"},"device":"#), let deviceNumber = reader.number(), let device = UInt32(exactly: deviceNumber),
                reader.expect(#","entries":["#)
            else { return nil }
            var texts: [Range<Int>] = []
            texts.reserveCapacity(min(limits.maximumBatchEntries, bytes.count / 64))
            repeat {
                guard texts.count < limits.maximumBatchEntries, reader.expect("\""), let text = reader.stringContent() else { return nil }
                texts.append(text)
            } while reader.expect(",")
            guard reader.expect("]}"), reader.isAtEnd else { return nil }
            let wire = CheckpointWire(sequence: sequence, chainHash: chainHash, signature: signature)
            guard let checkpoint = try? wire.checkpoint(device: DeviceID(rawValue: device)) else { return nil }
            return (DeviceID(rawValue: device), checkpoint, texts)
        }
        guard let (device, checkpoint, texts) = frame else { return nil }
        self.deviceID = device
        self.checkpoint = checkpoint
        self.body = body
        self.entryTexts = texts
    }

    /// The entries at `positions` (0 is the body's first entry), decoded and hashed; nil when any
    /// of them is not canonical base64 of an entry's canonical bytes.
    public func entries(_ positions: Range<Int>) -> [LedgerEntry]? {
        body.withUnsafeBufferPointer { bytes -> [LedgerEntry]? in
            var entries: [LedgerEntry] = []
            entries.reserveCapacity(positions.count)
            for position in positions {
                guard let decoded = CanonicalBodyReader.base64(bytes, entryTexts[position]),
                    let entry = try? LedgerEntry(canonicalBytes: decoded)
                else { return nil }
                entries.append(entry)
            }
            return entries
        }
    }

    /// The batch of this body's device and checkpoint with `entries` (all of the body's, decoded).
    public func batch(with entries: [LedgerEntry]) -> UploadBatch {
        UploadBatch(deviceID: deviceID, entries: entries, checkpoint: checkpoint)
    }
}

extension CheckpointWire {
    /// The wire form as decoded (for the canonical-form reader).
    init(sequence: UInt64, chainHash: String, signature: String) {
        self.sequence = sequence
        self.chainHash = chainHash
        self.signature = signature
    }
}

/// Reads the canonical form of a batch body; every method either consumes exactly what it
/// accepts or answers nil/false, and the caller gives up on the first refusal.
private struct CanonicalBodyReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    /// Consumes `literal` if the bytes continue with it.
    mutating func expect(_ literal: StaticString) -> Bool {
        let position = self.position
        let bytes = self.bytes
        let count = literal.withUTF8Buffer { expected -> Int? in
            guard bytes.count - position >= expected.count else { return nil }
            for offset in 0..<expected.count where bytes[position + offset] != expected[offset] { return nil }
            return expected.count
        }
        guard let count else { return false }
        self.position += count
        return true
    }

    /// A JSON number that is a plain non-negative integer without leading zeros, fitting UInt64.
    mutating func number() -> UInt64? {
        let start = position
        var value: UInt64 = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            let digit = UInt64(bytes[position] - UInt8(ascii: "0"))
            let (times10, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times10.addingReportingOverflow(digit)
            guard !overflowA, !overflowB else { return nil }
            value = sum
            position += 1
        }
        let length = position - start
        guard length > 0, length == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        // A fraction or exponent would make it another number than the digits read.
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") || bytes[position] | 0x20 == UInt8(ascii: "e") { return nil }
        return value
    }

    /// The rest of a string whose opening quote was consumed, holding only printable ASCII other
    /// than the quote and the backslash (so no escape can change what it says), and its closing quote.
    mutating func plainString() -> String? {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
            let byte = bytes[position]
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
            position += 1
        }
        guard position < bytes.count else { return nil }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        position += 1
        return text
    }

    /// The range of a string's content whose opening quote was consumed (up to the next quote:
    /// neither base64 nor its escaped slash `\/` holds one), and its closing quote; nil for an
    /// empty string or one without its closing quote.
    mutating func stringContent() -> Range<Int>? {
        let start = position
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += 1 }
        guard end < bytes.count, end > start else { return nil }
        position = end + 1
        return start..<end
    }

    /// The bytes of the base64 text at `text` of `bytes` (a string's content, without its quotes).
    ///
    /// Only the canonical form: the standard alphabet (a slash may come escaped, `\/`, as
    /// `JSONEncoder` writes it), whole groups of four, padding only at the end, and the unused
    /// bits of the last group zero. Anything else goes to the general path.
    ///
    /// This runs over every byte of a 160 kB body. Groups of four plain digits (most of them) go
    /// by table, three bytes at a time, into an array of the right capacity; a group holding an
    /// escaped slash or padding goes byte by byte, and the next group by table again.
    static func base64(_ bytes: UnsafeBufferPointer<UInt8>, _ text: Range<Int>) -> [UInt8]? {
        let start = text.lowerBound
        let end = text.upperBound
        var valid = true
        let out = [UInt8](unsafeUninitializedCapacity: (end - start) / 4 * 3 + 3) { buffer, count in
            count = 0
            Self.sextets.withUnsafeBufferPointer { table in
                var group: UInt32 = 0
                var inGroup = 0
                var padding = 0
                var index = start
                while index < end {
                    while index + 4 <= end {
                        let a = table[Int(bytes[index])], b = table[Int(bytes[index + 1])]
                        let c = table[Int(bytes[index + 2])], d = table[Int(bytes[index + 3])]
                        guard (a | b | c | d) < 64 else { break }
                        let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                        buffer[count] = UInt8(truncatingIfNeeded: value >> 16)
                        buffer[count + 1] = UInt8(truncatingIfNeeded: value >> 8)
                        buffer[count + 2] = UInt8(truncatingIfNeeded: value)
                        count += 3
                        index += 4
                    }
                    guard index < end else { break }
                    // One group byte by byte: it holds an escape, padding, or a byte that is
                    // no digit (refused here), or it is cut short by the end (refused below).
                    repeat {
                        var byte = bytes[index]
                        index += 1
                        if byte == UInt8(ascii: "\\") {
                            guard index < end, bytes[index] == UInt8(ascii: "/") else { valid = false; return }
                            byte = UInt8(ascii: "/")
                            index += 1
                        }
                        if byte == UInt8(ascii: "=") {
                            padding += 1
                            guard padding <= 2 else { valid = false; return }
                            group <<= 6
                        } else {
                            let value = table[Int(byte)]
                            guard padding == 0, value < 64 else { valid = false; return }
                            group = group << 6 | UInt32(value)
                        }
                        inGroup += 1
                    } while inGroup < 4 && index < end
                    guard inGroup == 4 else { valid = false; return }
                    // Padding may only close the string.
                    guard padding == 0 || index == end else { valid = false; return }
                    switch padding {
                    case 0:
                        buffer[count] = UInt8(truncatingIfNeeded: group >> 16)
                        buffer[count + 1] = UInt8(truncatingIfNeeded: group >> 8)
                        buffer[count + 2] = UInt8(truncatingIfNeeded: group)
                        count += 3
                    case 1:
                        guard group & 0xFF == 0 else { valid = false; return }
                        buffer[count] = UInt8(truncatingIfNeeded: group >> 16)
                        buffer[count + 1] = UInt8(truncatingIfNeeded: group >> 8)
                        count += 2
                    default:
                        guard group & 0xFFFF == 0 else { valid = false; return }
                        buffer[count] = UInt8(truncatingIfNeeded: group >> 16)
                        count += 1
                    }
                    group = 0
                    inGroup = 0
                }
            }
        }
        guard valid, !out.isEmpty else { return nil }
        return out
    }

    /// `sextet(_:)` of every byte value, for the group-at-a-time loop of `base64()`.
    private static let sextets: [UInt8] = (0...255).map { sextet(UInt8($0)) }

    /// The value of a base64 digit, or 64 for any other byte (the padding included).
    private static func sextet(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: 64
        }
    }
}

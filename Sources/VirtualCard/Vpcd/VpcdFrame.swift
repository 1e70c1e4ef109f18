/// One message of vpcd's socket protocol, in either direction.
///
/// vpcd frames everything as a 2-byte big-endian length followed by that many bytes. A 1-byte
/// payload from the reader is a control byte; anything longer is a command APDU.
public enum VpcdMessage: Hashable, Sendable {
    /// The reader switched the field off (0x00).
    case powerOff
    /// The reader switched the field on (0x01).
    case powerOn
    /// The reader reset the card (0x02); vpcd expects no reply.
    case reset
    /// The reader asks for the ATR (0x04); pcscd sends it as its presence check.
    case getATR
    /// A control byte this link does not know; it is ignored rather than fatal.
    case unknownControl(UInt8)
    /// A command APDU to be answered by the card.
    case apdu([UInt8])

    /// Classifies a received payload.
    public init(payload: [UInt8]) {
        guard payload.count == 1 else {
            self = .apdu(payload)
            return
        }
        switch payload[0] {
        case 0x00: self = .powerOff
        case 0x01: self = .powerOn
        case 0x02: self = .reset
        case 0x04: self = .getATR
        default: self = .unknownControl(payload[0])
        }
    }
}

/// Splits vpcd's byte stream into payloads and frames payloads for sending.
///
/// A value with no I/O, so the framing can be tested byte by byte: feed whatever `recv()`
/// returned, then take complete payloads until none is left.
public struct VpcdFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// The largest payload a 2-byte length can announce.
    public static let maximumPayload = 0xFFFF

    /// Appends received bytes.
    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete payload, or nil when more bytes are needed.
    ///
    /// A zero-length frame carries nothing vpcd defines; it is returned as an empty payload so
    /// the caller can decide (the link treats it as a protocol violation).
    public mutating func nextPayload() -> [UInt8]? {
        let available = buffer.count - start
        guard available >= 2 else { return nil }
        let length = Int(buffer[start]) << 8 | Int(buffer[start + 1])
        guard available >= 2 + length else { return nil }
        let payload = Array(buffer[(start + 2)..<(start + 2 + length)])
        start += 2 + length
        if start > 4096 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return payload
    }

    /// Bytes received but not yet returned as a payload.
    public var pendingByteCount: Int { buffer.count - start }

    /// Frames a payload for sending: length prefix and payload in one buffer, so that one
    /// `send()` carries both (two sends would invite Nagle's delay).
    public static func frame(_ payload: [UInt8]) throws(VpcdLinkError) -> [UInt8] {
        guard payload.count <= maximumPayload else {
            throw VpcdLinkError(.payloadTooLarge, "a vpcd frame carries at most 65535 bytes, got \(payload.count)")
        }
        var out: [UInt8] = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        out.reserveCapacity(2 + payload.count)
        out.append(contentsOf: payload)
        return out
    }
}

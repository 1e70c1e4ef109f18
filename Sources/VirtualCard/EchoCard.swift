import Synchronization

/// A card that echoes: it answers any command APDU with the command's data and `90 00`.
///
/// It presents the ATR and a UID of a DESFire card behind a PC/SC contactless reader, and
/// answers PC/SC GET DATA (`FF CA 00 00`) with its UID, so PC/SC code sees what a real card
/// looks like from the reader's side without any DESFire logic. Used for round-trip
/// benchmarks and PC/SC tests; it counts what the reader did so tests can check the link.
public final class EchoCard: EmulatedCard, Sendable {
    /// What the reader has done to this card so far.
    public struct Events: Sendable, Equatable {
        public var powerOns = 0
        public var powerOffs = 0
        public var resets = 0
        public var fieldExits = 0
        public var commands = 0
    }

    /// The ATR a PC/SC reader reports for a DESFire card (PC/SC part 3).
    public static let desfireATR: [UInt8] = [0x3B, 0x81, 0x80, 0x01, 0x80, 0x80]
    /// A fixed 7-byte NXP UID (first byte 0x04).
    public static let defaultUID: [UInt8] = [0x04, 0x48, 0x52, 0x4D, 0x44, 0x2A, 0x80]

    public let atr: [UInt8]
    /// The UID GET DATA returns.
    public let uid: [UInt8]
    private let counters = Mutex(Events())

    /// An echo card with the given UID and ATR (defaults: DESFire's).
    public init(uid: [UInt8] = EchoCard.defaultUID, atr: [UInt8] = EchoCard.desfireATR) {
        self.uid = uid
        self.atr = atr
    }

    /// A snapshot of the events seen so far.
    public var events: Events { counters.withLock { $0 } }

    public func powerOn() { counters.withLock { $0.powerOns += 1 } }
    public func powerOff() { counters.withLock { $0.powerOffs += 1 } }
    public func reset() { counters.withLock { $0.resets += 1 } }
    public func leaveField() { counters.withLock { $0.fieldExits += 1 } }

    public func respond(to command: [UInt8]) -> [UInt8] {
        counters.withLock { $0.commands += 1 }
        guard command.count >= 4 else { return [0x67, 0x00] }
        if command[0] == 0xFF && command[1] == 0xCA {
            // GET DATA: P1 00 is the UID; other P1 values (historical bytes) are not offered.
            guard command[2] == 0x00, command[3] == 0x00 else { return [0x6A, 0x81] }
            return uid + [0x90, 0x00]
        }
        guard let data = Self.commandData(command) else { return [0x67, 0x00] }
        return data + [0x90, 0x00]
    }

    /// The data field of a short command APDU (empty for cases 1 and 2), or nil if the
    /// lengths do not add up.
    private static func commandData(_ command: [UInt8]) -> [UInt8]? {
        let body = command.count - 4
        if body <= 1 { return [] }
        let lc = Int(command[4])
        guard lc > 0, body == 1 + lc || body == 2 + lc else { return nil }
        return Array(command[5..<(5 + lc)])
    }
}

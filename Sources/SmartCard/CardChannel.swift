/// Something that carries command APDUs to one card and brings back its answers.
///
/// The PC/SC adapter implements it over a real reader; tests may implement it over an
/// in-memory card. Everything above this protocol (the DESFire client, the validator's tap
/// logic) is written against it and never sees a reader handle.
///
/// Implementations throw ``CardError`` when the card is gone or misbehaves (removed, torn,
/// silent): the caller's tearing recovery handles those. They throw ``ReaderError`` when the
/// reader or the PC/SC service is broken: the caller reports the device out of order.
public protocol CardChannel: Sendable {
    /// Sends one command APDU and returns the card's response.
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU
}

/// Facts about the card in the field, as the reader reports them.
public struct CardIdentity: Hashable, Sendable {
    /// Answer to reset (for contactless cards, the reader's synthesized ATR).
    public var atr: [UInt8]

    public init(atr: [UInt8]) {
        self.atr = atr
    }

    /// The ATR a PC/SC contactless reader reports for a MIFARE DESFire card (PC/SC part 3).
    public static let desfireATR: [UInt8] = [0x3B, 0x81, 0x80, 0x01, 0x80, 0x80]

    /// Whether the ATR is the one a PC/SC reader gives a DESFire card.
    public var looksLikeDESFire: Bool { atr == Self.desfireATR }
}

extension CardChannel {
    /// PC/SC part 3 GET DATA: the card's UID as the reader read it during anticollision.
    public func readUID() async throws -> [UInt8] {
        let response = try await transmit(CommandAPDU(cla: 0xFF, ins: 0xCA, p1: 0x00, p2: 0x00, le: 0x00))
        guard response.status == .success else {
            throw CardError(.unexpectedStatus, "GET DATA (UID) answered \(response.status)")
        }
        return response.data
    }
}

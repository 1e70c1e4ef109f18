import SmartCard

/// What a reader reports about itself and the card in its field.
public struct ReaderStatus: Hashable, Sendable {
    /// The reader's PC/SC name.
    public var reader: String
    /// A card is in the field.
    public var cardPresent: Bool
    /// The card's ATR (empty when no card is present).
    public var atr: [UInt8]
    /// Another application holds the card exclusively.
    public var isExclusive: Bool
    /// Some application has the card open in shared mode.
    public var isInUse: Bool
    /// A card is present but does not answer (no ATR).
    public var isMute: Bool
    /// How many card insertions/removals pcscd has counted on this reader (wraps at 65536).
    /// Two statuses with the same presence but different counts mean the card was swapped.
    public var eventCount: Int

    /// The card's identity, if one is present.
    public var card: CardIdentity? { cardPresent ? CardIdentity(atr: atr) : nil }

    init(reader: String, eventState: UInt, atr: [UInt8]) {
        self.reader = reader
        self.cardPresent = eventState & ReaderStateBits.present != 0
        self.atr = cardPresent ? atr : []
        self.isExclusive = eventState & ReaderStateBits.exclusive != 0
        self.isInUse = eventState & ReaderStateBits.inUse != 0
        self.isMute = eventState & ReaderStateBits.mute != 0
        self.eventCount = Int((eventState >> 16) & 0xFFFF)
    }
}

/// A transmission protocol between reader and card.
public enum CardProtocol: Hashable, Sendable, CustomStringConvertible {
    /// ISO 7816-3 T=0 (character protocol).
    case t0
    /// ISO 7816-3 T=1 (block protocol); what contactless readers use for ISO 14443-4 cards.
    case t1
    /// Raw: the reader passes bytes as they are.
    case raw

    public var description: String {
        switch self {
        case .t0: "T=0"
        case .t1: "T=1"
        case .raw: "raw"
        }
    }
}

/// The protocols a connection may use; the reader picks one the card supports.
public struct CardProtocols: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let t0 = CardProtocols(rawValue: 0x0001)
    public static let t1 = CardProtocols(rawValue: 0x0002)
    public static let raw = CardProtocols(rawValue: 0x0004)
    /// T=0 or T=1, whichever the card and reader agree on.
    public static let any: CardProtocols = [.t0, .t1]
}

/// What happens to the card when a connection ends.
public enum CardDisposition: Hashable, Sendable {
    /// Leave it as it is (fastest; another application may continue a session on it).
    case leave
    /// Warm-reset it: any authenticated session or selected application on it is dropped.
    case reset
    /// Switch it off (for contactless cards, the field is cycled).
    case unpower
    /// Eject it (readers with a motor; others treat it as leave).
    case eject
}

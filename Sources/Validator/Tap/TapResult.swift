import Entitlements
import Identifiers
import Tariff

/// A message for the passenger's display, Ukrainian first, with a stable key.
public struct TapMessage: Hashable, Sendable, Codable {
    /// Which message (the tariff's message keys, plus the validator's own below).
    public var key: String
    /// Ukrainian text.
    public var uk: String
    /// English text.
    public var en: String

    /// Creates a message.
    public init(key: String, uk: String, en: String) {
        self.key = key
        self.uk = uk
        self.en = en
    }

    /// The tariff's message.
    public init(_ message: PassengerMessage) {
        self.init(key: message.key.rawValue, uk: message.uk, en: message.en)
    }

    /// The card is not one this validator serves.
    public static let cardNotSupported = TapMessage(
        key: "card-not-supported", uk: "Картка не підтримується. Зверніться до ЦНАП",
        en: "Card not supported. Please visit the community office")
    /// The card's data does not decode.
    public static let cardDamaged = TapMessage(
        key: "card-damaged", uk: "Дані картки пошкоджено. Зверніться до ЦНАП",
        en: "Card data damaged. Please visit the community office")
    /// The tap did not finish (card moved away, answered garbage, too slow): nothing was charged.
    public static let tapAgain = TapMessage(
        key: "tap-again", uk: "Прикладіть картку ще раз", en: "Please tap the card again")
    /// The commit's answer was lost: the next tap tells whether the ride was recorded.
    public static let tapAgainToConfirm = TapMessage(
        key: "tap-again-to-confirm", uk: "Прикладіть картку ще раз для підтвердження",
        en: "Please tap the card again to confirm")
    /// The validator cannot record, so it charges nothing.
    public static let outOfService = TapMessage(
        key: "out-of-service", uk: "Валідатор не працює. Зверніться до водія",
        en: "Validator out of service. Please see the driver")
}

/// What a tap came to: accepted, refused, or uncertain until the card's next tap.
public enum TapVerdict: String, Hashable, Sendable, Codable {
    /// A ride (or transfer) was accepted and written to the card.
    case accepted = "accept"
    /// The same card again within the anti-passback window: nothing charged.
    case repeated = "repeat"
    /// Refused (a tariff reason, or a card or device the validator cannot use).
    case declined = "decline"
    /// The card left while its commit was being answered; the next tap resolves it.
    case uncertain = "uncertain"
}

/// One tap as reported on stdout (one JSON line) and to metrics.
public struct TapResult: Hashable, Sendable {
    /// When the tap was decided.
    public var time: UnixTime
    /// The reader it happened on.
    public var reader: String
    /// The card's community serial, when it was read.
    public var cardSerial: CardSerial?
    /// The verdict.
    public var verdict: TapVerdict
    /// A stable reason code: the message key of an acceptance, the denial code, or the error code.
    public var reason: String
    /// What the passenger sees.
    public var message: TapMessage
    /// Kopecks charged (0 for benefit rides; absent when nothing was decided).
    public var fareKopecks: Int?
    /// The benefit category used.
    public var category: CategoryCode?
    /// Rides left in the period, for counted entitlements.
    public var ridesLeft: Int?
    /// The purse after the tap.
    public var purseBalanceKopecks: Int?
    /// The ledger entry that records the tap (the charge, the decline, or the pending transaction).
    public var ledgerSequence: UInt64?
    /// Pending transactions of this card that this tap resolved.
    public var resolvedPending: Int
    /// APDUs exchanged with the card.
    public var apduCount: Int

    /// Creates a result.
    public init(
        time: UnixTime, reader: String, cardSerial: CardSerial? = nil, verdict: TapVerdict, reason: String, message: TapMessage,
        fareKopecks: Int? = nil, category: CategoryCode? = nil, ridesLeft: Int? = nil, purseBalanceKopecks: Int? = nil,
        ledgerSequence: UInt64? = nil, resolvedPending: Int = 0, apduCount: Int = 0
    ) {
        self.time = time
        self.reader = reader
        self.cardSerial = cardSerial
        self.verdict = verdict
        self.reason = reason
        self.message = message
        self.fareKopecks = fareKopecks
        self.category = category
        self.ridesLeft = ridesLeft
        self.purseBalanceKopecks = purseBalanceKopecks
        self.ledgerSequence = ledgerSequence
        self.resolvedPending = resolvedPending
        self.apduCount = apduCount
    }
}

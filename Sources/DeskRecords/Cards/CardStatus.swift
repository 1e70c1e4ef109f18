import Entitlements
import Identifiers

/// Why a card was blocked.
public enum BlockReason: String, Hashable, Sendable, CaseIterable, Codable {
    /// The holder lost it.
    case lost
    /// It was stolen.
    case stolen
    /// It was used fraudulently (cloned, tampered).
    case fraud
    /// Any other reason the supervisor records.
    case other
}

/// One step in a card's life, as the registry's status history records it (append-only).
public enum CardStatusEvent: Hashable, Sendable {
    /// Personalized at the desk.
    case issued
    /// Handed to the holder and in use.
    case active
    /// Blocked (deny-listed) for a reason.
    case blocked(BlockReason)
    /// Replaced by the card with this serial (its entitlements and balance moved there).
    case replaced(by: CardSerial)
    /// Past its expiry date.
    case expired
    /// Returned to the desk (moved away, death, no longer needed).
    case returned

    /// The stable name stored in the database.
    public var kind: String {
        switch self {
        case .issued: "issued"
        case .active: "active"
        case .blocked: "blocked"
        case .replaced: "replaced"
        case .expired: "expired"
        case .returned: "returned"
        }
    }

    /// The detail stored beside the kind: the block reason or the replacing serial.
    public var detail: String? {
        switch self {
        case .blocked(let reason): reason.rawValue
        case .replaced(let serial): serial.printed
        default: nil
        }
    }

    /// Reads back a stored kind and detail; nil for an unknown pair.
    public init?(kind: String, detail: String?) {
        switch kind {
        case "issued": self = .issued
        case "active": self = .active
        case "expired": self = .expired
        case "returned": self = .returned
        case "blocked":
            guard let reason = detail.flatMap(BlockReason.init(rawValue:)) else { return nil }
            self = .blocked(reason)
        case "replaced":
            guard let serial = detail.flatMap(CardSerial.init(printed:)) else { return nil }
            self = .replaced(by: serial)
        default: return nil
        }
    }

    /// Whether a card whose latest event is this one can still ride (issued or active).
    public var isLive: Bool {
        switch self {
        case .issued, .active: true
        default: false
        }
    }

    /// Ukrainian, for the clerk.
    public var ukrainian: String {
        switch self {
        case .issued: "видана"
        case .active: "діє"
        case .blocked(let reason):
            "заблокована (" + ["lost": "втрачена", "stolen": "викрадена", "fraud": "шахрайство", "other": "інше"][reason.rawValue, default: ""] + ")"
        case .replaced(let serial): "замінена на \(serial.printed)"
        case .expired: "строк дії минув"
        case .returned: "повернена"
        }
    }

    /// English.
    public var english: String {
        switch self {
        case .issued: "issued"
        case .active: "active"
        case .blocked(let reason): "blocked (\(reason.rawValue))"
        case .replaced(let serial): "replaced by \(serial.printed)"
        case .expired: "expired"
        case .returned: "returned"
        }
    }
}

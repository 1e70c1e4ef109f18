import Entitlements
import Identifiers

/// An entitlement as the registry recorded it written on a card.
public struct WrittenEntitlement: Hashable, Sendable {
    /// Its id on the card.
    public var id: EntitlementID
    /// Its benefit category.
    public var category: CategoryCode
    /// The product, as the desk wrote it (`free`, `rides:30/month`, …).
    public var product: String
    /// First day valid.
    public var validFrom: CivilDate
    /// Last day valid.
    public var validUntil: CivilDate

    /// Creates a record of a written entitlement.
    public init(id: EntitlementID, category: CategoryCode, product: String, validFrom: CivilDate, validUntil: CivilDate) {
        self.id = id
        self.category = category
        self.product = product
        self.validFrom = validFrom
        self.validUntil = validUntil
    }
}

/// A card the worklist considers: whose it is, whether it can still ride, what it carries.
public struct WorklistCard: Hashable, Sendable {
    /// The holder.
    public var holder: Int64
    /// The card.
    public var serial: CardSerial
    /// Whether its latest status lets it ride (issued or active).
    public var isLive: Bool
    /// The entitlements written on it.
    public var entitlements: [WrittenEntitlement]

    /// Creates a card for the worklist.
    public init(holder: Int64, serial: CardSerial, isLive: Bool, entitlements: [WrittenEntitlement]) {
        self.holder = holder
        self.serial = serial
        self.isLive = isLive
        self.entitlements = entitlements
    }
}

/// One holder to call or see: a card whose benefit needs a clerk before it meets a refusal at
/// the bus door.
public struct WorklistItem: Hashable, Sendable {
    /// Why the item is on the list.
    public enum Reason: Hashable, Sendable {
        /// The eligibility for the category ended on this day (before today).
        case eligibilityLapsed(on: CivilDate)
        /// The eligibility ends on this day, within the horizon.
        case eligibilityLapsing(on: CivilDate)
        /// The registry holds no eligibility of this category for the holder at all.
        case noEligibility
        /// The eligibility continues but the entitlement on the card ends (or ended) on this day:
        /// the card needs a renewal.
        case entitlementEnding(on: CivilDate)

        /// A stable name for scripts.
        public var code: String {
            switch self {
            case .eligibilityLapsed: "eligibility-lapsed"
            case .eligibilityLapsing: "eligibility-lapsing"
            case .noEligibility: "no-eligibility"
            case .entitlementEnding: "entitlement-ending"
            }
        }
    }

    /// The holder.
    public var holder: Int64
    /// The card.
    public var serial: CardSerial
    /// The entitlement on the card.
    public var entitlement: EntitlementID
    /// Its category.
    public var category: CategoryCode
    /// Why.
    public var reason: Reason
    /// The day by which to act (the lapse or end; today for a missing eligibility).
    public var dueOn: CivilDate
}

/// The renewal worklist rule (docs/desk-registry.md, "The renewal worklist").
///
/// A live card's entitlement is listed when it is still current or ended within the last
/// `horizonDays` (a refusal at the door has just begun), and either the holder's eligibility of
/// its category ends before `today + horizonDays` (lapsed or lapsing; none at all counts too),
/// or the eligibility runs on but the entitlement itself ends within the horizon. The holder's
/// coverage of a category is the latest end among their eligibilities of it that have started.
public enum RenewalWorklist {
    /// The items, earliest due first.
    public static func items(cards: [WorklistCard], eligibilities: [HeldEligibility], today: CivilDate, horizonDays: Int) -> [WorklistItem] {
        let horizon = today.adding(days: horizonDays)
        let since = today.adding(days: -horizonDays)
        struct Key: Hashable { var holder: Int64, category: CategoryCode }
        // nil inside: open-ended coverage.
        var coverage: [Key: CivilDate?] = [:]
        for eligibility in eligibilities where eligibility.terms.validFrom <= horizon {
            let key = Key(holder: eligibility.holder, category: eligibility.terms.category)
            switch (coverage[key], eligibility.terms.validUntil) {
            case (.none, let end): coverage[key] = .some(end)
            case (.some(.none), _): break
            case (.some(.some), .none): coverage[key] = .some(nil)
            case (.some(.some(let held)), .some(let end)): coverage[key] = .some(max(held, end))
            }
        }
        var items: [WorklistItem] = []
        for card in cards where card.isLive {
            for entitlement in card.entitlements where entitlement.validUntil >= since {
                let key = Key(holder: card.holder, category: entitlement.category)
                let reason: WorklistItem.Reason
                let due: CivilDate
                switch coverage[key] {
                case .none:
                    reason = .noEligibility
                    due = today
                case .some(.some(let end)) where end < today:
                    reason = .eligibilityLapsed(on: end)
                    due = end
                case .some(.some(let end)) where end < horizon:
                    reason = .eligibilityLapsing(on: end)
                    due = end
                default:
                    guard entitlement.validUntil < horizon else { continue }
                    reason = .entitlementEnding(on: entitlement.validUntil)
                    due = entitlement.validUntil
                }
                items.append(
                    WorklistItem(
                        holder: card.holder, serial: card.serial, entitlement: entitlement.id, category: entitlement.category, reason: reason,
                        dueOn: due))
            }
        }
        return items.sorted { ($0.dueOn, $0.holder, $0.serial, $0.entitlement) < ($1.dueOn, $1.holder, $1.serial, $1.entitlement) }
    }
}

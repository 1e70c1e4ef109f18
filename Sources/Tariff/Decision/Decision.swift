import Entitlements
import Identifiers

/// The outcome of a tap: accepted (with everything to write) or refused (with why).
public enum Decision: Hashable, Sendable {
    /// Let the passenger ride; apply the updates to the card in one transaction.
    case accept(Acceptance)
    /// Refuse the ride.
    case deny(Denial)

    /// The acceptance, if accepted.
    public var acceptance: Acceptance? {
        if case .accept(let acceptance) = self { acceptance } else { nil }
    }

    /// The denial, if refused.
    public var denial: Denial? {
        if case .deny(let denial) = self { denial } else { nil }
    }

    /// The message to show the passenger.
    public var message: PassengerMessage {
        switch self {
        case .accept(let acceptance): acceptance.message
        case .deny(let denial): denial.message
        }
    }
}

/// What kind of acceptance.
public enum AcceptanceKind: String, Hashable, Sendable, Codable {
    /// A new ride.
    case ride
    /// A transfer within the tariff's transfer window.
    case transfer
    /// The same card again on the same vehicle within the anti-passback window: nothing charged, nothing written.
    case repeatTap = "repeat-tap"
}

/// An accepted tap and everything the validator must write and record.
public struct Acceptance: Hashable, Sendable {
    /// Ride, transfer or repeat.
    public var kind: AcceptanceKind
    /// What the passenger pays now, in kopecks (0 for free rides, passes, repeats).
    public var fareKopecks: Int
    /// The ride's full fare, in kopecks.
    public var fullFareKopecks: Int
    /// The entitlement used, if any.
    public var entitlement: EntitlementTerms?
    /// The counter value to write, if a counted ride was used.
    public var counterUpdate: UsageCounter?
    /// Rides left in the period after this one, for counted rides.
    public var ridesLeft: Int?
    /// The amount to debit from the purse, in kopecks (equals `fareKopecks`).
    public var purseDebitKopecks: Int
    /// The purse balance after the debit.
    public var purseBalanceAfterKopecks: Int
    /// The record to append to the card's trip log (`nil` for a repeat tap).
    public var tripRecord: TripRecord?
    /// The message to show the passenger.
    public var message: PassengerMessage

    /// Creates an acceptance.
    public init(
        kind: AcceptanceKind, fareKopecks: Int, fullFareKopecks: Int, entitlement: EntitlementTerms?,
        counterUpdate: UsageCounter?, ridesLeft: Int?, purseDebitKopecks: Int, purseBalanceAfterKopecks: Int,
        tripRecord: TripRecord?, message: PassengerMessage
    ) {
        self.kind = kind
        self.fareKopecks = fareKopecks
        self.fullFareKopecks = fullFareKopecks
        self.entitlement = entitlement
        self.counterUpdate = counterUpdate
        self.ridesLeft = ridesLeft
        self.purseDebitKopecks = purseDebitKopecks
        self.purseBalanceAfterKopecks = purseBalanceAfterKopecks
        self.tripRecord = tripRecord
        self.message = message
    }
}

/// A refused tap.
public struct Denial: Hashable, Sendable {
    /// Why.
    public var reason: DenialReason
    /// Whether the validator must set the card's blocked flag (deny-listed cards).
    public var markCardBlocked: Bool
    /// The message to show the passenger.
    public var message: PassengerMessage

    /// Creates a denial.
    public init(reason: DenialReason, markCardBlocked: Bool, message: PassengerMessage) {
        self.reason = reason
        self.markCardBlocked = markCardBlocked
        self.message = message
    }
}

/// Why a tap was refused.
public enum DenialReason: Hashable, Sendable {
    /// The card was personalized with a layout version this tariff does not accept.
    case unknownLayoutVersion(LayoutVersion)
    /// The card's own blocked flag is set.
    case cardBlocked
    /// The card is on the deny list.
    case denyListed(DenyList.Reason)
    /// No entitlement applies here and now, and the purse may not be used without one.
    case noValidEntitlement
    /// Entitlements exist but none is open at this time of day or week.
    case outsideTimeWindow
    /// Entitlements exist but none covers this route or zone.
    case routeNotCovered
    /// The ride allowance for the period is used up; it starts again on `renewsOn`.
    case rideLimitReached(renewsOn: CivilDate)
    /// The purse holds less than the fare.
    case insufficientFunds(balanceKopecks: Int, fareKopecks: Int)

    /// A stable name for logs and ledgers.
    public var code: String {
        switch self {
        case .unknownLayoutVersion: "unknown-layout-version"
        case .cardBlocked: "card-blocked"
        case .denyListed: "deny-listed"
        case .noValidEntitlement: "no-valid-entitlement"
        case .outsideTimeWindow: "outside-time-window"
        case .routeNotCovered: "route-not-covered"
        case .rideLimitReached: "ride-limit-reached"
        case .insufficientFunds: "insufficient-funds"
        }
    }
}

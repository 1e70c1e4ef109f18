/// What an entitlement gives its holder on a ride.
public enum Product: Hashable, Sendable {
    /// Every ride is free, without limit.
    case free
    /// Each ride costs the fare less `percent` per cent (1–100), paid from the purse.
    case discount(percent: UInt8)
    /// `count` free rides per calendar period in local time; beyond that, other entitlements apply.
    case rides(count: UInt16, per: RidePeriod)
    /// Free rides on the days from `from` through `through` (inclusive, local dates).
    case pass(from: CivilDate, through: CivilDate)
    /// Rides paid at the full fare from the card's purse.
    case storedValue

    /// The kind of product, for ranking and reports.
    public var kind: ProductKind {
        switch self {
        case .free: .free
        case .discount: .discount
        case .rides: .rides
        case .pass: .pass
        case .storedValue: .storedValue
        }
    }
}

/// The kind of a product, without its parameters; also its one-byte tag in the encoding.
public enum ProductKind: UInt8, Hashable, Sendable, Codable, CaseIterable {
    /// `Product.free`.
    case free = 1
    /// `Product.discount`.
    case discount = 2
    /// `Product.rides`.
    case rides = 3
    /// `Product.pass`.
    case pass = 4
    /// `Product.storedValue`.
    case storedValue = 5
}

/// A calendar period for ride limits, counted in the community's local time.
public enum RidePeriod: UInt8, Hashable, Sendable, Codable, CaseIterable {
    /// A local calendar day, midnight to midnight.
    case day = 1
    /// An ISO week, Monday 00:00 to the next Monday 00:00 local time.
    case week = 2
    /// A calendar month, local time.
    case month = 3

    /// The first day of the period containing `date`.
    public func start(containing date: CivilDate) -> CivilDate {
        switch self {
        case .day: date
        case .week: date.startOfISOWeek
        case .month: date.startOfMonth
        }
    }
}

/// A weekly time window in local time, e.g. weekdays 06:00–22:00.
///
/// `fromMinute` is inclusive and `untilMinute` exclusive, minutes since local midnight. A window
/// with `untilMinute <= fromMinute` runs past midnight (22:00–02:00); the part after midnight
/// belongs to the weekday on which the window started.
public struct TimeWindow: Hashable, Sendable, Codable {
    /// The days on which the window opens.
    public var weekdays: WeekdaySet
    /// Opening minute since local midnight, 0–1439.
    public var fromMinute: UInt16
    /// Closing minute since local midnight, 1–1440, exclusive.
    public var untilMinute: UInt16

    /// Creates a window.
    public init(weekdays: WeekdaySet, fromMinute: UInt16, untilMinute: UInt16) {
        self.weekdays = weekdays
        self.fromMinute = fromMinute
        self.untilMinute = untilMinute
    }

    /// Creates a window from hours and minutes, e.g. `(6, 0)` to `(22, 0)`.
    public init(weekdays: WeekdaySet, from: (hour: Int, minute: Int), until: (hour: Int, minute: Int)) {
        self.init(
            weekdays: weekdays,
            fromMinute: UInt16(clamping: from.hour * 60 + from.minute),
            untilMinute: UInt16(clamping: until.hour * 60 + until.minute))
    }

    /// Whether the window is open at a local date and time.
    public func contains(_ local: LocalDateTime) -> Bool {
        let minute = Int(local.minuteOfDay)
        let from = Int(fromMinute)
        let until = Int(untilMinute)
        if from < until {
            return weekdays.contains(local.weekday) && minute >= from && minute < until
        }
        if minute >= from { return weekdays.contains(local.weekday) }
        if minute < until { return weekdays.contains(local.date.adding(days: -1).weekday) }
        return false
    }

    /// Whether the fields are in range (used by the encoder and decoder).
    var isWellFormed: Bool {
        weekdays.rawValue != 0 && weekdays.rawValue & 0x80 == 0 && fromMinute < 1440
            && (1...1440).contains(untilMinute) && fromMinute != untilMinute
    }
}

/// A calendar date (proleptic Gregorian) with no time and no zone: "the 1st of March 2026".
///
/// Entitlement validity and ride-period starts are civil dates in the community's local time,
/// because that is how a desk clerk and a passenger read them. Stored as days since 1970-01-01.
public struct CivilDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before).
    public let daysSinceEpoch: Int32

    /// Creates a date from its day number since 1970-01-01.
    public init(daysSinceEpoch: Int32) { self.daysSinceEpoch = daysSinceEpoch }

    /// Creates a date from year, month (1–12) and day (1–31); `nil` if no such date exists
    /// (or it lies beyond the ±5.8 million years a day count of 32 bits can hold).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
            (-6_000_000...6_000_000).contains(year),
            let days = Int32(exactly: CivilDate.days(year: year, month: month, day: day))
        else { return nil }
        self.daysSinceEpoch = days
    }

    /// The first of a month, saturating at the ends of the representable range instead of failing.
    ///
    /// Date arithmetic on values read from cards must never trap, however absurd the value.
    init(saturatingYear year: Int, month: Int) {
        let clampedYear = min(max(year, -6_000_000), 6_000_000)
        let clampedMonth = min(max(month, 1), 12)
        self.daysSinceEpoch = Int32(clamping: CivilDate.days(year: clampedYear, month: clampedMonth, day: 1))
    }

    /// The year, month and day.
    public var components: (year: Int, month: Int, day: Int) {
        // Civil-from-days over 400-year eras (the algorithm popularised by H. Hinnant).
        let z = Int(daysSinceEpoch) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// The year.
    public var year: Int { components.year }
    /// The month, 1–12.
    public var month: Int { components.month }
    /// The day of the month, 1–31.
    public var day: Int { components.day }

    /// The day of the week (1970-01-01 was a Thursday).
    public var weekday: Weekday {
        let mondayBased = (Int(daysSinceEpoch) + 3).flooredModulo(7)
        return Weekday(rawValue: UInt8(mondayBased + 1))!
    }

    /// The date `count` days later (earlier if negative), saturating at the representable range.
    public func adding(days count: Int) -> CivilDate {
        let (sum, overflow) = Int(daysSinceEpoch).addingReportingOverflow(count)
        return CivilDate(daysSinceEpoch: overflow ? (count > 0 ? .max : .min) : Int32(clamping: sum))
    }

    /// The Monday starting this date's ISO week.
    public var startOfISOWeek: CivilDate { adding(days: -(Int(weekday.rawValue) - 1)) }

    /// The first day of this date's month.
    public var startOfMonth: CivilDate {
        let (year, month, _) = components
        return CivilDate(saturatingYear: year, month: month)
    }

    /// The first day of the month after this date's month.
    public var startOfNextMonth: CivilDate {
        let (year, month, _) = components
        return month == 12 ? CivilDate(saturatingYear: year + 1, month: 1) : CivilDate(saturatingYear: year, month: month + 1)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (year, month, day) = components
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    /// Parses `YYYY-MM-DD`.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CivilDate(iso: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a YYYY-MM-DD date: \(text)")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func days(year: Int, month: Int, day: Int) -> Int {
        let adjustedYear = month <= 2 ? year - 1 : year
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// A day of the week, ISO numbering: Monday = 1 … Sunday = 7.
public enum Weekday: UInt8, Hashable, Sendable, Codable, CaseIterable {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday
}

/// A set of weekdays, one bit each (Monday = bit 0 … Sunday = bit 6), as stored in entitlements.
public struct WeekdaySet: OptionSet, Hashable, Sendable, Codable {
    /// The bit mask; bit 7 is never set.
    public let rawValue: UInt8
    /// Creates a set from its bit mask.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Monday.
    public static let monday = WeekdaySet(rawValue: 1 << 0)
    /// Tuesday.
    public static let tuesday = WeekdaySet(rawValue: 1 << 1)
    /// Wednesday.
    public static let wednesday = WeekdaySet(rawValue: 1 << 2)
    /// Thursday.
    public static let thursday = WeekdaySet(rawValue: 1 << 3)
    /// Friday.
    public static let friday = WeekdaySet(rawValue: 1 << 4)
    /// Saturday.
    public static let saturday = WeekdaySet(rawValue: 1 << 5)
    /// Sunday.
    public static let sunday = WeekdaySet(rawValue: 1 << 6)
    /// Monday to Friday.
    public static let weekdays: WeekdaySet = [.monday, .tuesday, .wednesday, .thursday, .friday]
    /// Saturday and Sunday.
    public static let weekend: WeekdaySet = [.saturday, .sunday]
    /// Every day.
    public static let everyDay: WeekdaySet = [.weekdays, .weekend]

    /// The set holding one weekday.
    public init(_ weekday: Weekday) { self.rawValue = 1 << (weekday.rawValue - 1) }
    /// Whether the weekday is in the set.
    public func contains(_ weekday: Weekday) -> Bool { contains(WeekdaySet(weekday)) }
}

extension Int {
    /// The remainder with the sign of the divisor, so days before 1970 still map to weekdays.
    @inlinable func flooredModulo(_ divisor: Int) -> Int {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}

/// A calendar date stored on the card as days since 2000-01-01.
///
/// The card stores the community's local calendar date (Europe/Kyiv), not an instant: an
/// entitlement "valid until 31 March" ends with that local day wherever the clock's offset is.
/// Two bytes reach 2179-06-06.
public struct CardDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 2000-01-01 (which is day 0).
    public let daysSince2000: UInt32

    /// The date `daysSince2000` days after 2000-01-01.
    public init(daysSince2000: UInt32) { self.daysSince2000 = daysSince2000 }

    /// The date with these proleptic Gregorian components; nil before 2000-01-01 or if invalid.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day) else { return nil }
        let days = Self.daysFromCivil(year: year, month: month, day: day) - Self.daysFromCivil(year: 2000, month: 1, day: 1)
        guard days >= 0, days <= Int(UInt32.max) else { return nil }
        daysSince2000 = UInt32(days)
    }

    /// Year, month (1–12) and day (1–31).
    public var components: (year: Int, month: Int, day: Int) {
        Self.civil(fromDays: Int(daysSince2000) + Self.daysFromCivil(year: 2000, month: 1, day: 1))
    }

    /// ISO 8601 `YYYY-MM-DD`.
    public var description: String {
        let (year, month, day) = components
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// Earlier dates sort first.
    public static func < (lhs: CardDate, rhs: CardDate) -> Bool { lhs.daysSince2000 < rhs.daysSince2000 }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }
    static func daysIn(month: Int, year: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    // Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// An instant stored on the card as whole seconds since 2000-01-01T00:00:00Z (UTC).
///
/// UTC, so a tap's time never jumps or repeats at a daylight-saving change; local time is the
/// tariff's business. Four bytes reach 2136-02-07.
public struct CardDateTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Seconds from 2000-01-01T00:00:00Z to 1970-01-01T00:00:00Z, negated: the Unix time of our epoch.
    public static let unixTimeOfEpoch: Int64 = 946_684_800

    /// Seconds since 2000-01-01T00:00:00Z.
    public let secondsSince2000: UInt64

    /// The instant `secondsSince2000` seconds after the epoch.
    public init(secondsSince2000: UInt64) { self.secondsSince2000 = secondsSince2000 }

    /// The instant at Unix time `unixSeconds`; nil before 2000.
    public init?(unixSeconds: Int64) {
        guard unixSeconds >= Self.unixTimeOfEpoch else { return nil }
        secondsSince2000 = UInt64(unixSeconds - Self.unixTimeOfEpoch)
    }

    /// Unix time of this instant (saturates beyond Int64).
    public var unixSeconds: Int64 {
        let (sum, overflow) = Int64(clamping: secondsSince2000).addingReportingOverflow(Self.unixTimeOfEpoch)
        return overflow ? .max : sum
    }

    /// ISO 8601 in UTC: `YYYY-MM-DDTHH:MM:SSZ`.
    public var description: String {
        let days = secondsSince2000 / 86_400
        let rest = Int(secondsSince2000 % 86_400)
        let date = CardDate(daysSince2000: UInt32(clamping: days))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(date)T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }

    /// Earlier instants sort first.
    public static func < (lhs: CardDateTime, rhs: CardDateTime) -> Bool { lhs.secondsSince2000 < rhs.secondsSince2000 }
}

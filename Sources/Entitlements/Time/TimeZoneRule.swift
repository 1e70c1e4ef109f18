/// A community's local time as data: a standard offset and an optional yearly summer-time rule.
///
/// Validators must not read the system's zone database (it may be stale, absent, or differ
/// between devices); two validators given the same instant and the same tariff must agree on
/// the local day, or ride limits would roll over at different moments on different buses.
public struct TimeZoneRule: Hashable, Sendable, Codable {
    /// A name for people, e.g. `Europe/Kyiv`.
    public var name: String
    /// The offset from UTC outside summer time, in seconds (Kyiv: +7200).
    public var standardOffsetSeconds: Int32
    /// The summer-time rule, if the zone observes one.
    public var daylightSaving: DaylightSavingRule?

    /// Creates a rule.
    public init(name: String, standardOffsetSeconds: Int32, daylightSaving: DaylightSavingRule?) {
        self.name = name
        self.standardOffsetSeconds = standardOffsetSeconds
        self.daylightSaving = daylightSaving
    }

    /// Europe/Kyiv as of 2026: UTC+2, UTC+3 from 01:00 UTC on the last Sunday of March to
    /// 01:00 UTC on the last Sunday of October (the EU rule Ukraine follows).
    public static let europeKyiv = TimeZoneRule(
        name: "Europe/Kyiv",
        standardOffsetSeconds: 7200,
        daylightSaving: DaylightSavingRule(
            offsetSeconds: 10_800,
            starts: TransitionRule(month: 3, weekday: .sunday, occurrence: .last, utcSecondOfDay: 3600),
            ends: TransitionRule(month: 10, weekday: .sunday, occurrence: .last, utcSecondOfDay: 3600)))

    /// The offset from UTC in seconds in force at `instant`.
    public func offsetSeconds(at instant: UnixTime) -> Int {
        guard let daylightSaving else { return Int(standardOffsetSeconds) }
        let year = instant.utcDate.year
        let start = daylightSaving.starts.instant(in: year)
        let end = daylightSaving.ends.instant(in: year)
        let inSummer =
            start <= end
            ? (instant >= start && instant < end)
            // Southern hemisphere: summer spans the new year.
            : (instant >= start || instant < end)
        return Int(inSummer ? daylightSaving.offsetSeconds : standardOffsetSeconds)
    }

    /// The local date, time of day and weekday at `instant`.
    public func local(at instant: UnixTime) -> LocalDateTime {
        let shifted = instant.adding(seconds: Int64(offsetSeconds(at: instant)))
        let date = shifted.utcDate
        return LocalDateTime(date: date, secondOfDay: shifted.utcSecondOfDay)
    }
}

/// The summer-time part of a `TimeZoneRule`.
public struct DaylightSavingRule: Hashable, Sendable, Codable {
    /// The offset from UTC during summer time, in seconds (Kyiv: +10800).
    public var offsetSeconds: Int32
    /// When summer time starts each year.
    public var starts: TransitionRule
    /// When summer time ends each year.
    public var ends: TransitionRule

    /// Creates a summer-time rule.
    public init(offsetSeconds: Int32, starts: TransitionRule, ends: TransitionRule) {
        self.offsetSeconds = offsetSeconds
        self.starts = starts
        self.ends = ends
    }
}

/// A yearly instant such as "the last Sunday of March at 01:00 UTC".
public struct TransitionRule: Hashable, Sendable, Codable {
    /// Which of the month's matching weekdays.
    public enum Occurrence: Hashable, Sendable, Codable {
        /// The n-th (1–5, clamped to the last one in the month).
        case nth(Int)
        /// The last one in the month.
        case last

        /// Reads `"last"` or a number 1–5.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) {
                guard (1...5).contains(number) else {
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "occurrence must be 1-5 or \"last\"")
                }
                self = .nth(number)
            } else if try container.decode(String.self) == "last" {
                self = .last
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "occurrence must be 1-5 or \"last\"")
            }
        }

        /// Writes `"last"` or the number.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .last: try container.encode("last")
            case .nth(let number): try container.encode(number)
            }
        }
    }

    /// The month, 1–12.
    public var month: Int
    /// The weekday of the transition day.
    public var weekday: Weekday
    /// Which of the month's weekdays.
    public var occurrence: Occurrence
    /// Seconds after UTC midnight of that day when the switch happens.
    public var utcSecondOfDay: Int

    /// Creates a transition rule.
    public init(month: Int, weekday: Weekday, occurrence: Occurrence, utcSecondOfDay: Int) {
        self.month = month
        self.weekday = weekday
        self.occurrence = occurrence
        self.utcSecondOfDay = utcSecondOfDay
    }

    /// The day of the transition in `year`.
    public func day(in year: Int) -> CivilDate {
        let clampedMonth = min(max(month, 1), 12)
        let first = CivilDate(saturatingYear: year, month: clampedMonth)
        let length = CivilDate.daysIn(month: clampedMonth, year: year)
        let firstMatch = (Int(weekday.rawValue) - Int(first.weekday.rawValue)).flooredModulo(7)
        let lastMatch = firstMatch + (length - 1 - firstMatch) / 7 * 7
        switch occurrence {
        case .last:
            return first.adding(days: lastMatch)
        case .nth(let n):
            return first.adding(days: min(firstMatch + (min(max(n, 1), 5) - 1) * 7, lastMatch))
        }
    }

    /// The instant of the transition in `year`.
    public func instant(in year: Int) -> UnixTime {
        UnixTime(utcMidnightOf: day(in: year), plusSeconds: utcSecondOfDay)
    }
}

/// A local wall-clock reading: date, seconds since local midnight, weekday.
public struct LocalDateTime: Hashable, Sendable {
    /// The local calendar date.
    public let date: CivilDate
    /// Seconds since local midnight, 0–86399.
    public let secondOfDay: Int
    /// Creates a reading.
    public init(date: CivilDate, secondOfDay: Int) {
        self.date = date
        self.secondOfDay = secondOfDay
    }
    /// Minutes since local midnight, 0–1439.
    public var minuteOfDay: Int { secondOfDay / 60 }
    /// The local weekday.
    public var weekday: Weekday { date.weekday }
}

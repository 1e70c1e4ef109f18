import Entitlements

/// The span a report covers: whole local days in the community's time zone, from the first
/// local midnight to the local midnight after the last day.
///
/// Why civil days: the council pays per calendar month as people in the hromada read it, so a
/// ride at 00:30 Kyiv time on 1 November belongs to November even though it is still October
/// in UTC. The instants are computed with `TimeZoneRule`, not the system zone database, so the
/// same month has the same boundaries on every machine; a March month is an hour shorter and an
/// October month an hour longer than their day count says.
public struct ReportingPeriod: Hashable, Sendable, Codable {
    /// The first local day (inclusive).
    public let firstDay: CivilDate
    /// The last local day (inclusive).
    public let lastDay: CivilDate
    /// The time zone the days are read in.
    public let timeZone: TimeZoneRule
    /// The instant of local midnight starting `firstDay` (inclusive).
    public let start: UnixTime
    /// The instant of local midnight after `lastDay` (exclusive).
    public let end: UnixTime

    /// The local days `firstDay…lastDay`, inclusive.
    public init(from firstDay: CivilDate, through lastDay: CivilDate, timeZone: TimeZoneRule = .europeKyiv) throws {
        guard firstDay <= lastDay else {
            throw ReconciliationError(.invalidPeriod, "the period ends (\(lastDay)) before it starts (\(firstDay))")
        }
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.timeZone = timeZone
        self.start = ReportingPeriod.localMidnight(of: firstDay, in: timeZone)
        self.end = ReportingPeriod.localMidnight(of: lastDay.adding(days: 1), in: timeZone)
    }

    /// One calendar month, e.g. `2026-11`.
    public init(month text: String, timeZone: TimeZoneRule = .europeKyiv) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
            let first = CivilDate(year: year, month: month, day: 1)
        else {
            throw ReconciliationError(.invalidPeriod, "a month is written YYYY-MM, not \(text)")
        }
        try self.init(from: first, through: first.startOfNextMonth.adding(days: -1), timeZone: timeZone)
    }

    /// Whether this period is exactly one calendar month.
    public var isCalendarMonth: Bool {
        firstDay == firstDay.startOfMonth && lastDay.adding(days: 1) == firstDay.startOfNextMonth
    }

    /// `2026-11` for a calendar month, `2026-11-03..2026-11-09` otherwise (file names, headings).
    public var label: String {
        if isCalendarMonth {
            return String(firstDay.description.prefix(7))
        }
        return "\(firstDay)..\(lastDay)"
    }

    /// Whether `instant` falls in the period.
    public func contains(_ instant: UnixTime) -> Bool { instant >= start && instant < end }

    /// The local day `instant` falls on.
    public func localDay(of instant: UnixTime) -> CivilDate { timeZone.local(at: instant).date }

    /// Every local day of the period, in order.
    public var days: [CivilDate] {
        (0...Int(lastDay.daysSinceEpoch - firstDay.daysSinceEpoch)).map { firstDay.adding(days: $0) }
    }

    /// The period's length in seconds (a Kyiv March is 3600 s shorter than 31 × 86400).
    public var durationSeconds: Int64 { end.seconds(since: start) }

    /// The first instant whose local date is `date`.
    ///
    /// Tries each offset the zone can have: the right one is the offset in force at the
    /// candidate instant. When midnight itself is skipped by a transition (not so in Kyiv,
    /// which switches at 03:00/04:00 local), the earliest instant of that date is the
    /// transition, found by taking the later candidate.
    static func localMidnight(of date: CivilDate, in zone: TimeZoneRule) -> UnixTime {
        let midnightUTC = UnixTime(utcMidnightOf: date)
        var offsets = [Int64(zone.standardOffsetSeconds)]
        if let summer = zone.daylightSaving { offsets.append(Int64(summer.offsetSeconds)) }
        let candidates = offsets.map { midnightUTC.adding(seconds: -$0) }
        let consistent = candidates.filter { Int64(zone.offsetSeconds(at: $0)) == -$0.seconds(since: midnightUTC) }
        if let earliest = consistent.min() { return earliest }
        return candidates.filter { zone.local(at: $0).date == date }.min() ?? candidates.max()!
    }
}

/// A civil date in the community's time zone, as a report prints it.
///
/// Reports never convert instants themselves: the caller has already placed each ride on its
/// Kyiv civil day, so this is only a year, a month and a day.
public struct ReportDate: Hashable, Comparable, Sendable {
    /// The year, e.g. 2026.
    public let year: Int
    /// The month, 1–12.
    public let month: Int
    /// The day of the month, 1–31.
    public let day: Int

    /// A date from its parts; the caller keeps them in range.
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `dd.MM.yyyy`, as Ukrainian documents and Excel with a Ukrainian locale write dates.
    public var ukrainian: String { "\(twoDigits(day)).\(twoDigits(month)).\(fourDigits(year))" }

    /// `yyyy-MM-dd` (ISO 8601), for JSON and for English pages, where it cannot be misread.
    public var iso: String { "\(fourDigits(year))-\(twoDigits(month))-\(twoDigits(day))" }

    /// The date as a page in `language` prints it.
    public func text(_ language: ReportLanguage) -> String { language == .ukrainian ? ukrainian : iso }

    /// Earlier dates first.
    public static func < (lhs: ReportDate, rhs: ReportDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// A civil time with its offset from UTC: when a report was made.
public struct ReportDateTime: Hashable, Sendable {
    /// The civil date.
    public let date: ReportDate
    /// The hour, 0–23.
    public let hour: Int
    /// The minute, 0–59.
    public let minute: Int
    /// The second, 0–59.
    public let second: Int
    /// Seconds east of UTC (Kyiv: 7200 in winter, 10800 in summer).
    public let utcOffsetSeconds: Int

    /// A civil time from its parts.
    public init(date: ReportDate, hour: Int, minute: Int, second: Int, utcOffsetSeconds: Int) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// `+02:00`.
    public var offset: String {
        let magnitude = abs(utcOffsetSeconds) / 60
        return (utcOffsetSeconds < 0 ? "-" : "+") + twoDigits(magnitude / 60) + ":" + twoDigits(magnitude % 60)
    }

    /// `2026-12-01T09:30:05+02:00` (ISO 8601).
    public var iso: String { "\(date.iso)T\(twoDigits(hour)):\(twoDigits(minute)):\(twoDigits(second))\(offset)" }

    /// `01.12.2026 09:30 (UTC+02:00)` on a Ukrainian page, ISO 8601 on an English one.
    public func text(_ language: ReportLanguage) -> String {
        switch language {
        case .ukrainian: "\(date.ukrainian) \(twoDigits(hour)):\(twoDigits(minute)) (UTC\(offset))"
        case .english: "\(date.iso) \(twoDigits(hour)):\(twoDigits(minute)) (UTC\(offset))"
        }
    }
}

func twoDigits(_ value: Int) -> String { value < 10 && value >= 0 ? "0\(value)" : "\(value)" }

func fourDigits(_ value: Int) -> String {
    let text = "\(abs(value))"
    return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, 4 - text.count)) + text
}

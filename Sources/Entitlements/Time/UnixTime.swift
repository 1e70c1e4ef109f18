#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An instant as whole seconds since 1970-01-01 00:00:00 UTC (leap seconds ignored, as POSIX).
///
/// Cards, certificates and trip records store whole seconds; keeping a separate type stops a
/// fractional `Date` from failing a round trip or an equality check by a few nanoseconds.
public struct UnixTime: RawRepresentable, Hashable, Comparable, Sendable, BitwiseCopyable, Codable, CustomStringConvertible {
    /// Seconds since the epoch.
    public let rawValue: Int64
    /// Creates an instant from seconds since the epoch.
    public init(rawValue: Int64) { self.rawValue = rawValue }
    /// Creates an instant from seconds since the epoch.
    public init(_ seconds: Int64) { self.rawValue = seconds }
    /// The whole second containing `date` (rounded down, also before 1970; saturating far outside).
    public init(_ date: Date) {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        if seconds.isNaN {
            self.rawValue = 0
        } else if seconds >= 9.2e18 {
            self.rawValue = .max
        } else if seconds <= -9.2e18 {
            self.rawValue = .min
        } else {
            self.rawValue = Int64(seconds)
        }
    }
    /// The instant as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: TimeInterval(rawValue)) }
    /// The UTC date this instant falls on.
    public var utcDate: CivilDate { CivilDate(daysSinceEpoch: Int32(clamping: Int(rawValue).flooredDivision(86_400))) }
    /// Seconds since the UTC midnight before this instant.
    public var utcSecondOfDay: Int { Int(rawValue).flooredModulo(86_400) }
    /// The instant `seconds` later, saturating at the ends of the range.
    public func adding(seconds: Int64) -> UnixTime {
        let (sum, overflow) = rawValue.addingReportingOverflow(seconds)
        return UnixTime(overflow ? (seconds > 0 ? .max : .min) : sum)
    }

    /// Seconds from `earlier` to this instant (negative if `earlier` is later), saturating.
    public func seconds(since earlier: UnixTime) -> Int64 {
        let (difference, overflow) = rawValue.subtractingReportingOverflow(earlier.rawValue)
        return overflow ? (rawValue > earlier.rawValue ? .max : .min) : difference
    }
    /// Midnight UTC at the start of `date`, plus `seconds`.
    public init(utcMidnightOf date: CivilDate, plusSeconds seconds: Int = 0) {
        self = UnixTime(Int64(date.daysSinceEpoch) * 86_400).adding(seconds: Int64(seconds))
    }
    /// `YYYY-MM-DDThh:mm:ssZ`.
    public var description: String {
        let second = utcSecondOfDay
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(utcDate)T\(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60))Z"
    }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension Int {
    @inlinable func flooredDivision(_ divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}

import Entitlements

extension CommunityDirectory {
    /// When a bundle whose last valid day is `lastDay` expires: the last second of that day, UTC.
    ///
    /// Operators name a day ("valid through 2027-06-30"); validators compare instants. The whole
    /// day counts, so a bundle signed "through the 30th" is still good at 23:59:59 on the 30th.
    public static func bundleExpiry(lastValidDay lastDay: CivilDate) -> UnixTime {
        UnixTime(utcMidnightOf: lastDay.adding(days: 1)).adding(seconds: -1)
    }
}

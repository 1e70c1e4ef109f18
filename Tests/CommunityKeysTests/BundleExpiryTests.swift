import CommunityKeys
import Entitlements
import Testing

@Suite("Bundle expiry")
struct BundleExpiryTests {
    @Test("a bundle valid through a day expires at that day's last second, UTC")
    func lastSecondOfTheDay() throws {
        let day = try #require(CivilDate(iso: "2027-06-30"))
        // 2027-06-30T23:59:59Z.
        #expect(CommunityDirectory.bundleExpiry(lastValidDay: day) == UnixTime(1_814_399_999))
        let leapDay = try #require(CivilDate(iso: "2028-02-29"))
        // 2028-02-29T23:59:59Z: the next day is 1 March, not 30 February.
        #expect(CommunityDirectory.bundleExpiry(lastValidDay: leapDay) == UnixTime(1_835_481_599))
    }
}

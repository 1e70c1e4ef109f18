import Entitlements
import Identifiers

/// What month to simulate and how much traffic: the knobs of `MonthSimulator`.
public struct SimulationParameters: Hashable, Sendable {
    /// The seed every random choice (and every key) comes from.
    public var seed: UInt64
    /// The calendar year of the month.
    public var year: Int
    /// The calendar month, 1–12 (Kyiv civil time).
    public var month: Int
    /// How many carriers share the routes.
    public var carriers: Int
    /// How many routes (numbered 1…).
    public var routes: Int
    /// How many buses, each with one validator (device ids 1…, vehicles 101…).
    public var buses: Int
    /// How many cards ride (serials from `0x5100_0000_0000_0001`).
    public var cards: Int
    /// Taps each bus takes on an ordinary day (some become no ride, when no card is free to tap).
    public var tapsPerBusPerDay: Int
    /// The most entries an upload batch carries.
    public var batchSize: Int
    /// Whether to plant the faults (`false`: a clean month, for a baseline).
    public var plantsFaults: Bool
    /// Whether the community keeps a desk ledger: a device registered as a desk (id buses + 1)
    /// records the purse credits from the fourth day of the month on, the credits before are
    /// an import (the month a community starts its desk ledger). `false`: every credit is an
    /// import, as in a community whose desk keeps no ledger.
    public var hasDesk: Bool

    /// Creates parameters.
    public init(
        seed: UInt64, year: Int, month: Int, carriers: Int = 2, routes: Int = 3, buses: Int = 8, cards: Int = 80,
        tapsPerBusPerDay: Int = 16, batchSize: Int = 100, plantsFaults: Bool = true, hasDesk: Bool = true
    ) {
        self.seed = seed
        self.year = year
        self.month = month
        self.carriers = carriers
        self.routes = routes
        self.buses = buses
        self.cards = cards
        self.tapsPerBusPerDay = tapsPerBusPerDay
        self.batchSize = batchSize
        self.plantsFaults = plantsFaults
        self.hasDesk = hasDesk
    }

    /// A month small enough to upload through the HTTP API in a test (about 15,000 entries).
    public static func small(seed: UInt64 = 12, year: Int = 2026, month: Int = 10) -> SimulationParameters {
        SimulationParameters(seed: seed, year: year, month: month)
    }

    /// About `entries` ledger entries from `devices` validators, for the benchmark.
    public static func benchmark(entries: Int, devices: Int = 500, seed: UInt64 = 7, year: Int = 2026, month: Int = 10) -> SimulationParameters {
        // An ordinary tap writes about 3.6 entries (pending, charge(s), confirmation).
        let days = 31
        let perBusPerDay = max(12, Int((Double(entries) / 3.6 / Double(devices * days)).rounded()))
        return SimulationParameters(
            seed: seed, year: year, month: month, carriers: 5, routes: 25, buses: devices, cards: max(1_000, devices * 200),
            tapsPerBusPerDay: perBusPerDay, batchSize: 1_000)
    }

    /// The first local day of the month.
    public var firstDay: CivilDate { CivilDate(year: year, month: month, day: 1)! }
    /// The first local day of the next month.
    public var dayAfterLast: CivilDate { firstDay.startOfNextMonth }
    /// The number of days in the month.
    public var days: Int { Int(dayAfterLast.daysSinceEpoch - firstDay.daysSinceEpoch) }
}

/// Kyiv civil time, the simulator's and the community's clock (DST-correct).
public enum KyivTime {
    /// The zone rule.
    public static let rule = TimeZoneRule.europeKyiv

    /// The instant of local `secondOfDay` on local `date` (outside the DST switch hour, which the
    /// simulator never uses; at the switch the earlier reading is returned).
    public static func instant(_ date: CivilDate, secondOfDay: Int = 0) -> UnixTime {
        let naive = UnixTime(utcMidnightOf: date, plusSeconds: secondOfDay)
        // Try the offset of the instant itself, then of the shifted guess.
        let first = naive.adding(seconds: -Int64(rule.offsetSeconds(at: naive)))
        let second = naive.adding(seconds: -Int64(rule.offsetSeconds(at: first)))
        return rule.local(at: second) == LocalDateTime(date: date, secondOfDay: secondOfDay) ? second : first
    }

    /// The local date of `instant`.
    public static func date(of instant: UnixTime) -> CivilDate { rule.local(at: instant).date }
}

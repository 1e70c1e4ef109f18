import Entitlements
import Foundation
import Identifiers
import Testing

@testable import Tariff

private typealias F = Fixture

@Suite("Tariff data, rounding, deny list, messages")
struct TariffDataTests {
    static func load<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: F.repositoryRoot.appendingPathComponent(path)))
    }

    @Test func nemishaieveTariffLoadsAndValidates() throws {
        let categories = try Self.load(BenefitCategoryList.self, "Communities/nemishaieve/categories.json")
        try categories.validate()
        let source = try Self.load(TariffSource.self, "Communities/nemishaieve/tariff.json")
        let tariff = try source.resolved(with: categories)
        try tariff.validate()
        #expect(tariff.community == "nemishaieve")
        #expect(tariff.currency == "UAH")
        #expect(tariff.baseFareKopecks == 1500)
        #expect(tariff.timeZone == .europeKyiv)
        #expect(tariff.acceptedLayoutVersions == [1, 2, 3])
        // Every category the community defines is in force on its buses, in the list's order.
        #expect(tariff.categories == categories.categories)
        #expect(TariffSource(tariff) == source)
    }

    @Test func thePublishedTariffCarriesCategoryCodesOnly() throws {
        // The categories are defined once, in categories.json: tariff.json cannot hold them in full.
        let data = try Data(contentsOf: F.repositoryRoot.appendingPathComponent("Communities/nemishaieve/tariff.json"))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Tariff.self, from: data) }
    }

    @Test func resolvingRefusesAnUnknownCodeOrAnotherCommunitysList() throws {
        let list = BenefitCategoryList(community: F.tariff.community, version: 1, categories: F.tariff.categories)
        let source = TariffSource(F.tariff)
        #expect(try source.resolved(with: list) == F.tariff)
        var unknown = source
        unknown.categories.append(999)
        #expect(throws: TariffError(.invalidTariff, "")) { try unknown.resolved(with: list) }
        var foreign = list
        foreign.community = "elsewhere"
        #expect(throws: TariffError(.invalidTariff, "")) { try source.resolved(with: foreign) }
    }

    @Test func thePublishedFormHasTheTariffsFieldsAndNoOther() throws {
        // TariffSource mirrors Tariff field by field; a field added to one and not the other fails here.
        func keys(_ data: Data) throws -> Set<String> {
            Set((try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]).keys)
        }
        let tariff = F.tariff.with { $0.transfer = TransferRule(windowSeconds: 600, farePercent: 50) }
        #expect(try keys(JSONEncoder().encode(tariff)) == keys(JSONEncoder().encode(TariffSource(tariff))))
    }

    @Test("the card layout order: the tariff's layouts first, held ones only, the rest newest first")
    func cardLayoutOrder() throws {
        let tariff = F.tariff.with { $0.acceptedLayoutVersions = [1, 2, 3] }
        #expect(tariff.layoutReadingOrder(of: [1, 3, 2]) == [3, 2, 1], "no order: newest first")
        let v2First = tariff.with { $0.cardLayoutOrder = [2, 3, 1] }
        try v2First.validate()
        #expect(v2First.layoutReadingOrder(of: [3, 2, 1]) == [2, 3, 1])
        #expect(v2First.layoutReadingOrder(of: [1, 3]) == [3, 1], "a layout the validator does not hold is skipped")
        let v1Only = tariff.with { $0.cardLayoutOrder = [1] }
        #expect(v1Only.layoutReadingOrder(of: [3, 2, 1]) == [1, 3, 2], "the layouts not named follow, newest first")
        // Published in tariff.json and carried through the category join.
        let source = TariffSource(v2First)
        #expect(source.cardLayoutOrder == [2, 3, 1])
        #expect(try source.resolved(with: BenefitCategoryList(community: tariff.community, version: 1, categories: tariff.categories)) == v2First)
    }

    @Test("a tariff without a card layout order encodes as before: no such key")
    func noOrderNoKey() throws {
        let text = String(decoding: try JSONEncoder().encode(F.tariff), as: UTF8.self)
        #expect(!text.contains("cardLayoutOrder"))
        let ordered = String(decoding: try JSONEncoder().encode(F.tariff.with { $0.cardLayoutOrder = [1] }), as: UTF8.self)
        #expect(ordered.contains(#""cardLayoutOrder":[1]"#))
    }

    @Test func tariffJSONRoundTrips() throws {
        let data = try JSONEncoder().encode(F.tariff)
        #expect(try JSONDecoder().decode(Tariff.self, from: data) == F.tariff)
    }

    @Test(arguments: [
        F.tariff.with { $0.acceptedLayoutVersions = [] },
        F.tariff.with { $0.baseFareKopecks = -1 },
        F.tariff.with { $0.antiPassbackSeconds = -5 },
        F.tariff.with { $0.routes.append($0.routes[0]) },
        F.tariff.with { $0.routes[1].fareKopecks = -100 },
        F.tariff.with { $0.transfer = TransferRule(windowSeconds: 0, farePercent: 50) },
        F.tariff.with { $0.transfer = TransferRule(windowSeconds: 600, farePercent: 101) },
        F.tariff.with { $0.discountRounding = FareRounding(unitKopecks: 0, mode: .down) },
        F.tariff.with { $0.categories.append($0.categories[0]) },
        F.tariff.with { $0.cardLayoutOrder = [] },
        F.tariff.with { $0.cardLayoutOrder = [1, 1] },
        F.tariff.with { $0.cardLayoutOrder = [2] },
    ])
    func inconsistentTariffsAreRefused(tariff: Tariff) {
        #expect(throws: TariffError(.invalidTariff, "")) { try tariff.validate() }
    }

    @Test(arguments: [
        // (full fare, percent, unit, mode, expected)
        (1500, 50, 1, FareRounding.Mode.down, 750),
        (1500, 100, 1, .down, 0),
        (1500, 0, 1, .down, 1500),
        (1999, 50, 1, .down, 999),  // 999.5 -> 999
        (1999, 50, 1, .halfUp, 1000),  // 999.5 -> 1000
        (1999, 50, 1, .up, 1000),
        (1500, 33, 1, .down, 1005),  // exact
        (1501, 33, 1, .down, 1005),  // 1005.67
        (1501, 33, 1, .halfUp, 1006),
        (1501, 33, 1, .up, 1006),
        (1500, 30, 50, .down, 1050),  // exact multiple of 50
        (1500, 25, 50, .down, 1100),  // 1125 -> 1100
        (1500, 25, 50, .halfUp, 1150),  // 1125 is exactly half-way: up
        (1500, 25, 50, .up, 1150),
        (1510, 25, 50, .halfUp, 1150),  // 1132.5 -> 1150
        (1490, 25, 50, .halfUp, 1100),  // 1117.5 -> 1100
        (30, 10, 50, .up, 30),  // never above the full fare
    ])
    func discountRounding(fare: Int, percent: Int, unit: Int, mode: FareRounding.Mode, expected: Int) {
        #expect(FareRounding(unitKopecks: unit, mode: mode).discounted(fare, percent: percent) == expected)
    }

    @Test func denyListLookupAndJSON() throws {
        let list = try DenyList(version: 4, entries: [.init(serial: 1, reason: .lost), .init(serial: 0xFFFF_FFFF_FFFF_FFFF, reason: .fraud)])
        #expect(list.reason(for: 1) == .lost)
        #expect(list.reason(for: 0xFFFF_FFFF_FFFF_FFFF) == .fraud)
        #expect(list.reason(for: 2) == nil)
        let data = try JSONEncoder().encode(list)
        #expect(String(decoding: data, as: UTF8.self).contains("FFFF-FFFF-FFFF-FFFF"))
        let decoded = try JSONDecoder().decode(DenyList.self, from: data)
        #expect(decoded == list)
        #expect(decoded.reason(for: 1) == .lost)
        #expect(throws: TariffError(.invalidDenyList, "")) {
            try DenyList(version: 1, entries: [.init(serial: 1, reason: .lost), .init(serial: 1, reason: .stolen)])
        }
        let duplicated = #"{"version":1,"entries":[{"serial":"0000-0000-0000-0001","reason":"lost"},{"serial":"0000-0000-0000-0001","reason":"lost"}]}"#
        #expect(throws: TariffError(.invalidDenyList, "")) { try JSONDecoder().decode(DenyList.self, from: Data(duplicated.utf8)) }
    }

    @Test(arguments: [(1500, "15,00 грн", "UAH 15.00"), (5, "0,05 грн", "UAH 0.05"), (0, "0,00 грн", "UAH 0.00"), (123_456, "1234,56 грн", "UAH 1234.56")])
    func money(kopecks: Int, uk: String, en: String) {
        #expect(Messages.hryvnias(kopecks, .uk) == uk)
        #expect(Messages.hryvnias(kopecks, .en) == en)
    }

    @Test func messagesNameTheBenefitAndTheNumbers() throws {
        let veteran = F.verified(F.terms(1, .free, category: 2))
        let free = try #require(F.decideTap(F.cardState(), [veteran]).acceptance)
        #expect(free.message.uk == "Проїзд безкоштовний. Пільга: Учасники бойових дій (УБД)")
        #expect(free.message.en == "Free ride. Benefit: Combat veterans (UBD)")
        #expect(free.message.text(.uk) == free.message.uk)

        let paid = try #require(F.decideTap(F.cardState(purse: 2000)).acceptance)
        #expect(paid.message.uk == "Сплачено 15,00 грн. Залишок: 5,00 грн")
        #expect(paid.message.en == "Paid UAH 15.00. Balance: UAH 5.00")

        let rides = F.verified(F.terms(3, .rides(count: 4, per: .week), category: 1))
        let counted = try #require(F.decideTap(F.cardState(), [rides]).acceptance)
        #expect(counted.message.uk == "Пільгова поїздка (Пенсіонери за віком). Залишилось поїздок: 3")

        let limit = try #require(F.decideTap(
            F.cardState(counters: [UsageCounter(entitlementID: 3, periodStart: F.date(2026, 6, 15), rides: 4)]), [rides],
            tariff: F.tariff.with { $0.purseWithoutEntitlement = false }).denial)
        #expect(limit.message.uk == "Пільгові поїздки вичерпано. Поновлення 22.06.2026")
        #expect(limit.message.en == "Benefit rides used up. Renews on 2026-06-22")

        let short = try #require(F.decideTap(F.cardState(purse: 300)).denial)
        #expect(short.message.uk == "Недостатньо коштів: залишок 3,00 грн, проїзд 15,00 грн")
    }

    @Test func everyMessageKeyHasTwoDistinctTexts() {
        let category = F.pensioner
        let all: [PassengerMessage] = [
            Messages.acceptedFree(category), Messages.acceptedPass(through: F.date(2026, 6, 30)),
            Messages.acceptedCountedRide(category, ridesLeft: 1), Messages.acceptedDiscount(category, fare: 750, balance: 250),
            Messages.acceptedFullFare(fare: 1500, balance: 0), Messages.acceptedTransfer(fare: 750, balance: 0),
            Messages.acceptedTransfer(fare: 0, balance: 0), Messages.repeatTap, Messages.unknownLayoutVersion, Messages.cardBlocked,
            Messages.noValidEntitlement, Messages.outsideTimeWindow, Messages.routeNotCovered,
            Messages.rideLimitReached(renewsOn: F.date(2026, 7, 1)), Messages.insufficientFunds(balance: 0, fare: 1500),
        ]
        #expect(Set(all.map(\.key)) == Set(MessageKey.allCases))
        for message in all {
            #expect(!message.uk.isEmpty && !message.en.isEmpty && message.uk != message.en, "\(message.key)")
        }
    }
}

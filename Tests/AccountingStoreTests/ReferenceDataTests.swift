import AccountingCore
import AccountingStore
import Bundles
import Crypto
import Entitlements
import Identifiers
import StorageTesting
import Tariff
import Testing

/// Signed bundles and valid reference rows for the reference-data tests.
enum ReferenceFixture {
    static let community = "test-town"
    static var rootID: KeyID { KeyID(derivedFrom: SigningPublicKey(Fixture.rootKey.publicKey)) }

    /// A real signed deny-list bundle listing `serials`.
    static func denyListBundle(version: UInt32, serials: [UInt64]) throws -> [UInt8] {
        let list = try DenyList(version: version, entries: serials.map { DenyList.Entry(serial: CardSerial($0), reason: .stolen) })
        return try SignedBundle.make(
            .denyList(list), community: community, version: version, issuedAt: Fixture.now, expiresAt: Fixture.now.adding(seconds: 86_400),
            rootKeyID: rootID, rootKey: Fixture.rootKey
        ).encoded()
    }

    /// A real signed tariff bundle of `version`.
    static func tariffBundle(version: UInt32) throws -> [UInt8] {
        let tariff = Tariff(
            community: community, version: version, acceptedLayoutVersions: [1],
            categories: [BenefitCategory(code: 3, id: "pensioner", name: LocalizedText(uk: "Пенсіонер", en: "Pensioner"))], baseFareKopecks: 1500,
            routes: [Route(number: 7, name: LocalizedText(uk: "Центр — Вокзал", en: "Centre — Station"), zones: [1], fareKopecks: 1500)],
            antiPassbackSeconds: 120, transfer: TransferRule(windowSeconds: 3600, farePercent: 0))
        return try SignedBundle.make(
            .tariff(tariff), community: community, version: version, issuedAt: Fixture.now, expiresAt: Fixture.now.adding(seconds: 86_400),
            rootKeyID: rootID, rootKey: Fixture.rootKey
        ).encoded()
    }

    // Real ЄДРПОУ codes with correct check digits (the second uses the 30–60 million weights).
    static let carrier = Carrier(id: 1, name: "ТОВ «Немішаєве-Авто»", edrpou: "14360570", contract: "№ 12/2026")
    static let second = Carrier(id: 2, name: "ФОП Коваленко", edrpou: "32855961", contract: "№ 13/2026")

    static func date(_ text: String) -> CivilDate { CivilDate(iso: text)! }
}

@Suite("Reference data in the store", .serialized)
struct ReferenceDataTests {
    @Test func edrpouCheckDigits() {
        #expect(EDRPOU.isValid("14360570"))
        #expect(EDRPOU.isValid("00032129"))
        #expect(EDRPOU.isValid("32855961"))
        #expect(!EDRPOU.isValid("14360571"))
        #expect(!EDRPOU.isValid("1436057"))
        #expect(!EDRPOU.isValid("1436057a"))
        #expect(!EDRPOU.isValid("١٤٣٦٠٥٧٠"))
        #expect(throws: ReferenceDataError.invalid(uk: "", en: "")) {
            try Carrier(id: 9, name: "", edrpou: "14360570", contract: "1").validate()
        }
    }

    @Test(arguments: Engine.all)
    func carriersAndRoutesRoundTripAndRefuseDuplicates(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            try await storage.addCarrier(ReferenceFixture.second)
            try await storage.addCarrier(ReferenceFixture.carrier)
            #expect(try await storage.carriers() == [ReferenceFixture.carrier, ReferenceFixture.second])
            // The same id, or another id with the same ЄДРПОУ.
            await #expect(throws: ReferenceDataError.duplicate(uk: "", en: "")) { try await storage.addCarrier(ReferenceFixture.carrier) }
            var sameCode = ReferenceFixture.carrier
            sameCode.id = 5
            await #expect(throws: ReferenceDataError.duplicate(uk: "", en: "")) { try await storage.addCarrier(sameCode) }
            await #expect(throws: ReferenceDataError.invalid(uk: "", en: "")) {
                try await storage.addCarrier(Carrier(id: 6, name: "Інший", edrpou: "14360571", contract: "1"))
            }
            var renamed = ReferenceFixture.carrier
            renamed.name = "ТОВ «Немішаєве-Авто плюс»"
            try await storage.replaceCarrier(renamed)
            #expect(try await storage.carriers().first == renamed)
            await #expect(throws: ReferenceDataError.unknown(uk: "", en: "")) { try await storage.replaceCarrier(sameCode) }

            let route = RouteAssignment(route: 7, name: "Центр — Вокзал", carrier: 1)
            try await storage.addRoute(route)
            await #expect(throws: ReferenceDataError.duplicate(uk: "", en: "")) { try await storage.addRoute(route) }
            await #expect(throws: ReferenceDataError.unknown(uk: "", en: "")) {
                try await storage.addRoute(RouteAssignment(route: 8, name: "Ринок", carrier: 99))
            }
            try await storage.replaceRoute(RouteAssignment(route: 7, name: "Центр — Вокзал", carrier: 2))
            #expect(try await storage.routes() == [RouteAssignment(route: 7, name: "Центр — Вокзал", carrier: 2)])
        }
    }

    @Test(arguments: Engine.all)
    func deviceSpansNeverOverlap(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            try await storage.addCarrier(ReferenceFixture.carrier)
            try await storage.addCarrier(ReferenceFixture.second)
            let first = DeviceAssignment(device: 17, vehicle: 101, carrier: 1, validFrom: UnixTime(1000), validUntil: nil)
            try await storage.assignDevice(first, closingOpenSpan: true)
            // Moved to another bus: the open span is closed where the new one starts.
            let moved = DeviceAssignment(device: 17, vehicle: 202, carrier: 2, validFrom: UnixTime(5000), validUntil: nil)
            let spans = try await storage.assignDevice(moved, closingOpenSpan: true)
            var closed = first
            closed.validUntil = UnixTime(5000)
            #expect(spans == [closed, moved])
            #expect(try await storage.deviceAssignments(overlapping: nil) == [closed, moved])
            // A span inside a stored one, or one before the open one when nothing is closed, is refused.
            await #expect(throws: ReferenceDataError(.assignmentOverlap, uk: "", en: "")) {
                try await storage.assignDevice(DeviceAssignment(device: 17, vehicle: 303, carrier: 1, validFrom: UnixTime(2000), validUntil: UnixTime(3000)), closingOpenSpan: true)
            }
            await #expect(throws: ReferenceDataError(.assignmentOverlap, uk: "", en: "")) {
                try await storage.assignDevice(DeviceAssignment(device: 17, vehicle: 303, carrier: 1, validFrom: UnixTime(6000), validUntil: nil), closingOpenSpan: false)
            }
            await #expect(throws: ReferenceDataError.unknown(uk: "", en: "")) {
                try await storage.assignDevice(DeviceAssignment(device: 18, vehicle: 1, carrier: 42, validFrom: UnixTime(0), validUntil: nil), closingOpenSpan: true)
            }
            await #expect(throws: ReferenceDataError.invalid(uk: "", en: "")) {
                try await storage.assignDevice(DeviceAssignment(device: 18, vehicle: 1, carrier: 1, validFrom: UnixTime(10), validUntil: UnixTime(10)), closingOpenSpan: true)
            }
            // Refusals wrote nothing.
            #expect(try await storage.deviceAssignments(overlapping: nil) == [closed, moved])
            // Before a span, after it and at its edges.
            #expect(try await storage.deviceAssignments(overlapping: UnixTime(0)..<UnixTime(1000)).isEmpty)
            #expect(try await storage.deviceAssignments(overlapping: UnixTime(4999)..<UnixTime(5001)) == [closed, moved])
            #expect(try await storage.deviceAssignments(overlapping: UnixTime(5000)..<UnixTime(9000)) == [moved])
            // Replacing a device's spans checks them as a set.
            let other = DeviceAssignment(device: 18, vehicle: 7, carrier: 2, validFrom: UnixTime(0), validUntil: UnixTime(100))
            await #expect(throws: ReferenceDataError(.assignmentOverlap, uk: "", en: "")) {
                try await storage.replaceDeviceAssignments(of: 18, with: [other, DeviceAssignment(device: 18, vehicle: 8, carrier: 2, validFrom: UnixTime(50), validUntil: nil)])
            }
            try await storage.replaceDeviceAssignments(of: 18, with: [other])
            #expect(try await storage.deviceAssignments(overlapping: UnixTime(0)..<UnixTime(10)) == [other])
        }
    }

    /// Writers racing on one device (two service instances, two admins): the check and the write
    /// are one transaction under a lock, so exactly one of several overlapping open spans is stored.
    @Test(arguments: Engine.all)
    func concurrentAssignmentsOfOneDeviceNeverOverlap(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            try await storage.addCarrier(ReferenceFixture.carrier)
            let stored = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let span = DeviceAssignment(
                            device: 17, vehicle: VehicleID(UInt32(index)), carrier: 1, validFrom: UnixTime(1000 + Int64(index)), validUntil: nil)
                        return (try? await storage.assignDevice(span, closingOpenSpan: false)) != nil
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(stored == 1)
            #expect(try await storage.deviceAssignments(overlapping: nil).count == 1)
        }
    }

    @Test(arguments: Engine.all)
    func programmeAndTariffPeriods(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let programme = CompensationProgramme(year: 2026, lines: [
                .init(category: 1, budgetKopecks: 120_000_000, monthlyCapKopecks: 10_000_000), .init(category: 3, budgetKopecks: 50_000_000),
            ])
            try await storage.setProgramme(programme)
            #expect(try await storage.programme(year: 2026) == programme)
            #expect(try await storage.programme(year: 2027) == nil)
            let smaller = CompensationProgramme(year: 2026, lines: [.init(category: 3, budgetKopecks: 40_000_000)])
            try await storage.setProgramme(smaller)
            #expect(try await storage.programme(year: 2026) == smaller)
            await #expect(throws: ReferenceDataError.invalid(uk: "", en: "")) {
                try await storage.setProgramme(CompensationProgramme(year: 2026, lines: [.init(category: 3, budgetKopecks: -1)]))
            }
            await #expect(throws: ReferenceDataError.invalid(uk: "", en: "")) {
                try await storage.setProgramme(CompensationProgramme(year: 2026, lines: [.init(category: 3, budgetKopecks: 1), .init(category: 3, budgetKopecks: 2)]))
            }
            #expect(try await storage.programme(year: 2026) == smaller)

            // A stored tariff bundle starts its period at its upload time, once.
            try await storage.storeBundle(StoredBundle(kind: .tariff, version: 3, bytes: try ReferenceFixture.tariffBundle(version: 3), uploadedAt: UnixTime(1_000)))
            try await storage.storeBundle(StoredBundle(kind: .tariff, version: 3, bytes: try ReferenceFixture.tariffBundle(version: 3), uploadedAt: UnixTime(9_000)))
            #expect(try await storage.tariffPeriods() == [TariffPeriod(version: 3, effectiveFrom: UnixTime(1_000))])
            // A period set beforehand is kept when its bundle arrives; an explicit time replaces one.
            try await storage.setTariffPeriod(TariffPeriod(version: 4, effectiveFrom: UnixTime(5_000)))
            try await storage.storeBundle(StoredBundle(kind: .tariff, version: 4, bytes: try ReferenceFixture.tariffBundle(version: 4), uploadedAt: UnixTime(2_000)))
            try await storage.setTariffPeriod(TariffPeriod(version: 3, effectiveFrom: UnixTime(500)))
            #expect(try await storage.tariffPeriods() == [TariffPeriod(version: 3, effectiveFrom: UnixTime(500)), TariffPeriod(version: 4, effectiveFrom: UnixTime(5_000))])
            // Other kinds record no tariff period.
            try await storage.storeBundle(StoredBundle(kind: .denyList, version: 1, bytes: try ReferenceFixture.denyListBundle(version: 1, serials: [1]), uploadedAt: UnixTime(3_000)))
            #expect(try await storage.tariffPeriods().count == 2)
        }
    }

    @Test(arguments: Engine.all)
    func aStoredDenyListBundleSetsTheEffectTimeOfTheCardsItLists(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let lost = CardSerial(0x00AA_0000_0000_0001)
            let stolen = CardSerial(0x00AA_0000_0000_0002)
            let later = CardSerial(0x00AA_0000_0000_0003)
            _ = try await storage.addDenyListRequest(cardSerial: lost.printed, reason: "lost", reportedBy: "desk", at: UnixTime(100))
            _ = try await storage.addDenyListRequest(cardSerial: stolen.printed, reason: "stolen", reportedBy: "desk", at: UnixTime(110))
            #expect(try await storage.denyListings().allSatisfy { $0.effectiveAt == nil && $0.bundleVersion == nil })

            // Version 1 lists only the first card.
            try await storage.storeBundle(
                StoredBundle(kind: .denyList, version: 1, bytes: try ReferenceFixture.denyListBundle(version: 1, serials: [lost.rawValue]), uploadedAt: UnixTime(200)))
            _ = try await storage.addDenyListRequest(cardSerial: later.printed, reason: "fraud", reportedBy: "desk", at: UnixTime(250))
            // Version 2 lists all three: the first keeps the time it took effect.
            try await storage.storeBundle(
                StoredBundle(
                    kind: .denyList, version: 2, bytes: try ReferenceFixture.denyListBundle(version: 2, serials: [lost.rawValue, stolen.rawValue, later.rawValue]),
                    uploadedAt: UnixTime(300)))
            // Storing version 2 again changes nothing.
            try await storage.storeBundle(
                StoredBundle(
                    kind: .denyList, version: 2, bytes: try ReferenceFixture.denyListBundle(version: 2, serials: [lost.rawValue, stolen.rawValue, later.rawValue]),
                    uploadedAt: UnixTime(999)))
            #expect(
                try await storage.denyListings() == [
                    DenyListing(card: lost, reason: "lost", reportedAt: UnixTime(100), effectiveAt: UnixTime(200), bundleVersion: 1),
                    DenyListing(card: stolen, reason: "stolen", reportedAt: UnixTime(110), effectiveAt: UnixTime(300), bundleVersion: 2),
                    DenyListing(card: later, reason: "fraud", reportedAt: UnixTime(250), effectiveAt: UnixTime(300), bundleVersion: 2),
                ])
        }
    }

    @Test(arguments: Engine.all)
    func creditsAndEntitlementsImportWholeOrNothing(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let card = CardSerial(0x00BB_0000_0000_0001)
            let credits = [
                PurseCredit(card: card, amountKopecks: 10_000, creditedAt: UnixTime(1_000), source: "import", reference: "квитанція 1"),
                PurseCredit(card: card, amountKopecks: 5_000, creditedAt: UnixTime(2_000), source: "import", reference: "квитанція 2"),
            ]
            try await storage.importPurseCredits(credits)
            #expect(try await storage.purseCredits(in: nil) == credits)
            #expect(try await storage.purseCredits(in: UnixTime(1_500)..<UnixTime(2_001)) == [credits[1]])
            // A file with one new and one stored credit stores neither.
            let next = PurseCredit(card: card, amountKopecks: 700, creditedAt: UnixTime(3_000), source: "import", reference: "квитанція 3")
            await #expect(throws: ReferenceDataError.duplicate(uk: "", en: "")) { try await storage.importPurseCredits([next, credits[0]]) }
            await #expect(throws: ReferenceDataError.duplicate(uk: "", en: "")) { try await storage.importPurseCredits([next, next]) }
            await #expect(throws: ReferenceDataError.invalid(uk: "", en: "")) {
                try await storage.importPurseCredits([next, PurseCredit(card: card, amountKopecks: -1, creditedAt: UnixTime(4_000), source: "import", reference: "x")])
            }
            #expect(try await storage.purseCredits(in: nil) == credits)

            let rides = IssuedEntitlement(
                card: card, entitlement: 5, category: 3, product: .rides, rideLimit: 40, ridePeriod: .month, validFrom: ReferenceFixture.date("2026-01-01"),
                validUntil: ReferenceFixture.date("2026-12-31"))
            let free = IssuedEntitlement(
                card: CardSerial(0x00BB_0000_0000_0002), entitlement: 1, category: 1, product: .free, validFrom: ReferenceFixture.date("2026-01-01"),
                validUntil: ReferenceFixture.date("2030-12-31"))
            let discount = IssuedEntitlement(
                card: CardSerial(0x00BB_0000_0000_0003), entitlement: 2, category: 4, product: .discount, discountPercent: 50,
                validFrom: ReferenceFixture.date("2026-02-01"), validUntil: ReferenceFixture.date("2026-08-31"))
            try await storage.importIssuedEntitlements([rides, free, discount])
            #expect(try await storage.issuedEntitlements(of: nil) == [rides, free, discount])
            #expect(try await storage.issuedEntitlements(of: [card, CardSerial(0x00BB_0000_0000_0003)]) == [rides, discount])
            #expect(try await storage.issuedEntitlements(of: [CardSerial(99)]).isEmpty)
            // A re-export replaces the stored terms; a pair given twice, or terms that contradict their product, store nothing.
            var renewed = rides
            renewed.validUntil = ReferenceFixture.date("2027-12-31")
            try await storage.importIssuedEntitlements([renewed])
            #expect(try await storage.issuedEntitlements(of: [card]) == [renewed])
            await #expect(throws: ReferenceDataError.duplicate(uk: "", en: "")) { try await storage.importIssuedEntitlements([rides, rides]) }
            var broken = free
            broken.rideLimit = 3
            await #expect(throws: ReferenceDataError.invalid(uk: "", en: "")) { try await storage.importIssuedEntitlements([rides, broken]) }
            #expect(try await storage.issuedEntitlements(of: [card]) == [renewed])
        }
    }

    @Test(arguments: Engine.all)
    func paymentsAndMonthClosings(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            try await storage.addCarrier(ReferenceFixture.carrier)
            let november = CarrierPayment(carrier: 1, paidOn: ReferenceFixture.date("2026-11-20"), amountKopecks: 1_234_500, reference: "п/д 415")
            let december = CarrierPayment(carrier: 1, paidOn: ReferenceFixture.date("2026-12-05"), amountKopecks: 99_00, reference: "п/д 431")
            try await storage.addCarrierPayment(december)
            try await storage.addCarrierPayment(november)
            #expect(try await storage.carrierPayments(from: nil, through: nil) == [november, december])
            #expect(try await storage.carrierPayments(from: ReferenceFixture.date("2026-11-01"), through: ReferenceFixture.date("2026-11-30")) == [november])
            await #expect(throws: ReferenceDataError.duplicate(uk: "", en: "")) { try await storage.addCarrierPayment(november) }
            await #expect(throws: ReferenceDataError.unknown(uk: "", en: "")) {
                try await storage.addCarrierPayment(CarrierPayment(carrier: 9, paidOn: ReferenceFixture.date("2026-11-20"), amountKopecks: 1, reference: "п/д 1"))
            }

            let close = PeriodClose(month: "2026-11", closedAt: UnixTime(1_800_000_000), record: Array("{\"month\":\"2026-11\"}".utf8), signature: [UInt8](repeating: 7, count: 64))
            try await storage.storePeriodClose(close)
            #expect(try await storage.periodClose(month: "2026-11") == close)
            #expect(try await storage.periodClose(month: "2026-12") == nil)
            var again = close
            again.record = Array("другий".utf8)
            await #expect(throws: ReferenceDataError(.periodAlreadyClosed, uk: "", en: "")) { try await storage.storePeriodClose(again) }
            await #expect(throws: ReferenceDataError.invalid(uk: "", en: "")) {
                try await storage.storePeriodClose(PeriodClose(month: "2026-13", closedAt: UnixTime(1), record: [1], signature: [1]))
            }
            #expect(try await storage.periodCloses() == [close])
        }
    }

    @Test(arguments: Engine.all)
    func theSnapshotForAMonthHoldsWhatItsPeriodNeeds(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            try await storage.addCarrier(ReferenceFixture.carrier)
            try await storage.addRoute(RouteAssignment(route: 7, name: "Центр — Вокзал", carrier: 1))
            let november = UnixTime(1_793_570_400)..<UnixTime(1_796_162_400)
            let dates = ReferenceFixture.date("2026-11-01")...ReferenceFixture.date("2026-11-30")
            let before = DeviceAssignment(device: 17, vehicle: 1, carrier: 1, validFrom: UnixTime(0), validUntil: november.lowerBound)
            let during = DeviceAssignment(device: 17, vehicle: 2, carrier: 1, validFrom: november.lowerBound, validUntil: nil)
            try await storage.replaceDeviceAssignments(of: 17, with: [before, during])
            try await storage.setProgramme(CompensationProgramme(year: 2026, lines: [.init(category: 3, budgetKopecks: 1_000_000)]))
            let card = CardSerial(0x00BB_0000_0000_0001)
            try await storage.importPurseCredits([
                PurseCredit(card: card, amountKopecks: 100, creditedAt: november.lowerBound.adding(seconds: -1), source: "import", reference: "a"),
                PurseCredit(card: card, amountKopecks: 200, creditedAt: november.lowerBound, source: "import", reference: "b"),
            ])
            try await storage.addCarrierPayment(CarrierPayment(carrier: 1, paidOn: ReferenceFixture.date("2026-11-30"), amountKopecks: 5, reference: "п/д 1"))
            try await storage.addCarrierPayment(CarrierPayment(carrier: 1, paidOn: ReferenceFixture.date("2026-12-01"), amountKopecks: 6, reference: "п/д 2"))
            let snapshot = try await storage.referenceData(for: november, dates: dates, cards: [card])
            #expect(snapshot.carriers == [ReferenceFixture.carrier])
            #expect(snapshot.routes.map(\.route) == [7])
            #expect(snapshot.deviceAssignments == [during])
            #expect(snapshot.programmes.map(\.year) == [2026])
            #expect(snapshot.purseCredits.map(\.reference) == ["b"])
            #expect(snapshot.carrierPayments.map(\.reference) == ["п/д 1"])
            #expect(snapshot.issuedEntitlements.isEmpty)
        }
    }
}

import Crypto
import Entitlements
import Foundation
import Identifiers
import Tariff

/// A small Nemishaieve-like community, keys and helpers for the decision tests.
enum Fixture {
    static let rootKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 32))
    static let deskKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 2, count: 32))
    static let rootID: KeyID = 1
    static let deskID: KeyID = 0x10

    static let trust: TrustStore = {
        let desk = try! CertificateTerms(
            keyID: deskID, role: .issuer, publicKey: SigningPublicKey(deskKey.publicKey),
            notBefore: utc(2020, 1, 1), notAfter: utc(2035, 1, 1), issuerKeyID: rootID
        ).signed(with: rootKey)
        return try! TrustStore(rootKeyID: rootID, rootPublicKey: SigningPublicKey(rootKey.publicKey), certificates: [desk])
    }()

    static let pensioner = BenefitCategory(code: 1, id: "pensioner", name: LocalizedText(uk: "Пенсіонери за віком", en: "Old-age pensioners"))
    static let veteran = BenefitCategory(code: 2, id: "combat-veteran", name: LocalizedText(uk: "Учасники бойових дій (УБД)", en: "Combat veterans (UBD)"))
    static let student = BenefitCategory(code: 10, id: "student", name: LocalizedText(uk: "Студенти", en: "Students"))
    static let resident = BenefitCategory(code: 100, id: "resident", name: LocalizedText(uk: "Мешканці громади", en: "Community residents"))

    static let tariff = Tariff(
        community: "test", version: 1, acceptedLayoutVersions: [1],
        categories: [pensioner, veteran, student, resident], baseFareKopecks: 1500,
        routes: [
            Route(number: 1, name: LocalizedText(uk: "Місто", en: "Town"), zones: [1]),
            Route(number: 2, name: LocalizedText(uk: "Приміський", en: "Suburban"), zones: [1, 2], fareKopecks: 2000),
        ],
        antiPassbackSeconds: 180, transfer: TransferRule(windowSeconds: 2700, farePercent: 50),
        discountRounding: .downToKopeck, purseWithoutEntitlement: true)

    static let card: CardSerial = 0x00AA_BBCC_DDEE_0001
    static let bus = TapContext(deviceID: 501, vehicleID: 11, route: 1, zone: 1)
    static let otherBus = TapContext(deviceID: 502, vehicleID: 12, route: 2, zone: 2)

    /// Monday 15 June 2026, 09:00 Kyiv (06:00 UTC).
    static let now = utc(2026, 6, 15, 6, 0)

    static func date(_ year: Int, _ month: Int, _ day: Int) -> CivilDate { CivilDate(year: year, month: month, day: day)! }
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> UnixTime {
        UnixTime(utcMidnightOf: date(year, month, day), plusSeconds: hour * 3600 + minute * 60 + second)
    }

    static func terms(
        _ id: EntitlementID, _ product: Product, category: CategoryCode = 1,
        from: CivilDate = date(2026, 1, 1), until: CivilDate = date(2026, 12, 31),
        routes: Set<RouteNumber> = [], zones: Set<ZoneNumber> = [], windows: [TimeWindow] = [], priority: UInt8 = 0,
        card: CardSerial = card
    ) -> EntitlementTerms {
        EntitlementTerms(
            id: id, cardSerial: card, layoutVersion: 1, category: category, product: product, validFrom: from,
            validUntil: until, routes: routes, zones: zones, timeWindows: windows, priority: priority, issuerKeyID: deskID)
    }

    /// Signs and verifies (at `at`, by default a moment when the terms are in date).
    static func verified(_ terms: EntitlementTerms, at: UnixTime? = nil) -> VerifiedEntitlement {
        let entitlement = try! terms.signed(with: deskKey)
        let instant = at ?? UnixTime(utcMidnightOf: terms.validFrom, plusSeconds: 12 * 3600)
        let verdict = trust.verify(entitlement, for: terms.cardSerial, layoutVersion: terms.layoutVersion, categories: tariff.categories, now: instant)
        guard case .valid(let good) = verdict else { fatalError("fixture entitlement did not verify: \(verdict)") }
        return good
    }

    static func cardState(
        purse: Int = 0, blocked: Bool = false, layout: LayoutVersion = 1, counters: [UsageCounter] = [], trips: [TripRecord] = []
    ) -> CardState {
        CardState(serial: card, layoutVersion: layout, isBlocked: blocked, purseKopecks: purse, counters: counters, recentTrips: trips)
    }

    static func trip(
        at time: UnixTime, on context: TapContext = bus, fare: Int = 1500, kind: TripKind = .ride, entitlement: EntitlementID? = nil
    ) -> TripRecord {
        TripRecord(
            time: time, deviceID: context.deviceID, vehicleID: context.vehicleID, route: context.route, zone: context.zone,
            entitlementID: entitlement, category: nil, fareKopecks: fare, fullFareKopecks: 1500, kind: kind)
    }

    static func decideTap(
        _ card: CardState, _ entitlements: [VerifiedEntitlement] = [], context: TapContext = bus, tariff: Tariff = tariff,
        denyList: DenyList = .empty, now: UnixTime = now
    ) -> Decision {
        decide(card: card, entitlements: entitlements, context: context, tariff: tariff, denyList: denyList, now: now)
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

extension Tariff {
    func with(_ change: (inout Tariff) -> Void) -> Tariff {
        var copy = self
        change(&copy)
        return copy
    }
}

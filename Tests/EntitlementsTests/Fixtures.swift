import Crypto
import Entitlements
import Identifiers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Deterministic keys and a small community, shared by the tests.
enum Fixture {
    static func key(_ seed: UInt8) -> Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    }

    static let rootKey = key(1)
    static let deskKey = key(2)
    static let validatorKey = key(3)
    static let otherKey = key(9)

    static let rootID: KeyID = 0x0000_0001
    static let deskID: KeyID = 0x0000_0010
    static let validatorID: KeyID = 0x0000_0020
    /// The device the test validator key is certified for.
    static let validatorDevice: DeviceID = 106

    static let card: CardSerial = 0x0102_0304_0506_0708
    static let layout: LayoutVersion = 1

    static func date(_ year: Int, _ month: Int, _ day: Int) -> CivilDate { CivilDate(year: year, month: month, day: day)! }
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> UnixTime {
        UnixTime(utcMidnightOf: date(year, month, day), plusSeconds: hour * 3600 + minute * 60 + second)
    }

    static let categories = [
        BenefitCategory(code: 1, id: "pensioner", name: LocalizedText(uk: "Пенсіонери за віком", en: "Old-age pensioners")),
        BenefitCategory(code: 2, id: "combat-veteran", name: LocalizedText(uk: "Учасники бойових дій", en: "Combat veterans")),
    ]

    static func certificate(
        id: KeyID, role: KeyRole, key: Curve25519.Signing.PrivateKey,
        notBefore: UnixTime = utc(2025, 1, 1), notAfter: UnixTime = utc(2030, 12, 31, 23, 59, 59),
        issuer: KeyID = rootID, signer: Curve25519.Signing.PrivateKey = rootKey, device: DeviceID? = nil
    ) -> Certificate {
        try! CertificateTerms(
            keyID: id, role: role, publicKey: SigningPublicKey(key.publicKey), notBefore: notBefore, notAfter: notAfter,
            issuerKeyID: issuer, deviceID: role == .validator ? (device ?? validatorDevice) : device
        ).signed(with: signer)
    }

    static func trust(certificates: [Certificate]? = nil, revocations: RevocationList = RevocationList()) -> TrustStore {
        try! TrustStore(
            rootKeyID: rootID, rootPublicKey: SigningPublicKey(rootKey.publicKey),
            certificates: certificates ?? [
                certificate(id: deskID, role: .issuer, key: deskKey),
                certificate(id: validatorID, role: .validator, key: validatorKey),
            ],
            revocations: revocations)
    }

    static func terms(
        id: EntitlementID = 7, card: CardSerial = card, layout: LayoutVersion = layout, category: CategoryCode = 1,
        product: Product = .free, from: CivilDate = date(2026, 1, 1), until: CivilDate = date(2026, 12, 31),
        routes: Set<RouteNumber> = [], zones: Set<ZoneNumber> = [], windows: [TimeWindow] = [], priority: UInt8 = 0,
        issuer: KeyID = deskID
    ) -> EntitlementTerms {
        EntitlementTerms(
            id: id, cardSerial: card, layoutVersion: layout, category: category, product: product, validFrom: from,
            validUntil: until, routes: routes, zones: zones, timeWindows: windows, priority: priority, issuerKeyID: issuer)
    }

    /// A middle-of-the-year instant when the default terms are valid.
    static let now = utc(2026, 6, 15, 9, 0)
}

/// Random values for property tests and fuzzing, from a caller-supplied generator.
enum Random {
    static func date(_ rng: inout some RandomNumberGenerator) -> CivilDate {
        CivilDate(daysSinceEpoch: Int32.random(in: 0...Int32(UInt16.max), using: &rng))
    }

    static func product(_ rng: inout some RandomNumberGenerator) -> Product {
        switch UInt8.random(in: 1...5, using: &rng) {
        case 1: return .free
        case 2: return .discount(percent: UInt8.random(in: 1...100, using: &rng))
        case 3: return .rides(count: UInt16.random(in: 1...UInt16.max, using: &rng), per: RidePeriod.allCases.randomElement(using: &rng)!)
        case 4:
            let a = date(&rng)
            let b = date(&rng)
            return .pass(from: min(a, b), through: max(a, b))
        default: return .storedValue
        }
    }

    static func window(_ rng: inout some RandomNumberGenerator) -> TimeWindow {
        while true {
            let window = TimeWindow(
                weekdays: WeekdaySet(rawValue: UInt8.random(in: 1...0x7F, using: &rng)),
                fromMinute: UInt16.random(in: 0..<1440, using: &rng),
                untilMinute: UInt16.random(in: 1...1440, using: &rng))
            if window.fromMinute != window.untilMinute { return window }
        }
    }

    /// Terms that always fit the 120-byte limit once signed.
    static func terms(_ rng: inout some RandomNumberGenerator) -> EntitlementTerms {
        let a = date(&rng)
        let b = date(&rng)
        var routes = Set<RouteNumber>()
        var zones = Set<ZoneNumber>()
        var windows: [TimeWindow] = []
        // Budget: 120 - 64 signature - 34 fixed bytes (largest product) = 22 bytes of limits.
        switch UInt8.random(in: 0...3, using: &rng) {
        case 0: break
        case 1: for _ in 0..<Int.random(in: 1...8, using: &rng) { routes.insert(RouteNumber(UInt16.random(in: 0...UInt16.max, using: &rng))) }
        case 2: for _ in 0..<Int.random(in: 1...8, using: &rng) { zones.insert(ZoneNumber(UInt8.random(in: 0...UInt8.max, using: &rng))) }
        default:
            for _ in 0..<Int.random(in: 1...2, using: &rng) { windows.append(window(&rng)) }
            for _ in 0..<Int.random(in: 0...4, using: &rng) { zones.insert(ZoneNumber(UInt8.random(in: 0...UInt8.max, using: &rng))) }
        }
        return EntitlementTerms(
            id: EntitlementID(UInt32.random(in: 0...UInt32.max, using: &rng)),
            cardSerial: CardSerial(UInt64.random(in: 0...UInt64.max, using: &rng)),
            layoutVersion: LayoutVersion(UInt16.random(in: 0...UInt16.max, using: &rng)),
            category: CategoryCode(UInt16.random(in: 0...UInt16.max, using: &rng)),
            product: product(&rng), validFrom: min(a, b), validUntil: max(a, b), routes: routes, zones: zones,
            timeWindows: windows, priority: UInt8.random(in: 0...UInt8.max, using: &rng),
            issuerKeyID: KeyID(UInt32.random(in: 0...UInt32.max, using: &rng)))
    }

    static func signature(_ rng: inout some RandomNumberGenerator) -> Ed25519Signature {
        try! Ed25519Signature(rawRepresentation: (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    static func bytes(_ rng: inout some RandomNumberGenerator, count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}

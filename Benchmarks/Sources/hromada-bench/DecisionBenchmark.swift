import Crypto
import Entitlements
import Identifiers
import Tariff

/// Decisions per second for a card with two signed entitlements (both signatures checked on
/// every tap), beside raw Ed25519 verifications of the same bytes measured in the same run.
enum DecisionBenchmark {
    static func run(iterations: Int) throws {
        let rootKey = Curve25519.Signing.PrivateKey()
        let deskKey = Curve25519.Signing.PrivateKey()
        let rootID: KeyID = 1
        let deskID: KeyID = 0x10
        let now = UnixTime(utcMidnightOf: CivilDate(year: 2026, month: 6, day: 15)!, plusSeconds: 6 * 3600)
        let desk = try CertificateTerms(
            keyID: deskID, role: .issuer, publicKey: SigningPublicKey(deskKey.publicKey),
            notBefore: now.adding(seconds: -86_400 * 365), notAfter: now.adding(seconds: 86_400 * 365 * 5),
            issuerKeyID: rootID
        ).signed(with: rootKey)
        let trust = try TrustStore(
            rootKeyID: rootID, rootPublicKey: SigningPublicKey(rootKey.publicKey), certificates: [desk])

        let pensioner = BenefitCategory(
            code: 1, id: "pensioner", name: LocalizedText(uk: "Пенсіонери за віком", en: "Old-age pensioners"))
        let resident = BenefitCategory(
            code: 100, id: "resident", name: LocalizedText(uk: "Мешканці громади", en: "Community residents"))
        let tariff = Tariff(
            community: "bench", version: 1, acceptedLayoutVersions: [1], categories: [pensioner, resident],
            baseFareKopecks: 1500, routes: [Route(number: 1, name: LocalizedText(uk: "Місто", en: "Town"), zones: [1])],
            antiPassbackSeconds: 180, transfer: TransferRule(windowSeconds: 2700, farePercent: 50),
            discountRounding: .downToKopeck, purseWithoutEntitlement: true)

        let serial: CardSerial = 0x00AA_BBCC_DDEE_0001
        func entitlement(_ id: EntitlementID, _ category: CategoryCode, _ product: Product) throws -> Entitlement {
            try EntitlementTerms(
                id: id, cardSerial: serial, layoutVersion: 1, category: category, product: product,
                validFrom: CivilDate(year: 2026, month: 1, day: 1)!, validUntil: CivilDate(year: 2026, month: 12, day: 31)!,
                routes: [], zones: [], timeWindows: [], priority: 0, issuerKeyID: deskID
            ).signed(with: deskKey)
        }
        // A pensioner with 30 rides a month and a stored-value purse: the decision must check both.
        let entitlements = [
            try entitlement(1, 1, .rides(count: 30, per: .month)),
            try entitlement(2, 100, .storedValue),
        ]
        let card = CardState(
            serial: serial, layoutVersion: 1, isBlocked: false, purseKopecks: 10_000, counters: [], recentTrips: [])
        let context = TapContext(deviceID: 501, vehicleID: 11, route: 1, zone: 1)

        var refused = 0
        let decisions = Samples.measure("decision: verify 2 entitlements + decide", iterations: iterations) {
            let outcome = verifyAndDecide(
                card: card, entitlements: entitlements, trust: trust, context: context, tariff: tariff,
                denyList: .empty, now: now)
            if outcome.decision.acceptance == nil { refused += 1 }
        }
        precondition(refused == 0, "the benchmark card must be accepted every time")

        let signedBytes = entitlements.map { $0.terms.signedBytes }
        let signatures = entitlements.map { $0.signature.rawRepresentation }
        let deskPublic = deskKey.publicKey
        var invalid = 0
        let raw = Samples.measure("baseline: 2 raw Ed25519 verifications", iterations: iterations) {
            for index in 0..<2 where !deskPublic.isValidSignature(signatures[index], for: signedBytes[index]) {
                invalid += 1
            }
        }
        precondition(invalid == 0, "baseline signatures must verify")

        report(raw)
        report(decisions, extra: "ratio to baseline \(format(decisions.perSecond / raw.perSecond * 100, 1))%")
    }
}

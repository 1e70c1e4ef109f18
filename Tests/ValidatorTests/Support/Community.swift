import CardLayout
import CommunityKeys
import Crypto
import Entitlements
import Foundation
import Identifiers
import PropertyTesting
import SocialCard
import Tariff
import Validator

enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let layout = packageRoot.appendingPathComponent("CardLayouts/nemishaieve-social-v1.json").path
    static let layoutV2 = packageRoot.appendingPathComponent("CardLayouts/nemishaieve-social-v2.json").path
    static let layoutV3 = packageRoot.appendingPathComponent("CardLayouts/nemishaieve-social-v3.json").path
    static let tariff = packageRoot.appendingPathComponent("Communities/nemishaieve/tariff.json").path
    static let categories = packageRoot.appendingPathComponent("Communities/nemishaieve/categories.json").path

    /// The community's tariff as validators receive it: `tariff.json`'s codes resolved against `categories.json`.
    static func loadTariff() throws -> Tariff {
        let list = try JSONDecoder().decode(BenefitCategoryList.self, from: FileManager.default.contents(atPath: categories)!)
        return try JSONDecoder().decode(TariffSource.self, from: FileManager.default.contents(atPath: tariff)!).resolved(with: list)
    }

    static func temporaryDirectory(_ prefix: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Times the tests tap at: a Sunday afternoon in Kyiv, and moments around it.
enum Clock {
    /// 2026-11-29 12:00 UTC (14:00 in Kyiv), a Sunday.
    static let now = UnixTime(1_795_953_600)
    static let today = CivilDate(year: 2026, month: 11, day: 29)!
    static func later(_ seconds: Int64) -> UnixTime { now.adding(seconds: seconds) }
}

/// A community's keys, made with a seeded generator in a temporary directory, and what the
/// desk and a validator build from them.
final class TestCommunity: @unchecked Sendable {
    let path: String
    let directory: CommunityDirectory
    let cardLayout: CardLayout
    let layout: SocialCardLayout
    let tariff: Tariff

    /// `device` is the id validator-1's certificate names: `DaemonFiles`' default device. Cards are
    /// issued with the layout at `layoutPath`; the validator reads v3, v2 and v1 either way.
    init(seed: UInt64 = 11, device: DeviceID = 7101, layoutPath: String = Paths.layout) throws {
        path = Paths.temporaryDirectory("hromada-validator-keys")
        var generator = SeededGenerator(seed: seed)
        directory = try CommunityDirectory.create(
            at: path + "/keys", community: "nemishaieve", now: Clock.now.adding(seconds: -86_400 * 30), firstDevice: device,
            using: &generator)
        cardLayout = try CardLayout(json: [UInt8](FileManager.default.contents(atPath: layoutPath)!))
        layout = try SocialCardLayout(cardLayout)
        tariff = try Paths.loadTariff()
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The keyring of `roles` (the desk holds all, a validator read and validate).
    func keyring(roles: Set<CardMasterRole> = Set(CardMasterRole.allCases)) throws -> CardKeyring {
        var sets: [CardMasterKeySet] = []
        for version in try directory.cardKeyVersions() {
            var keys: [CardMasterRole: SymmetricKey] = [:]
            for master in try directory.cardMasterKeys(version: version) {
                if let role = CardMasterRole(rawValue: master.role.rawValue), roles.contains(role) { keys[role] = master.key }
            }
            sets.append(try CardMasterKeySet(version: version, keys: keys))
        }
        return try CardKeyring(community: cardLayout.community, sets: sets)
    }

    func issuerKey() throws -> CommunitySigningKey {
        let certificate = try directory.certificates().first { $0.role == .issuer }!
        return try directory.signingKey(certificate.keyID)
    }

    func trustStore() throws -> TrustStore {
        let root = try directory.root()
        return try TrustStore(
            rootKeyID: root.keyID, rootPublicKey: root.publicKey, certificates: try directory.certificates(),
            revocations: try directory.revocations())
    }

    /// Revokes the issuer that signed the test entitlements.
    func revokeIssuer() throws {
        _ = try directory.revokeKey(try issuerKey().keyID, role: .issuer, reason: .keyCompromise, now: Clock.now.adding(seconds: -3600))
    }

    /// One entitlement to put on a card.
    struct Grant {
        var product: Product
        var category: CategoryCode
        var validFrom: CivilDate = Clock.today.adding(days: -10)
        var validUntil: CivilDate = Clock.today.adding(days: 365)
        var routes: Set<RouteNumber> = []
    }

    /// The personalization plan of a card with `grants` and `purse` kopecks.
    func plan(serial: CardSerial, grants: [Grant], purse: Int32 = 0) throws -> PersonalizationPlan {
        let issuer = try issuerKey()
        var generator = SeededGenerator(seed: serial.rawValue)
        let entitlements = try grants.enumerated().map { index, grant in
            try EntitlementTerms(
                id: EntitlementID(UInt32(index + 1)), cardSerial: serial, layoutVersion: LayoutVersion(UInt16(layout.layout.version)),
                category: grant.category,
                product: grant.product, validFrom: grant.validFrom, validUntil: grant.validUntil, routes: grant.routes,
                issuerKeyID: issuer.keyID
            ).signed(with: issuer.privateKey, encoding: layout.entitlementEncoding)
        }
        let request = IssuanceRequest(
            serial: serial, issueDate: Clock.today.adding(days: -10), expiryDate: Clock.today.adding(days: 1826),
            holderPseudonym: IssuanceRequest.randomPseudonym(length: layout.pseudonymLength, using: &generator), entitlements: entitlements,
            purseKopecks: purse, issuedAt: Clock.now.adding(seconds: -86_400 * 10), issuerDeviceID: issuer.keyID.rawValue)
        return try PersonalizationPlan(layout: layout, request: request)
    }

    /// What a validator with this community's read and validate keys uses to tap cards.
    /// It holds every layout, newest first, as a validator in the field does while older cards remain.
    func tapper() throws -> SocialCardTapper {
        let layouts = try [Paths.layoutV3, Paths.layoutV2, Paths.layout].map { try SocialCardLayout(CardLayout(json: [UInt8](FileManager.default.contents(atPath: $0)!))) }
        return SocialCardTapper(layouts: layouts, keyring: try keyring(roles: [.read, .validate]))
    }
}

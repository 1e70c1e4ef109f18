import CardLayout
import CommunityKeys
import Crypto
import DESFire
import Entitlements
import Foundation
import Identifiers
import PropertyTesting
import SocialCard

enum Fixtures {
    /// The package root, found from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let layoutPath = packageRoot.appendingPathComponent("CardLayouts/nemishaieve-social-v1.json").path
    static let categoriesPath = packageRoot.appendingPathComponent("Communities/nemishaieve/categories.json").path

    static let cardLayout: CardLayout = try! CardLayout(json: [UInt8](FileManager.default.contents(atPath: layoutPath)!))
    static let layout = try! SocialCardLayout(cardLayout)
    static let layoutV2Path = packageRoot.appendingPathComponent("CardLayouts/nemishaieve-social-v2.json").path
    static let cardLayoutV2: CardLayout = try! CardLayout(json: [UInt8](FileManager.default.contents(atPath: layoutV2Path)!))
    static let layoutV2 = try! SocialCardLayout(cardLayoutV2)
    static let layoutV3Path = packageRoot.appendingPathComponent("CardLayouts/nemishaieve-social-v3.json").path
    static let cardLayoutV3: CardLayout = try! CardLayout(json: [UInt8](FileManager.default.contents(atPath: layoutV3Path)!))
    static let layoutV3 = try! SocialCardLayout(cardLayoutV3)
    static let categories: [BenefitCategory] = try! JSONDecoder().decode(
        BenefitCategoryList.self, from: FileManager.default.contents(atPath: categoriesPath)!).categories

    /// 2026-11-29 12:00 UTC.
    static let now = UnixTime(1_795_953_600)
    static let today = CivilDate(year: 2026, month: 11, day: 29)!

    /// A community directory made with a seeded generator in a temporary directory.
    final class Community: @unchecked Sendable {
        let path: String
        let directory: CommunityDirectory
        init(seed: UInt64 = 7) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-desk-keys-\(UUID().uuidString)").path
            var generator = SeededGenerator(seed: seed)
            directory = try CommunityDirectory.create(at: path, community: "nemishaieve", now: Fixtures.now.adding(seconds: -86_400), using: &generator)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// The keyring the desk builds from the directory (every version, every role).
        func keyring(roles: Set<CardMasterRole> = Set(CardMasterRole.allCases)) throws -> CardKeyring {
            var sets: [CardMasterKeySet] = []
            for version in try directory.cardKeyVersions() {
                var keys: [CardMasterRole: SymmetricKey] = [:]
                for master in try directory.cardMasterKeys(version: version) {
                    if let role = CardMasterRole(rawValue: master.role.rawValue), roles.contains(role) { keys[role] = master.key }
                }
                sets.append(try CardMasterKeySet(version: version, keys: keys))
            }
            return try CardKeyring(community: "nemishaieve", sets: sets)
        }

        func issuerKey() throws -> CommunitySigningKey {
            let certificate = try directory.certificates().first { $0.role == .issuer }!
            return try directory.signingKey(certificate.keyID)
        }

        func trustStore() throws -> TrustStore {
            let root = try directory.root()
            return try TrustStore(rootKeyID: root.keyID, rootPublicKey: root.publicKey,
                                  certificates: try directory.certificates(), revocations: try directory.revocations())
        }

        /// A plan for one card with `products`, signed by the directory's issuer.
        func plan(
            serial: CardSerial, products: [Product], category: CategoryCode = 1, purse: Int32 = 0, layout: SocialCardLayout = Fixtures.layout
        ) throws -> PersonalizationPlan {
            let issuer = try issuerKey()
            var generator = SeededGenerator(seed: serial.rawValue)
            let entitlements = try products.enumerated().map { index, product in
                try EntitlementTerms(
                    id: EntitlementID(UInt32(index + 1)), cardSerial: serial, layoutVersion: LayoutVersion(UInt16(layout.layout.version)),
                    category: category, product: product,
                    validFrom: Fixtures.today, validUntil: Fixtures.today.adding(days: 365), issuerKeyID: issuer.keyID
                ).signed(with: issuer.privateKey, encoding: layout.entitlementEncoding)
            }
            let request = IssuanceRequest(
                serial: serial, issueDate: Fixtures.today, expiryDate: Fixtures.today.adding(days: 1826),
                holderPseudonym: IssuanceRequest.randomPseudonym(length: layout.pseudonymLength, using: &generator), entitlements: entitlements,
                purseKopecks: purse, issuedAt: Fixtures.now, issuerDeviceID: issuer.keyID.rawValue)
            return try PersonalizationPlan(layout: layout, request: request)
        }
    }
}

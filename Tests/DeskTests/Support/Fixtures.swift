import CardLayout
import CommunityKeys
import Entitlements
import Foundation
import SocialCard
import VirtualCard

enum Fixtures {
    /// The package root, found from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let layoutPath = packageRoot.appendingPathComponent("CardLayouts/nemishaieve-social-v1.json").path
    static let layoutV2Path = packageRoot.appendingPathComponent("CardLayouts/nemishaieve-social-v2.json").path
    static let layout = try! SocialCardLayout(try! CardLayout(json: [UInt8](FileManager.default.contents(atPath: layoutPath)!)))

    /// 2026-11-29 12:00 UTC.
    static let now = UnixTime(1_795_953_600)

    /// A community directory in a temporary directory, removed with the value.
    final class Community: @unchecked Sendable {
        let path: String
        let directory: CommunityDirectory
        init(community: String = "nemishaieve") throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-desk-keys-\(UUID().uuidString)").path
            var generator = SystemRandomNumberGenerator()
            directory = try CommunityDirectory.create(at: path, community: community, now: Fixtures.now.adding(seconds: -86_400), using: &generator)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func issuerKey() throws -> CommunitySigningKey {
            let certificate = try directory.certificates().first { $0.role == .issuer }!
            return try directory.signingKey(certificate.keyID)
        }
    }
}


import CardLayout
import CommunityKeys
import Crypto
@testable import Desk
import Entitlements
import Foundation
import SocialCard
import Testing

@Suite("Desk setup: files, card keyring, issuer key")
struct DeskSetupTests {
    @Test("the desk loads its directory, layout, keyring of every role and the categories beside the layout")
    func loads() throws {
        let community = try Fixtures.Community()
        let setup = try DeskSetup(keys: community.path, layoutPath: Fixtures.layoutPath, categoriesPath: nil)
        #expect(setup.layout == Fixtures.layout)
        #expect(setup.keyring.sets[1]?.roles == Set(CardMasterRole.allCases))
        #expect(setup.categories.contains { $0.id == "pensioner" })
        #expect(DeskPaths.categories(besideLayout: Fixtures.layoutPath, community: "nemishaieve")
            == Fixtures.packageRoot.appendingPathComponent("Communities/nemishaieve/categories.json").path)
    }

    @Test("keys of another community, or a missing file, stop the desk with exit 66")
    func refusesFiles() throws {
        let other = try Fixtures.Community(community: "boryspil")
        let mismatch = #expect(throws: DeskError.self) { try DeskSetup(keys: other.path, layoutPath: Fixtures.layoutPath, categoriesPath: nil) }
        #expect(mismatch?.exitStatus == 66)
        #expect(mismatch?.reason == "the keys are boryspil's but the layout is nemishaieve's")
        let community = try Fixtures.Community()
        let missing = #expect(throws: DeskError.self) {
            try DeskSetup(keys: community.path, layoutPath: Fixtures.layoutPath, categoriesPath: community.path + "/none.json")
        }
        #expect(missing?.reason == "cannot read the file \(community.path)/none.json")
        let noKeys = #expect(throws: DeskError.self) { try DeskSetup(keys: community.path + "/none", layoutPath: Fixtures.layoutPath, categoriesPath: nil) }
        #expect(noKeys?.exitStatus == 66)
    }

    @Test("the directory's keyring derives the keys the shared builder does, and keeps only the roles asked for")
    func keyring() throws {
        let community = try Fixtures.Community()
        var generator = SystemRandomNumberGenerator()
        _ = try community.directory.rotateCardKeys(using: &generator)
        let all = try community.directory.cardKeyring(community: "nemishaieve")
        #expect(all.sets.keys.sorted() == [1, 2])
        #expect(all.newestVersion == 2)
        let uid: [UInt8] = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]
        // Built by hand from the directory's files, set by set: the same keys.
        var sets: [CardMasterKeySet] = []
        for version in try community.directory.cardKeyVersions() {
            var keys: [CardMasterRole: SymmetricKey] = [:]
            for master in try community.directory.cardMasterKeys(version: version) { keys[CardMasterRole(rawValue: master.role.rawValue)!] = master.key }
            sets.append(try CardMasterKeySet(version: version, keys: keys))
        }
        let byHand = try CardKeyring(community: "nemishaieve", sets: sets)
        for version: UInt8 in [1, 2] {
            let ours = try all.cardKeys(uid: uid, application: Fixtures.layout.applicationID, version: version)
            let theirs = try byHand.cardKeys(uid: uid, application: Fixtures.layout.applicationID, version: version)
            for role in CardKeyRole.allCases {
                #expect(try ours.applicationKey(role) == theirs.applicationKey(role))
            }
        }
        let validating = try community.directory.cardKeyring(community: "nemishaieve", roles: [.read, .validate])
        #expect(validating.sets[2]?.roles == [.read, .validate])
        #expect(throws: SocialCardError(.missingKey, "")) {
            try validating.cardKeys(uid: uid, application: Fixtures.layout.applicationID, version: 2).applicationKey(.issue)
        }
    }

    @Test("without --issuer the newest valid, unrevoked issuer signs; a named one is used as named")
    func issuerKey() throws {
        let community = try Fixtures.Community()
        let directory = community.directory
        let first = try community.issuerKey()
        var generator = SystemRandomNumberGenerator()
        let later = Fixtures.now.adding(seconds: 3_600)
        let second = try directory.addKey(role: .issuer, label: "desk-2", now: later, using: &generator)
        let atNoon = Fixtures.now.adding(seconds: 7_200)
        // Both valid: the newer one.
        #expect(try directory.issuerKey(nil, now: atNoon).keyID == second.keyID)
        #expect(IssuerKeyChoice.candidates(certificates: try directory.certificates(), revocations: try directory.revocations(), now: atNoon)
            .map(\.keyID) == [second.keyID, first.keyID])
        // Before the second was certified, only the first.
        #expect(try directory.issuerKey(nil, now: Fixtures.now).keyID == first.keyID)
        // Named, by its hex key id.
        #expect(try directory.issuerKey(first.keyID.description, now: atNoon).keyID == first.keyID)
        let notAnID = #expect(throws: DeskError.self) { try directory.issuerKey("desk", now: atNoon) }
        #expect(notAnID?.exitStatus == 64)
        // Revoked: back to the first.
        try directory.revokeKey(second.keyID, role: .issuer, reason: .retired, now: atNoon)
        #expect(try directory.issuerKey(nil, now: atNoon).keyID == first.keyID)
        try directory.revokeKey(first.keyID, role: .issuer, reason: .retired, now: atNoon)
        let none = #expect(throws: DeskError.self) { try directory.issuerKey(nil, now: atNoon) }
        #expect(none?.reason == "the key directory holds no valid issuer key")
        #expect(none?.exitStatus == 66)
    }

    @Test("the default layout is found beside the program or in a folder above it, else in the current directory")
    func layoutNearProgram() {
        let files: Set<String> = ["/opt/hromada/CardLayouts/x.json", "/srv/CardLayouts/x.json"]
        #expect(DeskPaths.find("CardLayouts/x.json", above: "/opt/hromada/bin/hromada-desk", currentDirectory: "/home/op") { files.contains($0) }
            == "/opt/hromada/CardLayouts/x.json")
        #expect(DeskPaths.find("CardLayouts/x.json", above: "/srv/a/b/c/d/e/hromada-desk", currentDirectory: "/home/op") { files.contains($0) }
            == "/srv/CardLayouts/x.json")
        #expect(DeskPaths.find("CardLayouts/x.json", above: "/usr/bin/hromada-desk", currentDirectory: "/home/op") { files.contains($0) }
            == "/home/op/CardLayouts/x.json")
    }
}

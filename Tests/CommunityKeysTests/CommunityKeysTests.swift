import Bundles
import CommunityKeys
import Crypto
import Entitlements
import Foundation
import Identifiers
import PropertyTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

// One serialized suite: these tests create files and one changes the process's umask.
@Suite("Community key directory", .serialized)
struct CommunityKeysTests {
    @Test("init creates every file with the documented mode")
    func initCreatesFiles() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        let expected: [(String, mode_t)] = [
            ("community.json", 0o644), ("public", 0o755), ("public/certificates", 0o755),
            ("public/certificates/1ea98f7d.cert", 0o644), ("public/certificates/6fce2b74.cert", 0o644),
            ("public/certificates/aaba0faa.cert", 0o644), ("public/revocations.json", 0o644),
            ("public/root.pub", 0o644), ("secret", 0o700), ("secret/accounting-1ea98f7d.key", 0o600),
            ("secret/card-keys", 0o700),
            ("secret/card-keys/applicationMaster-v1.key", 0o600), ("secret/card-keys/issue-v1.key", 0o600),
            ("secret/card-keys/piccMaster-v1.key", 0o600), ("secret/card-keys/read-v1.key", 0o600),
            ("secret/card-keys/validate-v1.key", 0o600),
            ("secret/issuer-6fce2b74.key", 0o600), ("secret/root.key", 0o600), ("secret/validator-aaba0faa.key", 0o600),
        ]
        #expect(tree(directory.path) == expected.map(\.0))
        for (file, bits) in expected {
            #expect(mode(directory.path + "/" + file) == bits, "\(file)")
        }
    }

    @Test("secret files are 0600 from creation even with a permissive umask")
    func modesIgnoreUmask() throws {
        let previous = umask(0)
        defer { umask(previous) }
        let (directory, base) = try makeCommunity(seed: 7)
        defer { removeTree(base) }
        for file in tree(directory.path) where file.hasSuffix(".key") {
            #expect(mode(directory.path + "/" + file) == 0o600, "\(file)")
        }
        #expect(mode(directory.path + "/community.json") == 0o644)
    }

    @Test("every certificate verifies against the root, for its role")
    func certificatesVerify() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        let store = try directory.trustPayload().trustStore()
        let certificates = try directory.certificates()
        #expect(Set(certificates.map(\.role)) == [.issuer, .validator, .accounting])
        for certificate in certificates {
            #expect(store.checkCertificate(of: certificate.keyID, role: certificate.role, now: fixedNow) == .valid(certificate))
            let key = try directory.signingKey(certificate.keyID)
            #expect(key.publicKey == certificate.publicKey)
        }
        #expect(try directory.root().keyID == directory.rootKey().keyID)
    }

    @Test("a revoked device shows up in the next trust bundle and is refused there")
    func revocationReachesTrustBundle() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        var rng = SeededGenerator(seed: 1)
        let bus = try directory.addKey(role: .validator, label: "bus-017", device: 17, now: fixedNow, using: &rng)
        let list = try directory.revokeKey(bus.keyID, role: .validator, reason: .keyCompromise, now: fixedNow)
        #expect(list.version == 1)
        #expect(throws: CommunityKeysError(.cannotRevoke, "")) {
            try directory.revokeKey(bus.keyID, role: .validator, reason: .retired, now: fixedNow)
        }
        #expect(throws: CommunityKeysError(.unknownKey, "")) {
            try directory.revokeKey(bus.keyID, role: .issuer, reason: .retired, now: fixedNow)
        }
        let bytes = try directory.signBundle(kind: .trust, input: nil, version: 1, expiresAt: fixedNow.adding(seconds: 86_400), now: fixedNow)
        guard case .accept(let verified) = try directory.verifyBundle(bytes, kind: .trust, installedVersion: nil, now: fixedNow),
              case .trust(let trust) = verified.payload else {
            Issue.record("trust bundle refused")
            return
        }
        #expect(trust.revocations.revocation(of: bus.keyID)?.reason == .keyCompromise)
        #expect(try trust.trustStore().checkCertificate(of: bus.keyID, role: .validator, now: fixedNow)
                == .invalid(.revokedIssuer(bus.keyID, .keyCompromise)))
        #expect(try directory.report(now: fixedNow).contains("\(bus.keyID)  validator   17      bus-017      2026-05-28T20:26:40Z  2028-05-27T20:26:40Z  revoked (key-compromise)"))
    }

    @Test("rotating card keys adds a version and keeps the old ones unchanged")
    func rotateKeepsOldVersions() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        func raw(_ keys: [CardMasterKey]) -> [[UInt8]] { keys.map { $0.key.withUnsafeBytes { Array($0) } } }
        let before = raw(try directory.cardMasterKeys(version: 1))
        var rng = SeededGenerator(seed: 2)
        #expect(try directory.rotateCardKeys(using: &rng) == 2)
        #expect(try directory.rotateCardKeys(using: &rng) == 3)
        #expect(try directory.cardKeyVersions() == [1, 2, 3])
        #expect(raw(try directory.cardMasterKeys(version: 1)) == before)
        let second = try directory.cardMasterKeys(version: 2)
        #expect(second.map(\.role) == CardMasterKeyRole.allCases)
        #expect(second.allSatisfy { $0.version == 2 })
        #expect(Set(raw(second)).isDisjoint(with: Set(before)))
        #expect(Set(raw(try directory.cardMasterKeys(version: 3))).count == 5, "every role has its own key")
    }

    @Test("signed bundles verify; a tampered one does not; rollbacks are refused at both ends")
    func bundles() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        let deny = Array(#"{"version": 0, "entries": [{"serial": "0102-0304-0506-0708", "reason": "stolen"}]}"#.utf8)
        let expires = fixedNow.adding(seconds: 30 * 86_400)
        let v2 = try directory.signBundle(kind: .denyList, input: deny, version: 2, expiresAt: expires, now: fixedNow)
        guard case .accept(let verified) = try directory.verifyBundle(v2, kind: .denyList, installedVersion: 1, now: fixedNow),
              case .denyList(let list) = verified.payload else {
            Issue.record("deny list refused")
            return
        }
        #expect(list.reason(for: CardSerial(0x0102_0304_0506_0708)) == .stolen)
        #expect(list.version == 2)

        var tampered = v2
        tampered[tampered.count - 64 - 5] ^= 0x01 // inside the payload (13 bytes before the signature)
        #expect(try directory.verifyBundle(tampered, kind: .denyList, installedVersion: 1, now: fixedNow) == .refuse(.badSignature))

        #expect(try directory.verifyBundle(v2, kind: .denyList, installedVersion: 3, now: fixedNow)
                == .refuse(.rollback(installed: 3, offered: 2)))
        #expect(throws: CommunityKeysError(.versionNotNewer, "")) {
            try directory.signBundle(kind: .denyList, input: deny, version: 2, expiresAt: expires, now: fixedNow)
        }
        #expect(throws: CommunityKeysError(.invalidInput, "")) {
            try directory.signBundle(kind: .trust, input: deny, version: 1, expiresAt: expires, now: fixedNow)
        }

        // Another community's root cannot sign for this one.
        let otherBase = try temporaryDirectory()
        defer { removeTree(otherBase) }
        var rng = SeededGenerator(seed: 99)
        let other = try CommunityDirectory.create(at: otherBase + "/c", community: "nemishaieve", now: fixedNow, using: &rng)
        let foreign = try other.signBundle(kind: .denyList, input: deny, version: 5, expiresAt: expires, now: fixedNow)
        let otherRoot = try other.root().keyID
        #expect(try directory.verifyBundle(foreign, kind: .denyList, installedVersion: 1, now: fixedNow)
                == .refuse(.wrongSigner(expected: try directory.root().keyID, found: otherRoot)))
    }

    @Test("a tariff bundle is signed from tariff JSON whose version matches, categories resolved from the category list")
    func tariffBundle() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        let tariffJSON = Array("""
        {"community": "nemishaieve", "version": 3, "currency": "UAH",
         "timeZone": {"name": "Europe/Kyiv", "standardOffsetSeconds": 7200, "daylightSaving": null},
         "acceptedLayoutVersions": [1], "categories": [1],
         "baseFareKopecks": 1500, "routes": [], "antiPassbackSeconds": 120,
         "discountRounding": {"unitKopecks": 1, "mode": "down"}, "purseWithoutEntitlement": true}
        """.utf8)
        let categoriesJSON = Array("""
        {"community": "nemishaieve", "version": 1,
         "categories": [{"code": 1, "id": "pensioner", "name": {"uk": "Пенсіонер", "en": "Pensioner"}},
                        {"code": 2, "id": "student", "name": {"uk": "Студент", "en": "Student"}}]}
        """.utf8)
        let expires = fixedNow.adding(seconds: 86_400)
        #expect(throws: CommunityKeysError(.invalidInput, "")) {
            try directory.signBundle(kind: .tariff, input: tariffJSON, categories: categoriesJSON, version: 4, expiresAt: expires, now: fixedNow)
        }
        // Without the category list, or with one lacking a listed code, there is no tariff to sign.
        #expect(throws: CommunityKeysError(.invalidInput, "")) {
            try directory.signBundle(kind: .tariff, input: tariffJSON, version: 3, expiresAt: expires, now: fixedNow)
        }
        let withoutPensioners = Array(#"{"community": "nemishaieve", "version": 1, "categories": [{"code": 2, "id": "student", "name": {"uk": "Студент", "en": "Student"}}]}"#.utf8)
        #expect(throws: CommunityKeysError(.invalidInput, "")) {
            try directory.signBundle(kind: .tariff, input: tariffJSON, categories: withoutPensioners, version: 3, expiresAt: expires, now: fixedNow)
        }
        let bytes = try directory.signBundle(kind: .tariff, input: tariffJSON, categories: categoriesJSON, version: 3, expiresAt: expires, now: fixedNow)
        guard case .accept(let verified) = try directory.verifyBundle(bytes, kind: .tariff, installedVersion: 2, now: fixedNow),
              case .tariff(let tariff) = verified.payload else {
            Issue.record("tariff refused")
            return
        }
        #expect(tariff.baseFareKopecks == 1500)
        #expect(tariff.categories.map(\.id) == ["pensioner"])
        #expect(tariff.categories.first?.name.uk == "Пенсіонер")
    }

    @Test("show prints ids, roles and validity word for word, and no secret")
    func showWordForWord() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        let report = try directory.report(now: fixedNow)
        #expect(report == """
        community   nemishaieve
        root key    8b08c016  public 6a21f787e97a3f3c9017a303b12aba8bbc6568e93cb3c57bc6e302d4f07664da

        certified keys
          KEY ID    ROLE        DEVICE  LABEL        VALID FROM            VALID UNTIL           STATUS
          1ea98f7d  accounting  -       accounting   2026-05-28T20:26:40Z  2028-05-27T20:26:40Z  active
          6fce2b74  issuer      -       desk-1       2026-05-28T20:26:40Z  2028-05-27T20:26:40Z  active
          aaba0faa  validator   1       validator-1  2026-05-28T20:26:40Z  2028-05-27T20:26:40Z  active
        revocation list version 0

        card master keys (AES-128, diversified per card)
          roles     piccMaster, applicationMaster, read, validate, issue
          versions  v1 (current v1)

        bundles last signed
          trust     none
          tariff    none
          denylist  none

        """)
        // After a year the certificates are still active; after three they have expired.
        #expect(try directory.report(now: fixedNow.adding(seconds: 3 * 365 * 86_400)).contains("2028-05-27T20:26:40Z  expired"))
        // No secret material in the report: check every secret hex string from the key files.
        for file in tree(directory.path + "/secret") where file.hasSuffix(".key") {
            let text = String(decoding: try readBytes(directory.path + "/secret/" + file), as: UTF8.self)
            let secretHex = try #require(text.split(separator: "\"").first { $0.count == 32 || $0.count == 64 })
            #expect(!report.contains(secretHex), "\(file)")
        }
    }

    @Test("key types describe themselves without their secrets")
    func descriptionsRedact() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        let root = try directory.rootKey()
        let rootHex = root.privateKey.rawRepresentation.map { String(format: "%02x", $0) }.joined()
        #expect("\(root)" == "CommunitySigningKey(root 8b08c016, private key redacted)")
        #expect(!String(reflecting: root).contains(rootHex))
        let card = try directory.cardMasterKeys(version: 1)[3]
        #expect("\(card)" == "CardMasterKey(validate v1, key redacted)")
        #expect(String(reflecting: card) == "CardMasterKey(validate v1, key redacted)")
    }

    @Test("a secret file others can read is refused; init never overwrites a community")
    func refusals() throws {
        let (directory, base) = try makeCommunity()
        defer { removeTree(base) }
        chmod(directory.path + "/secret/root.key", 0o644)
        #expect(throws: CommunityKeysError(.insecurePermissions, "")) { try directory.rootKey() }
        chmod(directory.path + "/secret/root.key", 0o600)
        let before = try readBytes(directory.path + "/secret/root.key")
        var rng = SeededGenerator(seed: 5)
        #expect(throws: CommunityKeysError(.alreadyExists, "")) {
            try CommunityDirectory.create(at: directory.path, community: "nemishaieve", now: fixedNow, using: &rng)
        }
        #expect(try readBytes(directory.path + "/secret/root.key") == before)
        #expect(throws: CommunityKeysError(.notACommunity, "")) { try CommunityDirectory(opening: base) }
        #expect(throws: CommunityKeysError(.invalidArgument, "")) {
            try CommunityDirectory.create(at: base + "/x", community: "Bad Name", now: fixedNow, using: &rng)
        }
        #expect(!tree(directory.path).contains { $0.contains(".tmp-") }, "no temporary files left behind")
    }
}

import CardLayout
import Crypto
import DESFire
import Entitlements
import Foundation
import Identifiers
import PropertyTesting
import SocialCard
import Tariff
import Testing

@Suite("Card keys: AN10922 diversification per card, role and version")
struct CardKeysTests {
    @Test("the keyring reproduces NXP AN10922's AES-128 example (UID || AID || system identifier)")
    func an10922Vector() throws {
        // AN10922 §2.2.1: master 00112233…EEFF, UID 04782E21801D80, AID 3042F5 (as sent),
        // system identifier "NXP Abu" → A8DD63A3B89D54B37CA802473FDA9175.
        let master = SymmetricKey(data: hex("00112233445566778899AABBCCDDEEFF"))
        let set = try CardMasterKeySet(version: 1, keys: [.read: master])
        let keyring = try CardKeyring(community: "NXP Abu", sets: [set])
        let aid = try DESFire.ApplicationID(wireBytes: hex("3042F5"))
        let keys = try keyring.cardKeys(uid: hex("04782E21801D80"), application: aid, version: 1)
        let expected = try DESFireKey.aes128(SymmetricKey(data: hex("A8DD63A3B89D54B37CA802473FDA9175")), version: 1)
        #expect(try keys.key(.read) == expected)
    }

    @Test("each role, card, version and the card level get different keys; a missing role is a named error")
    func separation() throws {
        var generator = SeededGenerator(seed: 1)
        func randomKey() -> SymmetricKey { SymmetricKey(data: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
        var v1: [CardMasterRole: SymmetricKey] = [:]
        var v2: [CardMasterRole: SymmetricKey] = [:]
        for role in CardMasterRole.allCases { v1[role] = randomKey(); v2[role] = randomKey() }
        let keyring = try CardKeyring(community: "nemishaieve", sets: [try CardMasterKeySet(version: 1, keys: v1), try CardMasterKeySet(version: 2, keys: v2)])
        #expect(keyring.newestVersion == 2)
        let aid = Fixtures.layout.applicationID
        let uidA: [UInt8] = [0x04, 1, 2, 3, 4, 5, 6], uidB: [UInt8] = [0x04, 1, 2, 3, 4, 5, 7]
        let a1 = try keyring.cardKeys(uid: uidA, application: aid, version: 1)
        let a2 = try keyring.cardKeys(uid: uidA, application: aid, version: 2)
        let b1 = try keyring.cardKeys(uid: uidB, application: aid, version: 1)
        var seen: [DESFireKey] = []
        for keys in [a1, a2, b1] {
            for role in CardMasterRole.allCases {
                let key = try keys.key(role)
                #expect(key.version == keys.version)
                #expect(!seen.contains(key))
                seen.append(key)
            }
        }
        // The card-level key is diversified with AID 000000, the application keys with the layout's AID.
        let picc = try KeyDiversification.an10922AES128(
            masterKey: try DESFireKey.aes128(v1[.piccMaster]!, version: 1), uid: uidA, application: .picc,
            systemIdentifier: Array("nemishaieve".utf8), version: 1)
        #expect(try a1.piccMaster() == picc)
        let validate = try KeyDiversification.an10922AES128(
            masterKey: try DESFireKey.aes128(v1[.validate]!, version: 1), uid: uidA, application: aid,
            systemIdentifier: Array("nemishaieve".utf8), version: 1)
        #expect(try a1.applicationKey(.validate) == validate)

        let validatorRing = try CardKeyring(community: "nemishaieve", sets: [try CardMasterKeySet(version: 1, keys: [.validate: v1[.validate]!])])
        #expect(throws: SocialCardError(.missingKey, "")) { try validatorRing.cardKeys(uid: uidA, application: aid, version: 1).applicationKey(.issue) }
        #expect(throws: SocialCardError(.unknownKeyVersion, "")) { try validatorRing.cardKeys(uid: uidA, application: aid, version: 3) }
        #expect(throws: SocialCardError(.invalidRequest, "")) { try CardMasterKeySet(version: 0, keys: [:]) }
        #expect(throws: SocialCardError(.invalidRequest, "")) { try CardKeyring(community: String(repeating: "x", count: 22), sets: [try CardMasterKeySet(version: 1, keys: [:])]) }
    }
}

@Suite("Layout-driven personalization parameters")
struct PlanTests {
    @Test("files are created exactly as the Nemishaieve layout says, access rights by role → key number")
    func fileCreation() throws {
        let layout = Fixtures.layout
        #expect(layout.applicationID == 0xF48E51)
        #expect(layout.keyCount == 4)
        let byName = Dictionary(uniqueKeysWithValues: layout.layout.files.map { ($0.name, SocialCardLayout.creationSettings($0)) })
        let validate = AccessCondition.key(2), issue = AccessCondition.key(3), read = AccessCondition.key(1), master = AccessCondition.key(0)
        #expect(byName["cardInfo"] == FileSettings(kind: .standardData(size: 32), communicationMode: .enciphered,
                                                   accessRights: AccessRights(read: validate, write: .never, readWrite: issue, change: master)))
        #expect(byName["entitlements"] == FileSettings(kind: .standardData(size: 512), communicationMode: .enciphered,
                                                       accessRights: AccessRights(read: validate, write: .never, readWrite: issue, change: master)))
        #expect(byName["purse"] == FileSettings(
            kind: .value(ValueFileSettings(lowerLimit: 0, upperLimit: 500_000, limitedCreditValue: 0, limitedCreditEnabled: false)),
            communicationMode: .maced, accessRights: AccessRights(read: validate, write: .never, readWrite: issue, change: master)))
        #expect(byName["usageCounters"] == FileSettings(kind: .backupData(size: 32), communicationMode: .enciphered,
                                                        accessRights: AccessRights(read: read, write: issue, readWrite: validate, change: master)))
        #expect(byName["tripLog"] == FileSettings(kind: .cyclicRecord(RecordFileSettings(recordSize: 24, maxRecords: 11)), communicationMode: .enciphered,
                                                  accessRights: AccessRights(read: read, write: issue, readWrite: validate, change: master)))
        #expect(byName["status"] == FileSettings(kind: .backupData(size: 4), communicationMode: .enciphered,
                                                 accessRights: AccessRights(read: read, write: issue, readWrite: validate, change: master)))
        // The wire form of the access rights is what the layout module computes for CreateFile.
        for file in layout.layout.files {
            #expect(try SocialCardLayout.accessRights(file).bytes() == file.access.commandBytes, "\(file.name)")
        }
    }

    @Test("the plan's bytes decode back to the request: card info, entitlement slots, the issued record")
    func planBytes() throws {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 0x0102_0304_0506_0708, products: [.free, .rides(count: 20, per: .month)], purse: 12_345)
        #expect(plan.files.map(\.number.rawValue) == [1, 2, 3, 4, 5, 6])
        let info = try #require(try Fixtures.layout.decodeCardInfo(plan.cardInfoBytes))
        #expect(info.serial == 0x0102_0304_0506_0708)
        #expect(info.layoutVersion == 1)
        #expect(info.communityCode == Fixtures.layout.communityCode)
        #expect(info.entitlementSlotsUsed == 2)
        #expect(info.issueDate == Fixtures.today)
        #expect(info.holderPseudonym == plan.request.holderPseudonym)
        #expect(plan.cardInfoBytes.count == 32)
        #expect(plan.entitlementBytes.count == 2 * 128)
        for slot in 0..<2 {
            let bytes = Array(plan.entitlementBytes[slot * 128..<(slot + 1) * 128])
            #expect(try Fixtures.layout.decodeSlot(bytes) == plan.request.entitlements[slot])
        }
        let issued = try #require(try Fixtures.layout.decodeTrips([plan.issuedRecordBytes]).first)
        #expect(issued.kind == "issued")
        #expect(issued.time == Fixtures.now)
        #expect(issued.entitlementSlot == nil)
        #expect(plan.expectedPurse == 12_345)
    }

    @Test("requests that do not fit the layout are refused with invalid-request")
    func refusedRequests() throws {
        let community = try Fixtures.Community()
        #expect(throws: SocialCardError(.invalidRequest, "")) {
            try community.plan(serial: 1, products: [.free, .free, .free, .free, .free])
        }
        #expect(throws: SocialCardError(.invalidRequest, "")) { try community.plan(serial: 1, products: [.free], purse: 500_001) }
        let other = try community.plan(serial: 2, products: [.free])
        var request = other.request
        request.serial = 3   // entitlements still bound to card 2
        #expect(throws: SocialCardError(.invalidRequest, "")) { try PersonalizationPlan(layout: Fixtures.layout, request: request) }
    }

    @Test("malformed slots and files are named errors, never crashes", arguments: [0, 1, 5, 127, 128, 200])
    func malformed(length: Int) throws {
        var generator = SeededGenerator(seed: UInt64(length))
        for _ in 0..<50 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(throws: SocialCardError.self) { try Fixtures.layout.decodeSlot(bytes.count == 128 ? [1] + bytes.dropFirst() : bytes) }
            _ = try? Fixtures.layout.decodeCardInfo(bytes)
            _ = try? Fixtures.layout.decodeCounters(bytes)
            _ = try? Fixtures.layout.decodeStatus(bytes)
            _ = try? Fixtures.layout.decodeTrips([bytes])
        }
    }

    @Test("products parse from the command line form", arguments: [
        ("free", Product.free), ("purse", .storedValue), ("discount:50", .discount(percent: 50)),
        ("rides:20/month", .rides(count: 20, per: .month)), ("rides:2/day", .rides(count: 2, per: .day)),
        ("pass:2026-12-01..2026-12-31", .pass(from: CivilDate(year: 2026, month: 12, day: 1)!, through: CivilDate(year: 2026, month: 12, day: 31)!)),
    ])
    func products(text: String, product: Product) throws {
        #expect(try ProductText.parse(text) == product)
    }

    @Test("bad product forms are refused", arguments: ["", "discount:0", "discount:101", "rides:0/day", "rides:5/year", "pass:2026-12-31..2026-12-01", "gold"])
    func badProducts(text: String) {
        #expect(throws: SocialCardError(.invalidRequest, "")) { try ProductText.parse(text) }
    }
}

/// Bytes of hex test-vector text (a malformed vector is a broken test).
func hex(_ text: String) -> [UInt8] { Hex.decode(text)! }

import Crypto
import DeskRegistry
import Entitlements
import Identifiers
import Testing

import Foundation

@Suite("Document numbers sealed, erasure leaving nothing of the person", .serialized)
struct PrivacyTests {
    @Test("the file holds the sealed number, never the clear one; the right key reads it back", arguments: RegistryEngineUnderTest.all)
    func sealedAtRest(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        let id = try await location.withTestRegistry { registry in
            try await registry.addHolder(Fixture.person("Бондар Іван", passport: "ВК734519"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
        }
        if case .sqlite = location {
            let bytes = location.fileBytes
            #expect(bytes.contains(text: "Бондар Іван"), "the name is stored (in clear, so it can be shown)")
            #expect(!bytes.contains(text: "ВК734519"))
            #expect(!bytes.contains(text: "734519"))
        }
        let number = try await location.withTestRegistry { registry in try await registry.holder(id)?.details?.document.number }
        #expect(number == "ВК734519")
    }

    @Test("another key file is refused when the registry opens, with a clear message", arguments: RegistryEngineUnderTest.all)
    func wrongKey(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        _ = try await location.withTestRegistry { registry in
            try await registry.addHolder(Fixture.person("Бондар Іван", passport: "ВК734519"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
        }
        let error = try await #require(throws: RegistryError.self) {
            try await location.withTestRegistry(keyring: RegistryKeyring(keys: [Fixture.otherKey])) { _ in }
        }
        #expect(error.code == .wrongKey)
        #expect(error.exitStatus == 66)
        #expect(error.reason == "the key file is not this registry's (the registry is sealed with keys \(Fixture.key.id))")
        #expect(error.ukrainian.hasPrefix("файл ключів не цього реєстру"))
    }

    @Test("key rotation: a new key re-seals every number; the old key alone then cannot read them", arguments: RegistryEngineUnderTest.all)
    func rotation(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        let id = try await location.withTestRegistry { registry in
            try await registry.addHolder(Fixture.person("Бондар Іван", passport: "ВК734519"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
        }
        let rotated = RegistryKeyring(keys: [Fixture.key, Fixture.otherKey])
        let count = try await location.withTestRegistry(keyring: rotated) { registry in
            try await registry.resealDocuments(clerk: Fixture.clerk, at: Fixture.now)
        }
        #expect(count == 1)
        let found = try await location.withTestRegistry(keyring: rotated) { registry in
            try await registry.search(HolderQuery(document: try IdentityDocument(type: .passport, number: "ВК734519"))).holders.map(\.id)
        }
        #expect(found == [id])
        let error = try await #require(throws: RegistryError.self) {
            try await location.withTestRegistry(keyring: Fixture.keyring) { registry in try await registry.holder(id) }
        }
        #expect(error.code == .wrongKey)
        #expect(error.reason.contains("sealed with key \(Fixture.otherKey.id)"))
    }

    @Test("erasure: nothing of the person is left in the database file or its WAL; the card history stays", arguments: RegistryEngineUnderTest.all)
    func erasure(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        let name = "Ґудзьо-Ярошенко Євпраксія Мирославівна"
        let person = {
            var person = Fixture.person(name, born: "1937-08-29", passport: "ЮЯ918273", phone: "+380509876543")
            person.address = "Немішаєве, провулок Зелений Гай, 7"
            return person
        }()
        let serial = CardSerial(0x0A0B_0C0D_0E0F_3033)
        let id = try await location.withTestRegistry { registry in
            // Neighbours, so that the erased person's bytes share pages with rows that stay.
            _ = try await registry.addHolders(
                (0..<50).map { Fixture.person("Сусід Номер \($0)", passport: "АА\(String(100_000 + $0))") }, consentFormReference: nil, clerk: Fixture.clerk,
                at: Fixture.now)
            let id = try await registry.addHolder(person, consentFormReference: "ЗГОДА-ЄВПРАКСІЯ", clerk: Fixture.clerk, at: Fixture.now)
            _ = try await registry.addEligibility(
                try EligibilityTerms(category: 1, evidence: "посвідчення ПЕНС-774411", validFrom: Fixture.date("2026-01-01"), validUntil: nil), to: id,
                clerk: Fixture.clerk, at: Fixture.now)
            _ = try await registry.recordIssued(Fixture.card(serial.rawValue, uid: 0x77, entitlements: [Fixture.entitlement(1, until: "2027-06-30")]), holder: id, clerk: Fixture.clerk, at: Fixture.now)
            _ = try await registry.recordCredit(kopecks: 2500, on: serial, receipt: "К-77", clerk: Fixture.clerk, at: Fixture.now)
            _ = try await registry.recordStatus(.returned, of: serial, clerk: Fixture.clerk, at: Fixture.now)
            // Updated once, so an older version of the row existed too.
            var moved = person
            moved.address = "Немішаєве, вул. Вишнева, 40"
            try await registry.updateHolder(id, to: moved, clerk: Fixture.clerk, at: Fixture.now)
            return id
        }
        let personal = [name, "Ґудзьо", "Євпраксія", "гудзьо", "євпраксія", "1937-08-29", "Зелений Гай", "Вишнева", "ЮЯ918273", "918273", "+380509876543",
                        "ЗГОДА-ЄВПРАКСІЯ", "ПЕНС-774411"]
        if case .sqlite = location {
            #expect(location.fileBytes.contains(text: "Євпраксія"), "the name is in the file before erasure")
        }
        let record = try await location.withTestRegistry { registry in
            try await registry.erase(id, reason: "request", clerk: Fixture.clerk, at: Fixture.now)
            return try await registry.holder(id)
        }
        if case .sqlite = location {
            let bytes = location.fileBytes
            #expect(bytes.count > 0)
            for text in personal { #expect(!bytes.contains(text: text), "\(text) is still in the file") }
            #expect(bytes.contains(text: serial.printed), "the pseudonymous card history stays")
            #expect(bytes.contains(text: "Сусід Номер 7"), "the other holders stay")
        }
        let kept = try #require(record)
        #expect(kept.details == nil && kept.erasedAt == Fixture.now)
        #expect(kept.cards.first?.history.map(\.event) == [.issued, .returned])
        #expect(kept.cards.first?.credits.map(\.kopecks) == [2500])
        #expect(kept.cards.first?.entitlements.count == 1)
        #expect(kept.eligibilities.first?.terms.category == CategoryCode(1) && kept.eligibilities.first?.terms.evidence == "")
        #expect(kept.consents.first?.formReference == nil)
        let found = try await location.withTestRegistry { registry in try await registry.search(HolderQuery(name: "Євпраксія")).holders }
        #expect(found.isEmpty)
    }

    @Test("retention: a holder whose last card ended more than the period ago is due; one with a live card is not", arguments: RegistryEngineUnderTest.all)
    func retention(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        let longAgo = UnixTime(1_600_000_000)  // 2020-09-13
        try await location.withTestRegistry { registry in
            let gone = try await registry.addHolder(Fixture.person("Давній Мешканець", passport: "АБ000001"), consentFormReference: nil, clerk: Fixture.clerk, at: longAgo)
            let active = try await registry.addHolder(Fixture.person("Діючий Мешканець", passport: "АБ000002"), consentFormReference: nil, clerk: Fixture.clerk, at: longAgo)
            let recent = try await registry.addHolder(Fixture.person("Недавній Мешканець", passport: "АБ000003"), consentFormReference: nil, clerk: Fixture.clerk, at: longAgo)
            _ = try await registry.recordIssued(Fixture.card(1, uid: 1, entitlements: []), holder: gone, clerk: Fixture.clerk, at: longAgo)
            _ = try await registry.recordStatus(.returned, of: CardSerial(1), clerk: Fixture.clerk, at: longAgo)
            _ = try await registry.recordIssued(Fixture.card(2, uid: 2, entitlements: []), holder: active, clerk: Fixture.clerk, at: longAgo)
            _ = try await registry.recordIssued(Fixture.card(3, uid: 3, entitlements: []), holder: recent, clerk: Fixture.clerk, at: longAgo)
            _ = try await registry.recordStatus(.returned, of: CardSerial(3), clerk: Fixture.clerk, at: Fixture.now)
            #expect(try await registry.holdersDueForErasure(RetentionPolicy(years: 5), today: Fixture.today) == [gone])
            #expect(try await registry.holdersDueForErasure(RetentionPolicy(years: 7), today: Fixture.today) == [])
        }
    }
}

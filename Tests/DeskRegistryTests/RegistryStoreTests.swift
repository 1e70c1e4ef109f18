@testable import DeskRegistry
import Entitlements
import Identifiers
import Testing

import Foundation

@Suite("The holder registry on SQLite and PostgreSQL", .serialized)
struct RegistryStoreTests {
    @Test("migrations from empty reach the newest version; a second run changes nothing", arguments: RegistryEngineUnderTest.all)
    func migrationsFromEmpty(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        #expect(try await location.migrate() == 5)
        #expect(try await location.migrate() == 5)
    }

    @Test("migrations step by step: a holder stored at version 1 survives steps 2 and 3 and gets cards", arguments: RegistryEngineUnderTest.all)
    func migrationsStepByStep(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        #expect(try await location.migrate(upTo: 1) == 1)
        #expect(try await location.migrate(upTo: 2) == 2)
        // withRegistry brings the schema to the newest version before use.
        let id = try await location.withTestRegistry { registry in
            try await registry.addHolder(Fixture.person("Коваль Марія", passport: "КН100001"), consentFormReference: "З-1", clerk: Fixture.clerk, at: Fixture.now)
        }
        #expect(try await location.migrate() == 5)
        let record = try await location.withTestRegistry { registry in
            _ = try await registry.recordIssued(Fixture.card(1, uid: 1, entitlements: []), holder: id, clerk: Fixture.clerk, at: Fixture.now)
            return try await registry.holder(id)
        }
        #expect(record?.details?.fullName == "Коваль Марія")
        #expect(record?.cards.map(\.serial) == [CardSerial(1)])
    }

    @Test("a holder round trip: details, consent, eligibilities, cards, credits and statuses read back as written", arguments: RegistryEngineUnderTest.all)
    func roundTrip(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        let person = Fixture.person("Ковальчук-Ільїна Мар’яна Петрівна", passport: "кн 123456")
        try await location.withTestRegistry { registry in
            let id = try await registry.addHolder(person, consentFormReference: "З-17", clerk: Fixture.clerk, at: Fixture.now)
            let terms = try EligibilityTerms(category: 1, evidence: "пенсійне посвідчення 55", validFrom: Fixture.date("2026-01-01"), validUntil: nil)
            let eligibility = try await registry.addEligibility(terms, to: id, clerk: Fixture.clerk, at: Fixture.now)
            let card = Fixture.card(0x0A0B_0C0D_0E0F_1011, uid: 0x61, entitlements: [Fixture.entitlement(1, until: "2027-06-30")])
            #expect(try await registry.recordIssued(card, holder: id, clerk: Fixture.clerk, at: Fixture.now) == .recorded)
            #expect(try await registry.recordIssued(card, holder: id, clerk: Fixture.clerk, at: Fixture.now) == .alreadyRecorded)
            #expect(try await registry.recordCredit(kopecks: 15000, on: card.serial, receipt: "К-0001", clerk: Fixture.clerk, at: Fixture.now) == .recorded)
            #expect(try await registry.recordCredit(kopecks: 15000, on: card.serial, receipt: "К-0001", clerk: Fixture.clerk, at: Fixture.now) == .alreadyRecorded)
            await #expect(throws: RegistryError(.refused, ukrainian: "", english: "")) {
                try await registry.recordCredit(kopecks: 100, on: card.serial, receipt: "К-0001", clerk: Fixture.clerk, at: Fixture.now)
            }
            #expect(try await registry.recordStatus(.active, of: card.serial, clerk: Fixture.clerk, at: Fixture.now) == .recorded)
            #expect(try await registry.recordStatus(.blocked(.lost), of: card.serial, clerk: Fixture.clerk, at: Fixture.now.adding(seconds: 60)) == .recorded)
            #expect(try await registry.recordStatus(.blocked(.lost), of: card.serial, clerk: Fixture.clerk, at: Fixture.now.adding(seconds: 60)) == .alreadyRecorded)
            let replacement = Fixture.card(0x0A0B_0C0D_0E0F_2022, uid: 0x62, entitlements: [Fixture.entitlement(1, until: "2027-06-30")])
            #expect(try await registry.recordReplacement(of: card.serial, by: replacement, clerk: Fixture.clerk, at: Fixture.now.adding(seconds: 120)) == .recorded)
            #expect(try await registry.recordReplacement(of: card.serial, by: replacement, clerk: Fixture.clerk, at: Fixture.now.adding(seconds: 120)) == .alreadyRecorded)
            await #expect(throws: RegistryError(.refused, ukrainian: "", english: "")) {
                try await registry.recordStatus(.active, of: card.serial, clerk: Fixture.clerk, at: Fixture.now.adding(seconds: 180))
            }
            let renewed = Fixture.entitlement(1, until: "2028-06-30")
            #expect(try await registry.recordEntitlements([renewed], on: replacement.serial, clerk: Fixture.clerk, at: Fixture.now) == .recorded)
            #expect(try await registry.recordEntitlements([renewed], on: replacement.serial, clerk: Fixture.clerk, at: Fixture.now) == .alreadyRecorded)

            let record = try #require(try await registry.holder(id))
            #expect(record.details == person)
            #expect(record.details?.document.number == "КН123456")
            #expect(record.consents.count == 1 && record.consents[0].formReference == "З-17" && record.consents[0].clerk == Fixture.clerk)
            #expect(record.eligibilities.map(\.id) == [eligibility])
            #expect(record.eligibilities.first?.terms == terms)
            #expect(record.eligibilities.first?.source == .clerk)
            #expect(record.cards.map(\.serial) == [card.serial, replacement.serial])
            let old = record.cards[0]
            #expect(old.history.map(\.event) == [.issued, .active, .blocked(.lost), .replaced(by: replacement.serial)])
            #expect(old.uidDigest.count == 32 && old.uidDigest != card.uid)
            #expect(old.pseudonym == card.pseudonym)
            #expect(old.layout == LayoutVersion(2))
            #expect(old.credits.map(\.kopecks) == [15000])
            #expect(record.cards[1].status == .issued)
            #expect(record.cards[1].entitlements.map(\.validUntil) == [Fixture.date("2027-06-30"), Fixture.date("2028-06-30")])

            let journal = try await registry.journal()
            #expect(journal.first?.action == "card.entitlement")
            #expect(journal.contains { $0.action == "card.blocked" && $0.after == "blocked (lost)" })
            #expect(journal.contains { $0.action == "holder.add" && $0.subject == "holder \(id)" })
            for entry in journal {
                #expect(!"\(entry.before) \(entry.after) \(entry.subject)".contains("123456"), "no document number in the journal")
                #expect(!"\(entry.before) \(entry.after)".contains("Мар"), "no name in the journal")
            }
        }
    }

    @Test("the append-only tables refuse updates and deletes", arguments: RegistryEngineUnderTest.all)
    func appendOnly(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        try await location.withTestRegistry { registry in
            let id = try await registry.addHolder(Fixture.person("Коваль Марія", passport: "КН100001"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
            _ = try await registry.recordIssued(Fixture.card(1, uid: 1, entitlements: [Fixture.entitlement(1, until: "2027-01-01")]), holder: id, clerk: Fixture.clerk, at: Fixture.now)
            _ = try await registry.recordCredit(kopecks: 500, on: CardSerial(1), receipt: "R1", clerk: Fixture.clerk, at: Fixture.now)
            for statement in [
                "UPDATE journal SET clerk = 'x'", "DELETE FROM journal", "UPDATE card_status_history SET status = 'active'", "DELETE FROM card_status_history",
                "UPDATE purse_credits SET amount_kopecks = 1", "DELETE FROM entitlements_written",
            ] {
                await #expect(throws: (any Error).self, "\(statement)") { try await registry.executeForTesting(statement) }
            }
            #expect(try await registry.journal().count == 4)
        }
    }

    @Test("a refused duplicate document, an erased holder cannot get a card, a missing card is not-found", arguments: RegistryEngineUnderTest.all)
    func refusals(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        try await location.withTestRegistry { registry in
            let id = try await registry.addHolder(Fixture.person("Коваль Марія", passport: "КН100001"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
            await #expect(throws: RegistryError(.refused, ukrainian: "", english: "")) {
                try await registry.addHolder(Fixture.person("Інша Особа", passport: "kh 100001"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
            }
            try await registry.erase(id, reason: "request", clerk: Fixture.clerk, at: Fixture.now)
            await #expect(throws: RegistryError(.alreadyDone, ukrainian: "", english: "")) { try await registry.erase(id, reason: "request", clerk: Fixture.clerk, at: Fixture.now) }
            await #expect(throws: RegistryError(.refused, ukrainian: "", english: "")) {
                try await registry.recordIssued(Fixture.card(9, uid: 9, entitlements: []), holder: id, clerk: Fixture.clerk, at: Fixture.now)
            }
            await #expect(throws: RegistryError(.notFound, ukrainian: "", english: "")) {
                try await registry.recordStatus(.returned, of: CardSerial(77), clerk: Fixture.clerk, at: Fixture.now)
            }
            // The erased person's document may be registered again (a new record).
            _ = try await registry.addHolder(Fixture.person("Коваль Марія", passport: "КН100001"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
        }
    }
}

extension HolderRegistry {
    /// Runs raw SQL in a transaction (to try what the schema must refuse).
    func executeForTesting(_ statement: String) async throws {
        try await engine.transaction { sql in try await sql.execute(statement, []) }
    }
}

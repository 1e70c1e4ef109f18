import AccountingStore
import Identifiers
import LedgerCore
import Logging
import ReconciliationSimulator
import StorageTesting
import Testing

@Suite("The month simulator")
struct SimulatorTests {
    @Test("The same seed gives the same month, byte for byte")
    func deterministic() throws {
        let first = try SimulatedMonth.generate(.small(seed: 3))
        let second = try SimulatedMonth.generate(.small(seed: 3))
        #expect(first.uploads.map(\.batch) == second.uploads.map(\.batch))
        #expect(first.truth.faults == second.truth.faults)
        #expect(first.truth.compensation == second.truth.compensation)
        let other = try SimulatedMonth.generate(.small(seed: 4))
        #expect(other.uploads.map(\.batch) != first.uploads.map(\.batch))
    }

    @Test("Every kind of fault is planted, once")
    func everyKind() throws {
        let month = try SimulatedMonth.generate(.small())
        // One of each kind, and a sequence gap both as a device's and as the skipped trip
        // numbers of the cards that rode on it after the lost batch. The community keeps a desk
        // ledger, so a purse that rose without a credit is a forged credit, not an import's
        // clone suspect (the month without a desk below).
        let kinds = month.truth.faults.map(\.kind)
        #expect(Set(kinds) == Set(PlantedFault.Kind.allCases).subtracting([.clonePurse]))
        for kind in PlantedFault.Kind.allCases where kind != .sequenceGap && kind != .cloneCounter && kind != .clonePurse {
            #expect(kinds.filter { $0 == kind }.count == 1, "\(kind)")
        }
        // A card's tap counter going back: the 30-second copy shows it too, and an older copy on its own.
        #expect(kinds.filter { $0 == .cloneCounter }.count == 2)
        #expect(month.truth.faults.filter { $0.kind == .sequenceGap && $0.device != nil }.count == 1)
        #expect(month.truth.faults.filter { $0.kind == .sequenceGap && $0.card != nil }.count >= 1)
        #expect(month.truth.excluded.map(\.reason).sorted() == [.duplicate, .tornUnknown, .denyListedUse, .overLimit, .afterExpiry].sorted())
        #expect(month.truth.totalCompensationKopecks > 0)
        #expect(month.truth.heldEntries < month.truth.writtenEntries)
    }

    @Test("The desk keeps a signed chain of the purse credits from the fourth day; the credits before are an import")
    func deskLedger() throws {
        let month = try SimulatedMonth.generate(.small())
        let desk = try #require(month.community.desk)
        #expect(desk.id.rawValue == UInt32(month.parameters.buses + 1))
        #expect(month.community.ledgerDevices.filter { $0.role == .desk }.map(\.id) == [desk.id])
        let entries = month.uploads.filter { $0.device == desk.id }.flatMap(\.batch.entries)
        #expect(entries.map(\.sequence) == Array(1...UInt64(entries.count)))
        #expect(entries.first?.record.kind == .startUp)
        let credits = entries.dropFirst()
        #expect(credits.count >= 5)
        #expect(credits.allSatisfy { $0.record.kind == .purseCredit && $0.record.amountKopecks == 10_000 && $0.record.receiptNumber != nil })
        #expect(credits.map { $0.record.receiptNumber! } == Array(1...UInt64(credits.count)))
        // Imported credits all come before the desk's first entry, desk credits after.
        let start = entries[0].record.deviceTime
        #expect(!month.reference.purseCredits.isEmpty)
        #expect(month.reference.purseCredits.allSatisfy { $0.creditedAt < start })
        #expect(month.truth.heldHeads[desk.id.rawValue] == UInt64(entries.count))
        // The forged credit's card got no desk credit between its two debits.
        let forged = try #require(month.truth.faults.first { $0.kind == .forgedCredit })
        #expect(!credits.contains { $0.record.cardSerial == forged.card })
    }

    @Test("Without a desk ledger every credit is an import and the purse rise is a clone suspect")
    func withoutDesk() throws {
        var parameters = SimulationParameters.small()
        parameters.hasDesk = false
        let month = try SimulatedMonth.generate(parameters)
        #expect(month.community.desk == nil)
        #expect(month.community.ledgerDevices.count == parameters.buses)
        let kinds = month.truth.faults.map(\.kind)
        #expect(Set(kinds) == Set(PlantedFault.Kind.allCases).subtracting([.forgedCredit]))
        #expect(kinds.filter { $0 == .clonePurse }.count == 1)
        // The validators' keys are the same with and without the desk: the desk draws its own.
        let withDesk = try SimulatedMonth.generate(.small())
        #expect(month.community.devices.map(\.certificate) == withDesk.community.devices.map(\.certificate))
        #expect(month.reference.purseCredits.count > withDesk.reference.purseCredits.count)
    }

    @Test("Uploaded through the HTTP API, the service answers each batch as planned and holds what the truth says", arguments: StorageEngine.all)
    func uploadsThroughTheAPI(_ engine: StorageEngine) async throws {
        let month = try SimulatedMonth.generate(.small())
        try await freshLocation(engine).withStorage(logger: Logger(label: "test")) { storage in
            let service = try await SimulatedService(storage: storage, community: month.community)
            let answers = try await service.upload(month.uploads, community: month.community)
            let expected = month.uploads.map(SimulatedService.expectedAnswer)
            #expect(answers.count == expected.count)
            for (index, answer) in answers.enumerated() where answer != expected[index] {
                Issue.record("upload \(index) (device \(month.uploads[index].device), \(month.uploads[index].batch.firstSequence)-\(month.uploads[index].batch.lastSequence)): \(answer), expected \(expected[index])")
                break
            }
            #expect(try await storage.entryCount() == month.truth.heldEntries)
            for device in month.community.ledgerDevices {
                #expect(try await storage.head(of: device.id).sequence == month.truth.heldHeads[device.id.rawValue])
            }
            let alarms = try await storage.alarms()
            let tamper = month.truth.faults.filter { $0.kind == .tamper }
            #expect(alarms.map { EntryPosition(device: $0.device, sequence: $0.sequence) } == tamper.flatMap(\.entries))
        }
    }

    @Test("The fast path stores what the HTTP API stores")
    func fastPath() async throws {
        let month = try SimulatedMonth.generate(.small())
        try await freshLocation(.sqlite).withStorage(logger: Logger(label: "test")) { storage in
            var loader = StoreLoader(community: month.community)
            try await loader.registerDevices(in: storage)
            try await loader.write(month.uploads, into: storage)
            #expect(try await storage.entryCount() == month.truth.heldEntries)
            #expect(try await storage.alarms().count == 1)
        }
    }
}

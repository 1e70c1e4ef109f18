import CardLayout
import PropertyTesting
import Testing

@Suite("Nemishaieve resident social card v1")
struct NemishaieveLayoutTests {
    static func load() throws -> CardLayout {
        try CardLayout(json: Repository.read("CardLayouts/nemishaieve-social-v1.json"))
    }

    @Test("loads with its identity, AID and keys")
    func identity() throws {
        let layout = try Self.load()
        #expect(layout.id == "nemishaieve-social-v1")
        #expect(layout.version == 1)
        #expect(layout.application.aid.description == "F48E51")
        #expect(layout.application.aid.commandBytes == [0x51, 0x8E, 0xF4])
        #expect(layout.application.keyCount == 4)
        #expect(layout.files.map(\.name) == ["cardInfo", "entitlements", "purse", "usageCounters", "tripLog", "status"])
    }

    @Test("fits a 2 KB DESFire EV1 with room to spare, as CardLayouts/README.md documents")
    func memoryBudget() throws {
        let budget = try Self.load().memoryBudget
        let dataBytes = try Self.load().files.map(MemoryBudget.dataBytes(of:))
        #expect(dataBytes == [32, 512, 32, 64, 288, 64])
        #expect(budget.totalBytes == 1344)
        #expect(budget.freeBytes == 704)
        #expect(budget.totalBytes * 4 <= budget.capacityBytes * 3, "keep at least a quarter of the card free")
    }

    @Test("validators can read and debit, update counters, trip log and status, but never credit or write entitlements")
    func validatorRights() throws {
        let layout = try Self.load()
        func allowed(_ role: CardKeyRole, _ file: String) throws -> Set<FileOperation> {
            layout.operations(allowedTo: role, on: try #require(layout.file(named: file)))
        }
        #expect(try allowed(.validate, "cardInfo") == [.readData])
        #expect(try allowed(.validate, "entitlements") == [.readData])
        #expect(try allowed(.validate, "purse") == [.getValue, .debit])
        #expect(try allowed(.validate, "usageCounters") == [.readData, .writeData])
        #expect(try allowed(.validate, "tripLog") == [.readRecords, .writeRecord, .clearRecords])
        #expect(try allowed(.validate, "status") == [.readData, .writeData])
    }

    @Test("only the desk credits and writes entitlements; read-only devices cannot change anything")
    func otherRoles() throws {
        let layout = try Self.load()
        for file in layout.files {
            let issue = layout.operations(allowedTo: .issue, on: file)
            let read = layout.operations(allowedTo: .read, on: file)
            let master = layout.operations(allowedTo: .applicationMaster, on: file)
            #expect(read.isDisjoint(with: [.writeData, .writeRecord, .clearRecords, .debit, .credit, .limitedCredit, .changeSettings]), "\(file.name)")
            #expect(master == [.changeSettings], "\(file.name)")
            #expect(layout.operationsWithoutAuthentication(on: file).isEmpty, "\(file.name)")
            #expect(!issue.isEmpty, "\(file.name)")
        }
        let purse = try #require(layout.file(named: "purse"))
        let entitlements = try #require(layout.file(named: "entitlements"))
        #expect(layout.operations(allowedTo: .issue, on: purse).contains(.credit))
        #expect(layout.operations(allowedTo: .issue, on: entitlements).contains(.writeData))
        for role in CardKeyRole.allCases where role != .issue {
            #expect(!layout.operations(allowedTo: role, on: purse).contains(.credit), "\(role)")
            #expect(!layout.operations(allowedTo: role, on: entitlements).contains(.writeData), "\(role)")
        }
    }

    @Test("access-right and communication bytes as CreateFile carries them")
    func commandBytes() throws {
        let layout = try Self.load()
        let cardInfo = try #require(layout.file(named: "cardInfo"))
        // read=2 write=F readWrite=3 change=0 -> word 0x2F30, sent little-endian.
        #expect(cardInfo.access.commandBytes == [0x30, 0x2F])
        #expect(cardInfo.communication.settingsByte == 0x03)
        let tripLog = try #require(layout.file(named: "tripLog"))
        // read=1 write=3 readWrite=2 change=0 -> 0x1320.
        #expect(tripLog.access.commandBytes == [0x20, 0x13])
    }

    @Test("a trip record encodes to the documented bytes")
    func tripVector() throws {
        let layout = try Self.load()
        let tripLog = try #require(layout.file(named: "tripLog"))
        let format = try #require(layout.format(of: tripLog))
        let record = LayoutRecord([
            "time": .dateTime(CardDateTime(secondsSince2000: 0x2D0F_1A80)),
            "deviceId": .unsigned(0x0000_1234),
            "sequence": .unsigned(7),
            "routeId": .unsigned(12),
            "vehicleId": .unsigned(0x0102),
            "fare": .unsigned(1500),
            "categoryCode": .unsigned(3),
            "entitlementSlot": .unsigned(1),
            "kind": .enumeration("entry"),
            "flags": .flags(["benefitRide", "offlineDecision"]),
            "zoneId": .unsigned(2),
        ])
        let bytes = try format.encode(record)
        #expect(bytes == [
            0x2D, 0x0F, 0x1A, 0x80, 0x00, 0x00, 0x12, 0x34, 0x00, 0x07, 0x00, 0x0C,
            0x01, 0x02, 0x00, 0x05, 0xDC, 0x00, 0x03, 0x01, 0x01, 0x09, 0x02, 0x00,
        ])
        #expect(try format.decode(bytes) == record)
        var padded = try layout.encodeRecords([record], for: tripLog)
        #expect(padded.count == 24)
        padded += padded
        #expect(try layout.decodeRecords(of: tripLog, from: padded) == [record, record])
    }

    @Test("every format round-trips random records exactly")
    func randomRecordsRoundTrip() throws {
        let layout = try Self.load()
        var rng = SeededGenerator(seed: 0x4E45_4D49)
        for file in layout.files {
            guard let format = layout.format(of: file) else { continue }
            for _ in 0..<300 {
                let record = randomRecord(of: format, &rng)
                let bytes = try format.encode(record)
                #expect(bytes.count == format.size)
                #expect(try format.decode(bytes) == record)
            }
            if case .standard = file.kind {
                let records = (0..<file.repeatCount).map { _ in randomRecord(of: format, &rng) }
                let bytes = try layout.encodeRecords(records, for: file)
                #expect(bytes.count == file.logicalSize)
                #expect(try layout.decodeRecords(of: file, from: bytes) == records)
            }
        }
    }
}

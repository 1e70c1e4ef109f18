import CardLayout
import Testing

/// Layout v2 is designed for the fewest frames: these tests pin the sizes that make a tap's
/// reads and writes one or two frames, besides the rights and the EEPROM budget.
@Suite("Nemishaieve resident social card v2")
struct NemishaieveLayoutV2Tests {
    static func load() throws -> CardLayout {
        try CardLayout(json: Repository.read("CardLayouts/nemishaieve-social-v2.json"))
    }

    /// Bytes an enciphered EV1 transfer of `plain` bytes takes: the data and its CRC32, padded to
    /// whole AES blocks.
    static func enciphered(_ plain: Int) -> Int { (plain + 4 + 15) / 16 * 16 }

    @Test("loads with its identity, an AID of its own (it lives beside v1 during an upgrade) and the same keys")
    func identity() throws {
        let layout = try Self.load()
        #expect(layout.id == "nemishaieve-social-v2" && layout.version == 2)
        #expect(layout.application.aid.description == "F48E52")
        #expect(layout.application.keys.map(\.role) == [.applicationMaster, .read, .validate, .issue])
        #expect(layout.files.map(\.name) == ["cardInfo", "entitlements", "purse", "tripLog"])
    }

    @Test("fits a 2 KB DESFire EV1, and beside v1 during an upgrade")
    func memoryBudget() throws {
        let layout = try Self.load()
        #expect(try layout.files.map(MemoryBudget.dataBytes(of:)) == [32, 416, 32, 320])
        #expect(layout.memoryBudget.totalBytes == 1088)
        #expect(layout.memoryBudget.freeBytes == 960)
    }

    @Test("frames: card info one answer frame, a 104-byte slot two, a tap record one each way")
    func frames() throws {
        let layout = try Self.load()
        let answerFrame = 59, commandData = 49, writeRecordHeader = 7
        #expect(Self.enciphered(try #require(layout.formats["cardInfo"]).size) <= answerFrame)
        let slot = try #require(layout.formats["entitlementSlot"]).size
        #expect(slot == 104 && Self.enciphered(slot) <= 2 * answerFrame && Self.enciphered(128) > 2 * answerFrame)
        let record = try #require(layout.formats["tapRecord"]).size
        #expect(record == 28)
        #expect(Self.enciphered(record) <= answerFrame)
        #expect(writeRecordHeader + Self.enciphered(record) <= commandData, "one WriteRecord frame")
        #expect(writeRecordHeader + Self.enciphered(record + 1) > commandData, "28 bytes is the most one frame carries")
    }

    @Test("validators read and debit, append tap records; only the desk credits and writes entitlements")
    func rights() throws {
        let layout = try Self.load()
        func allowed(_ role: CardKeyRole, _ file: String) throws -> Set<FileOperation> {
            layout.operations(allowedTo: role, on: try #require(layout.file(named: file)))
        }
        #expect(try allowed(.validate, "cardInfo") == [.readData])
        #expect(try allowed(.validate, "entitlements") == [.readData])
        #expect(try allowed(.validate, "purse") == [.getValue, .debit])
        #expect(try allowed(.validate, "tripLog") == [.readRecords, .writeRecord, .clearRecords])
        #expect(try allowed(.issue, "purse").contains(.credit) && allowed(.issue, "tripLog").contains(.writeRecord))
        #expect(try allowed(.read, "tripLog") == [.readRecords])
        for role in CardKeyRole.allCases where role != .issue {
            #expect(try !allowed(role, "purse").contains(.credit), "\(role)")
            #expect(try !allowed(role, "entitlements").contains(.writeData), "\(role)")
        }
    }

    @Test("a tap record carries the trip and the card's state, round-trip")
    func tapRecord() throws {
        let format = try #require(try Self.load().formats["tapRecord"])
        let record = LayoutRecord([
            "time": .dateTime(CardDateTime(secondsSince2000: 848_664_000)), "deviceId": .unsigned(7101), "sequence": .unsigned(42),
            "routeId": .unsigned(12), "vehicleId": .unsigned(21), "fare": .unsigned(1_500), "categoryCode": .unsigned(0),
            "entitlementSlot": .unsigned(255), "kind": .enumeration("entry"), "flags": .flags(["purseUsed", "cardBlocked"]),
            "zoneId": .unsigned(1), "balance": .unsigned(485_000), "counterPeriodStart": .date(CardDate(daysSince2000: 9_820)),
            "counterRides": .unsigned(3),
        ])
        let bytes = try format.encode(record)
        #expect(bytes.count == 28)
        #expect(Array(bytes[22..<25]) == [0x07, 0x66, 0x88])  // 485000 kopecks, big-endian
        #expect(bytes[20] == 0b1_0100)  // purseUsed (bit 2), cardBlocked (bit 4)
        #expect(try format.decode(bytes) == record)
    }
}

import CardLayout
import Testing

/// Layout v3 puts card info and the entitlement slots into one file, so a tap reads card info
/// and the first slot in one ReadData: these tests pin the sizes that make that two frames,
/// besides the rights and the EEPROM budget. The tap record is v2's (NemishaieveLayoutV2Tests).
@Suite("Nemishaieve resident social card v3")
struct NemishaieveLayoutV3Tests {
    static func load() throws -> CardLayout {
        try CardLayout(json: Repository.read("CardLayouts/nemishaieve-social-v3.json"))
    }

    @Test("loads with its identity, an AID of its own (it lives beside v1 or v2 during an upgrade), the same keys, and two parts in file 1")
    func identity() throws {
        let layout = try Self.load()
        #expect(layout.id == "nemishaieve-social-v3" && layout.version == 3)
        #expect(layout.application.aid.description == "F48E53")
        #expect(layout.application.keys.map(\.role) == [.applicationMaster, .read, .validate, .issue])
        #expect(layout.files.map(\.name) == ["cardData", "purse", "tripLog"])
        #expect(layout.parts.map(\.name) == ["cardInfo", "entitlements"])
        let info = try #require(layout.file(named: "cardInfo"))
        let slots = try #require(layout.file(named: "entitlements"))
        #expect(info.number == 1 && info.offset == 0 && info.kind == .standard(size: 24))
        #expect(slots.number == 1 && slots.offset == 24 && slots.kind == .standard(size: 336) && slots.repeatCount == 4)
        #expect(try layout.formats["tapRecord"] == NemishaieveLayoutV2Tests.load().formats["tapRecord"])
    }

    @Test("fits a 2 KB DESFire EV1, and beside v1 during an upgrade")
    func memoryBudget() throws {
        let layout = try Self.load()
        #expect(layout.files.map(MemoryBudget.dataBytes(of:)) == [384, 32, 320])
        #expect(layout.memoryBudget.totalBytes == 992)
        #expect(layout.memoryBudget.freeBytes == 1056)
        #expect(try layout.memoryBudget.totalBytes < NemishaieveLayoutV2Tests.load().memoryBudget.totalBytes)
    }

    @Test("frames: card info and the first slot 108 bytes, two answer frames; one byte more would take three")
    func frames() throws {
        let layout = try Self.load()
        let answerFrame = 59
        let info = try #require(layout.formats["cardInfo"]).size
        let slot = try #require(layout.formats["entitlementSlot"]).size
        #expect(info + slot == 108)
        #expect(NemishaieveLayoutV2Tests.enciphered(info + slot) <= 2 * answerFrame)
        #expect(NemishaieveLayoutV2Tests.enciphered(info + slot + 1) > 2 * answerFrame)
        // v2 took one frame for card info and two for a slot.
        #expect(NemishaieveLayoutV2Tests.enciphered(32) <= answerFrame && NemishaieveLayoutV2Tests.enciphered(104) > answerFrame)
    }

    @Test("validators read card info and slots, debit, append tap records; only the desk credits and writes entitlements")
    func rights() throws {
        let layout = try Self.load()
        func allowed(_ role: CardKeyRole, _ file: String) throws -> Set<FileOperation> {
            layout.operations(allowedTo: role, on: try #require(layout.file(named: file)))
        }
        for name in ["cardData", "cardInfo", "entitlements"] {
            #expect(try allowed(.validate, name) == [.readData], "\(name)")
            #expect(try allowed(.issue, name) == [.readData, .writeData], "\(name)")
        }
        #expect(try allowed(.validate, "purse") == [.getValue, .debit])
        #expect(try allowed(.validate, "tripLog") == [.readRecords, .writeRecord, .clearRecords])
        #expect(try allowed(.read, "tripLog") == [.readRecords])
        for role in CardKeyRole.allCases where role != .issue {
            #expect(try !allowed(role, "purse").contains(.credit), "\(role)")
            #expect(try !allowed(role, "cardData").contains(.writeData), "\(role)")
        }
    }
}

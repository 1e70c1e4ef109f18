import CardLayout
import PropertyBased
import PropertyTesting
import Testing

@Suite("Record codec")
struct CodecTests {
    static func entryFormat() throws -> RecordFormat {
        let layout = try CardLayout(json: fullFixture)
        return try #require(layout.formats["entry"])
    }

    @Test("little-endian signed integers and flags, byte by byte")
    func littleEndianVector() throws {
        let format = try Self.entryFormat()
        let record = LayoutRecord([
            "time": .dateTime(CardDateTime(secondsSince2000: 1)),
            "amount": .signed(-2),
            "bits": .flags(["x", "y"]),
        ])
        #expect(try format.encode(record) == [0, 0, 0, 1, 0xFE, 0xFF, 0x81, 0])
        #expect(try format.decode([0, 0, 0, 1, 0xFE, 0xFF, 0x81, 0x55]) == record, "the uncovered byte is ignored")
    }

    @Test("values that do not fit, missing or extra fields, wrong kinds are named errors")
    func encodeErrors() throws {
        let format = try Self.entryFormat()
        let good = LayoutRecord(["time": .dateTime(CardDateTime(secondsSince2000: 1)), "amount": .signed(0), "bits": .flags([])])
        var tooBig = good
        tooBig["amount"] = .signed(32768)
        #expect(throws: CardLayoutError(.valueOutOfRange, "")) { try format.encode(tooBig) }
        var tooSmall = good
        tooSmall["amount"] = .signed(-32769)
        #expect(throws: CardLayoutError(.valueOutOfRange, "")) { try format.encode(tooSmall) }
        var lateTime = good
        lateTime["time"] = .dateTime(CardDateTime(secondsSince2000: 1 << 32))
        #expect(throws: CardLayoutError(.valueOutOfRange, "")) { try format.encode(lateTime) }
        var missing = good
        missing["bits"] = nil
        #expect(throws: CardLayoutError(.recordMismatch, "")) { try format.encode(missing) }
        var extra = good
        extra["colour"] = .unsigned(1)
        #expect(throws: CardLayoutError(.recordMismatch, "")) { try format.encode(extra) }
        var wrongKind = good
        wrongKind["amount"] = .unsigned(1)
        #expect(throws: CardLayoutError(.recordMismatch, "")) { try format.encode(wrongKind) }
        var unknownFlag = good
        unknownFlag["bits"] = .flags(["z"])
        #expect(throws: CardLayoutError(.recordMismatch, "")) { try format.encode(unknownFlag) }
    }

    @Test("undecodable bytes are named errors")
    func decodeErrors() throws {
        let layout = try CardLayout(json: fullFixture)
        let entry = try #require(layout.formats["entry"])
        let info = try #require(layout.formats["info"])
        #expect(throws: CardLayoutError(.wrongRecordLength, "")) { try entry.decode([0, 0, 0]) }
        #expect(throws: CardLayoutError(.undefinedFlagBits, "")) { try entry.decode([0, 0, 0, 0, 0, 0, 0x02, 0]) }
        var infoBytes = [UInt8](repeating: 0, count: 16)
        infoBytes[10] = 3
        #expect(throws: CardLayoutError(.unknownEnumCode, "")) { try info.decode(infoBytes) }
        let log = try #require(layout.file(named: "log"))
        #expect(throws: CardLayoutError(.wrongRecordLength, "")) { try layout.decodeRecords(of: log, from: [UInt8](repeating: 0, count: 9)) }
        #expect(throws: CardLayoutError(.wrongRecordLength, "")) { try layout.decodeRecords(of: log, from: [UInt8](repeating: 0, count: 32)) }
        let purse = try #require(layout.file(named: "purse"))
        #expect(throws: CardLayoutError(.unknownFile, "")) { try layout.decodeRecords(of: purse, from: []) }
    }

    @Test("random generated layouts load, and their records round-trip exactly")
    func randomLayoutsRoundTrip() async {
        await propertyCheck(count: 200, input: Gen.uint64()) { seed in
            await failOnThrow {
                var rng = SeededGenerator(seed: seed)
                let text = randomLayoutJSON(&rng)
                do {
                    let layout = try CardLayout(json: text)
                    for file in layout.files {
                        let format = try #require(layout.format(of: file))
                        for _ in 0..<5 {
                            let record = randomRecord(of: format, &rng)
                            let bytes = try format.encode(record)
                            #expect(try format.decode(bytes) == record)
                            switch file.kind {
                            case .standard, .backup:
                                let records = (0..<file.repeatCount).map { _ in randomRecord(of: format, &rng) }
                                #expect(try layout.decodeRecords(of: file, from: layout.encodeRecords(records, for: file)) == records)
                            default:
                                #expect(try layout.decodeRecords(of: file, from: layout.encodeRecords([record], for: file)) == [record])
                            }
                        }
                    }
                } catch {
                    Issue.record("seed \(seed): \(error)\n\(text)")
                }
            }
        }
    }

    @Test("random bytes never crash the record decoder")
    func fuzzRecords() async throws {
        let layout = try CardLayout(json: Repository.read("CardLayouts/nemishaieve-social-v1.json"))
        let files = layout.files
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...600), Gen.int(in: 0...5)) { bytes, index in
            await failOnThrow {
                let file = files[index]
                // A named error is the expected outcome for most inputs; any other error fails.
                do {
                    _ = try layout.decodeRecords(of: file, from: bytes)
                } catch is CardLayoutError {}
                if let format = layout.format(of: file), bytes.count >= format.size {
                    do { _ = try format.decode(bytes.prefix(format.size)) } catch is CardLayoutError {}
                }
            }
        }
    }

    @Test("random and bit-flipped layout text never crashes the loader")
    func fuzzLayoutText() async throws {
        let original = Array(try Repository.read("CardLayouts/nemishaieve-social-v1.json").utf8)
        await propertyCheck(count: 1000, input: Gen.int(in: 0..<original.count).array(of: 1...4), Gen.uint8()) { positions, byte in
            var mutated = original
            for position in positions { mutated[position] = byte }
            // Refused by name, or loaded; never another error.
            await failOnThrow {
                do { _ = try CardLayout(json: mutated) } catch is CardLayoutError {}
            }
        }
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...200)) { bytes in
            await failOnThrow {
                do { _ = try CardLayout(json: bytes) } catch is CardLayoutError {}
            }
        }
    }
}

@Suite("Dates on the card")
struct CardDateTests {
    @Test("days since 2000-01-01")
    func knownDates() throws {
        #expect(CardDate(year: 2000, month: 1, day: 1)?.daysSince2000 == 0)
        #expect(CardDate(year: 2024, month: 2, day: 29)?.daysSince2000 == 8825)
        #expect(CardDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CardDate(year: 1999, month: 12, day: 31) == nil)
        #expect(CardDate(daysSince2000: 65535).description == "2179-06-06")
    }

    @Test("calendar components round-trip for every two-byte day")
    func componentsRoundTrip() {
        for days in stride(from: UInt32(0), through: 65535, by: 1) {
            let date = CardDate(daysSince2000: days)
            let (year, month, day) = date.components
            #expect(CardDate(year: year, month: month, day: day) == date)
        }
    }

    @Test("seconds since 2000-01-01T00:00:00Z")
    func instants() {
        #expect(CardDateTime(secondsSince2000: 0).description == "2000-01-01T00:00:00Z")
        let instant = CardDateTime(unixSeconds: 1_700_000_000)
        #expect(instant?.secondsSince2000 == 753_315_200)
        #expect(instant?.description == "2023-11-14T22:13:20Z")
        #expect(instant?.unixSeconds == 1_700_000_000)
        #expect(CardDateTime(unixSeconds: 946_684_799) == nil)
    }
}

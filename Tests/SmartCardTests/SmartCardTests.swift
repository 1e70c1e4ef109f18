import Identifiers
import PropertyBased
import SmartCard
import Testing

@Suite("Command APDUs")
struct CommandAPDUTests {
    @Test("each ISO 7816 case encodes as the standard says", arguments: [
        (CommandAPDU(cla: 0x00, ins: 0xA4), "00A40000"),
        (CommandAPDU(cla: 0xFF, ins: 0xCA, le: 0x00), "FFCA000000"),
        (CommandAPDU(cla: 0x90, ins: 0x5A, data: [0x01, 0x02, 0x03]), "905A000003010203"),
        (CommandAPDU(cla: 0x90, ins: 0x60, data: [], le: 0x00), "9060000000"),
        (CommandAPDU(cla: 0x90, ins: 0xBD, data: [0x01], le: 0x00), "90BD0000010100"),
    ])
    func encodes(apdu: CommandAPDU, hex: String) {
        #expect(Hex.encode(apdu.bytes, case: .upper) == hex)
    }

    @Test("parsing what we encode gives back the same command")
    func roundTrip() async {
        await propertyCheck(
            input: Gen.uint8(), Gen.uint8(), Gen.uint8().array(of: 0...255), Gen.uint8().optional
        ) { ins, p1, data, le in
            let apdu = CommandAPDU(cla: 0x90, ins: ins, p1: p1, p2: 0, data: data, le: le)
            #expect((try? CommandAPDU(bytes: apdu.bytes)) == apdu)
        }
    }

    @Test("malformed commands are rejected with a named error", arguments: [
        ([0x90, 0x5A], APDUFormatError.tooShort(2)),
        ([0x90, 0x5A, 0x00, 0x00, 0x05, 0x01], APDUFormatError.lengthMismatch(declared: 5, actual: 1)),
        ([0x90, 0x5A, 0x00, 0x00, 0x00, 0x01, 0x02], APDUFormatError.extendedLengthUnsupported),
    ] as [([UInt8], APDUFormatError)])
    func rejects(bytes: [UInt8], error: APDUFormatError) {
        #expect(throws: error) { try CommandAPDU(bytes: bytes) }
    }

    @Test("random bytes never crash the parser")
    func randomBytes() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...300)) { bytes in
            if let apdu = try? CommandAPDU(bytes: bytes) {
                #expect(apdu.bytes == bytes)
            }
        }
    }
}

@Suite("Response APDUs and status words")
struct ResponseAPDUTests {
    @Test func splitsDataAndStatus() throws {
        let response = try ResponseAPDU(bytes: [0x04, 0x11, 0x91, 0x00])
        #expect(response.data == [0x04, 0x11])
        #expect(response.status == StatusWord(sw1: 0x91, sw2: 0x00))
        #expect(response.bytes == [0x04, 0x11, 0x91, 0x00])
    }

    @Test func needsTwoStatusBytes() {
        #expect(throws: APDUFormatError.tooShort(1)) { try ResponseAPDU(bytes: [0x90]) }
    }

    @Test("known status words read as names", arguments: [
        (StatusWord(0x9000), "9000 (success)"),
        (StatusWord(0x6A82), "6A82 (file not found)"),
        (StatusWord(0x0100), "0100"),
    ])
    func describes(status: StatusWord, text: String) {
        #expect(status.description == text)
    }

    @Test func matchesByName() {
        let verdict: String = switch StatusWord(sw1: 0x69, sw2: 0x82) {
        case .success: "ok"
        case .securityStatusNotSatisfied: "locked"
        default: "other"
        }
        #expect(verdict == "locked")
    }
}

@Suite("BER-TLV")
struct TLVTests {
    @Test func parsesShortAndLongLengthsAndMultiByteTags() throws {
        let long = [UInt8](repeating: 0xAB, count: 200)
        let objects = [
            TLV(tag: [0x5A], value: [0x01, 0x02]),
            TLV(tag: [0x9F, 0x1A], value: long),
            TLV(tag: [0x70], value: TLV(tag: [0x57], value: [0x00]).bytes),
        ]
        let parsed = try TLV.parseAll(objects.flatMap(\.bytes))
        #expect(parsed == objects)
        #expect(parsed[2].isConstructed)
        #expect(try TLV.parseAll(parsed[2].value) == [TLV(tag: [0x57], value: [0x00])])
    }

    @Test("truncated input is an error, not a crash", arguments: [
        [0x5A] as [UInt8], [0x5A, 0x03, 0x01], [0x9F], [0x5A, 0x82, 0x01], [0x5A, 0x85, 0x00],
    ])
    func truncated(bytes: [UInt8]) {
        #expect(throws: TLVError.self) { try TLV.parseAll(bytes) }
    }

    @Test("random bytes never crash the parser")
    func randomBytes() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...64)) { bytes in
            if let objects = try? TLV.parseAll(bytes) {
                // Every parsed object came out of the input: together they cannot be larger.
                let encodedSize = objects.reduce(0) { $0 + $1.tag.count + $1.value.count + 1 }
                #expect(encodedSize <= bytes.count)
            }
        }
    }
}

@Suite("Error domains")
struct ErrorDomainTests {
    @Test func equalityIsOnTheCodeOnly() {
        #expect(CardError(.removed, "gone during Debit") == CardError(.removed, "gone during read"))
        #expect(CardError(.removed, "x") != CardError(.unresponsive, "x"))
        #expect(ReaderError(.serviceUnavailable, "a") == ReaderError(.serviceUnavailable, "b"))
    }

    @Test func codesMatchInPatterns() {
        let error = CardError(.removed, "gone")
        let removed: Bool = switch error {
        case CardError.Code.removed: true
        default: false
        }
        #expect(removed)
        #expect(error.description == "card-removed: gone")
    }

    /// The parse errors are coded too, but compare their offsets and counts: a test expecting
    /// `tooShort(1)` must fail on `tooShort(2)`.
    @Test func parseErrorsHaveCodesAndCompareTheirDetails() {
        #expect(APDUFormatError.tooShort(2).code == .tooShort)
        #expect(APDUFormatError.lengthMismatch(declared: 5, actual: 1).code.name == "apdu-length-mismatch")
        #expect(APDUFormatError.tooShort(1) != .tooShort(2))
        #expect(APDUFormatError.lengthMismatch(declared: 5, actual: 1) != .lengthMismatch(declared: 5, actual: 2))
        #expect(APDUFormatError.extendedLengthUnsupported == .extendedLengthUnsupported)
        #expect(APDUFormatError.tooShort(2).description == "APDU of 2 bytes is too short")
        #expect(TLVError.truncated(at: 3).code.name == "tlv-truncated")
        #expect(TLVError.truncated(at: 3) != .truncated(at: 4))
        #expect(TLVError.truncated(at: 3) != .unsupportedLength(at: 3))
        #expect(Set([TLVError.truncated(at: 3), .truncated(at: 3), .unsupportedLength(at: 3)]).count == 2)
        let truncated: Bool = switch TLVError.truncated(at: 9) {
        case TLVError.Code.truncated: true
        default: false
        }
        #expect(truncated)
    }
}

import Identifiers
import PropertyBased
import Testing

@Suite("Hex")
struct HexTests {
    @Test func decodingTheEncodingGivesTheBytesBackInEitherCase() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...64)) { bytes in
            #expect(Hex.decode(Hex.encode(bytes)) == bytes)
            #expect(Hex.decode(Hex.encode(bytes, case: .upper)) == bytes)
        }
    }

    @Test func encodingIsTwoDigitsPerByteInTheAskedCase() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...64)) { bytes in
            let lower = Hex.encode(bytes)
            #expect(lower.utf8.count == 2 * bytes.count)
            #expect(lower.utf8.allSatisfy { Array("0123456789abcdef".utf8).contains($0) })
            #expect(Hex.encode(bytes, case: .upper) == lower.uppercased())
        }
    }

    @Test func knownValues() {
        #expect(Hex.encode([0x04, 0xA1, 0x00, 0xFF]) == "04a100ff")
        #expect(Hex.encode([0x04, 0xA1, 0x00, 0xFF], case: .upper) == "04A100FF")
        #expect(Hex.encode([]) == "")
        #expect(Hex.decode("04a1") == [0x04, 0xA1])
        #expect(Hex.decode("04A1") == [0x04, 0xA1])
        #expect(Hex.decode("0aB1") == [0x0A, 0xB1])
        #expect(Hex.decode("") == [])
    }

    @Test(
        "anything but pairs of hex digits is rejected",
        arguments: [
            "0", "abc",  // odd number of digits
            "zz", "0g", "g0",  // not digits
            "04:a1", "04 a1", "04-a1", " 04a1", "04a1\n", "\t04a1",  // separators and whitespace
            "0x04", "+f", "-f", "+0f",  // prefixes and signs (which `UInt8(_:radix:)` would take)
            "０４", "٠٤",  // digits outside ASCII
        ]
    )
    func rejects(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func anyTextWithACharacterOutsideTheDigitsIsRejected() async {
        let digits = Set("0123456789abcdefABCDEF")
        await propertyCheck(input: Gen.uint8().array(of: 0...8), Gen.int(in: 0...16), Gen.uint8()) { bytes, position, junk in
            let scalar = Character(Unicode.Scalar(junk))
            guard !digits.contains(scalar) else { return }
            var text = Array(Hex.encode(bytes))
            text.insert(scalar, at: min(position, text.count))
            #expect(Hex.decode(String(text)) == nil)
        }
    }
}

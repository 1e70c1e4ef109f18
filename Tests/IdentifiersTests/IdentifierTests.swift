import Foundation
import Identifiers
import PropertyBased
import Testing

@Suite("Identifiers")
struct IdentifierTests {
    @Test func keyIDPrintsEightLowerCaseDigits() {
        #expect(KeyID(0x0000_00AB).description == "000000ab")
        #expect(KeyID(0xDEAD_BEEF).description == "deadbeef")
        #expect(KeyID(0).description == "00000000")
        #expect(KeyID(printed: "DEADbeef") == KeyID(0xDEAD_BEEF))
        for malformed in ["deadbee", "deadbeef0", "+eadbeef", "0xdeadbe", "dead beef", ""] {
            #expect(KeyID(printed: malformed) == nil, "\(malformed)")
        }
    }

    @Test func numericIdentifiersReadOnlyTheDecimalTheyPrint() {
        #expect(DeviceID(decimal: "101") == DeviceID(101))
        #expect(DeviceID(decimal: "0") == DeviceID(0))
        #expect(DeviceID(decimal: "4294967295") == DeviceID(UInt32.max))
        #expect(DeviceID(decimal: DeviceID(101).description) == DeviceID(101))
        for malformed in ["0101", "00", "+101", "-1", " 101", "101 ", "1_01", "0x65", "", "4294967296", "١٠١"] {
            #expect(DeviceID(decimal: malformed) == nil, "\(malformed)")
        }
    }

    @Test func numericIdentifiersAreBareNumbersInJSON() throws {
        let encoded = try JSONEncoder().encode([DeviceID(7)])
        #expect(String(decoding: encoded, as: UTF8.self) == "[7]")
        #expect(try JSONDecoder().decode([VehicleID].self, from: Data("[42]".utf8)) == [VehicleID(42)])
        #expect(try JSONDecoder().decode([KeyID].self, from: Data("[258]".utf8)) == [KeyID(0x102)])
    }

    @Test func layoutVersionPrintsWithAV() {
        #expect(LayoutVersion(3).description == "v3")
        #expect(RouteNumber(101).description == "101")
    }

    @Test func cardSerialsRoundTripThroughTheirPrintedForm() async {
        await propertyCheck(input: Gen.uint64()) { value in
            let serial = CardSerial(value)
            #expect(serial.printed.count == 19)
            #expect(CardSerial(printed: serial.printed) == serial)
            #expect(CardSerial(printed: serial.printed.lowercased().replacingOccurrences(of: "-", with: "")) == serial)
        }
    }

    @Test(
        "a printed serial is 16 hex digits, dashes and spaces aside",
        arguments: ["0102-0304-0506-070", "0102-0304-0506-070G", "+102-0304-0506-0708", "0x02-0304-0506-0708", "", "0102-0304-0506-0708-09"]
    )
    func malformedSerials(_ text: String) {
        #expect(CardSerial(printed: text) == nil)
    }
}

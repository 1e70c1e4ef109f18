import Foundation
import Identifiers
import Testing

@Suite("Identifiers")
struct IdentifierTests {
    @Test func keyIDPrintsEightLowerCaseDigits() {
        #expect(KeyID(0x0000_00AB).description == "000000ab")
        #expect(KeyID(0xDEAD_BEEF).description == "deadbeef")
        #expect(KeyID(0).description == "00000000")
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
}

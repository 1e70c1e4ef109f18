import PropertyBased
import Testing
@testable import VirtualCard

/// Garbage from the reader never crashes the card and always gets a status word.
@Suite struct RobustnessTests {
    /// Arbitrary byte strings as APDUs, against a blank card and a personalized card in an AES
    /// session (so random bytes also reach the secure-messaging paths).
    @Test func randomAPDUsAlwaysGetAStatusWord() async {
        let (personalized, reader) = Fixture.make()
        reader.aes(3)
        let blank = makeCard()
        await propertyCheck(count: 2000, input: Gen<UInt8>.value().array(of: 0...80)) { bytes in
            for card in [blank, personalized] {
                let response = card.respond(to: bytes)
                #expect(response.count >= 2)
            }
        }
    }

    /// Well-wrapped native frames with random command codes and data, many in a row on one card,
    /// so the card is driven through chains, half-finished authentications and errors.
    @Test func randomNativeCommandsKeepTheCardConsistent() async {
        let (card, reader) = Fixture.make()
        let codes: [UInt8] = [
            0x0A, 0x1A, 0xAA, 0xAF, 0x60, 0x6E, 0x5A, 0xCA, 0xDA, 0x6A, 0x51, 0x45, 0x54, 0x64, 0xC4, 0x6F,
            0xF5, 0x5F, 0xCD, 0xCB, 0xCC, 0xC1, 0xC0, 0xDF, 0xBD, 0x3D, 0x6C, 0x0C, 0xDC, 0x1C, 0x3B, 0xBB,
            0xEB, 0xC7, 0xA7, 0xFC, 0x00, 0xFF,
        ]
        let frames = Gen.int(in: 0..<codes.count).array(of: 1...30)
        let payloads = Gen<UInt8>.value().array(of: 0...59).array(of: 30)
        await propertyCheck(count: 300, input: frames, payloads) { indices, datas in
            reader.aes(3)
            for (index, data) in zip(indices, datas) {
                let apdu: [UInt8] = [0x90, codes[index], 0x00, 0x00] + (data.isEmpty ? [] : [UInt8(data.count)] + data) + [0x00]
                let response = card.respond(to: apdu)
                #expect(response.count >= 2 && response[response.count - 2] == 0x91)
            }
            // Whatever happened, the image still encodes and decodes to itself.
            #expect((try? CardImageCodec.decode(CardImageCodec.encode(card.image))) == card.image)
            card.leaveField()
            _ = reader.select(Fixture.aid)
        }
    }
}

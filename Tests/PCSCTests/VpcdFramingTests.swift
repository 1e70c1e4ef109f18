import PropertyBased
import Testing
import VirtualCard

@Suite("vpcd framing")
struct VpcdFramingTests {
    @Test func framesCarryABigEndianLength() throws {
        #expect(try VpcdFrameDecoder.frame([0xAA]) == [0x00, 0x01, 0xAA])
        #expect(try VpcdFrameDecoder.frame([]) == [0x00, 0x00])
        let long = [UInt8](repeating: 0x5A, count: 0x0123)
        #expect(try Array(VpcdFrameDecoder.frame(long).prefix(2)) == [0x01, 0x23])
    }

    @Test func aPayloadLongerThanTwoLengthBytesCanSayIsRefused() {
        #expect(throws: VpcdLinkError(.payloadTooLarge, "")) {
            try VpcdFrameDecoder.frame([UInt8](repeating: 0, count: 0x1_0000))
        }
    }

    @Test(arguments: [
        ([0x00], VpcdMessage.powerOff),
        ([0x01], .powerOn),
        ([0x02], .reset),
        ([0x04], .getATR),
        ([0x03], .unknownControl(0x03)),
        ([0xFF], .unknownControl(0xFF)),
        ([0x00, 0xA4], .apdu([0x00, 0xA4])),
        ([0x90, 0x60, 0x00, 0x00, 0x00], .apdu([0x90, 0x60, 0x00, 0x00, 0x00])),
    ] as [([UInt8], VpcdMessage)])
    func oneBytePayloadsAreControlBytesLongerOnesAreAPDUs(payload: [UInt8], expected: VpcdMessage) {
        #expect(VpcdMessage(payload: payload) == expected)
    }

    @Test func aDecoderWaitsForTheWholeFrame() {
        var decoder = VpcdFrameDecoder()
        decoder.append([0x00])
        #expect(decoder.nextPayload() == nil)
        decoder.append([0x03, 0x01])
        #expect(decoder.nextPayload() == nil)
        decoder.append([0x02, 0x03, 0x00])
        #expect(decoder.nextPayload() == [0x01, 0x02, 0x03])
        #expect(decoder.nextPayload() == nil)
        #expect(decoder.pendingByteCount == 1)
    }

    @Test func framedPayloadsSurviveAnyChunking() async {
        let payloads = Gen.uint8().array(of: 0...300).array(of: 1...8)
        let cuts = Gen.int(in: 1...64).array(of: 1...40)
        await propertyCheck(input: payloads, cuts) { payloads, cuts in
            let stream = payloads.flatMap { try! VpcdFrameDecoder.frame($0) }
            var decoder = VpcdFrameDecoder()
            var decoded: [[UInt8]] = []
            var offset = 0
            var cutIndex = 0
            while offset < stream.count {
                let size = min(cuts[cutIndex % cuts.count], stream.count - offset)
                decoder.append(stream[offset..<(offset + size)])
                offset += size
                cutIndex += 1
                while let payload = decoder.nextPayload() { decoded.append(payload) }
            }
            #expect(decoded == payloads)
            #expect(decoder.pendingByteCount == 0)
        }
    }
}

import Foundation
import Testing
@testable import VirtualCard

/// Replays a published trace of a real DESFire EV1 (Elmue's "DESFire EV1 Communication
/// Examples", see Vectors/elmue-desfire-ev1-trace.json for the source): ISO authentication with
/// DES, 2K3DES and 3K3DES keys, AES authentication, ChangeKey of the authenticated key and of
/// another key, ChangeKeySettings, GetVersion, FormatPICC, Create/Delete/GetApplicationIDs,
/// CreateStdDataFile, GetFileIDs, GetFileSettings, WriteData, ReadData, DeleteFile, each with
/// the card's CMACs. The card gets the trace's RndB values from a scripted challenge source and
/// must answer every frame byte for byte as the real card did.
@Suite struct PublishedTraceTests {
    struct Trace: Decodable {
        struct Card: Decodable {
            var uid, batchNumber, productionWeek, productionYear, hardware, software: String
            var userBytes: Int
        }
        struct Exchange: Decodable {
            var step: String
            var command: String
            var response: String
        }
        var card: Card
        var rndB: [String]
        var exchanges: [Exchange]
    }

    static func loadTrace() throws -> Trace {
        let url = try #require(Bundle.module.url(forResource: "elmue-desfire-ev1-trace", withExtension: "json", subdirectory: "Vectors"))
        return try JSONDecoder().decode(Trace.self, from: Data(contentsOf: url))
    }

    @Test func realCardTraceIsReproducedByteForByte() throws {
        let trace = try Self.loadTrace()
        var image = CardImage.factoryNew(
            uid: hexBytes(trace.card.uid), batchNumber: hexBytes(trace.card.batchNumber),
            productionWeek: hexBytes(trace.card.productionWeek)[0], productionYear: hexBytes(trace.card.productionYear)[0]
        )
        image.hardwareVersion = hexBytes(trace.card.hardware)
        image.softwareVersion = hexBytes(trace.card.software)
        image.userMemory = trace.card.userBytes
        let card = VirtualDESFireCard(image: image, challenges: ScriptedChallengeSource(trace.rndB.map(hexBytes)))
        #expect(trace.exchanges.count == 85)
        for (index, exchange) in trace.exchanges.enumerated() {
            let native = hexBytes(exchange.command)
            var apdu: [UInt8] = [0x90, native[0], 0x00, 0x00]
            if native.count > 1 { apdu += [UInt8(native.count - 1)] + native.dropFirst() }
            apdu.append(0x00)
            let expectedNative = hexBytes(exchange.response)
            let expected = Array(expectedNative.dropLast()) + [0x91, expectedNative.last!]
            let response = card.respond(to: apdu)
            #expect(response == expected, "exchange \(index) (\(exchange.step))")
            if response != expected { break }
        }
    }
}

import PCSC
import SmartCard
import TestBedSupport
import Testing
import VirtualCard

/// The in-process field (`EmulatedCardChannel`), which the exhaustive tearing tests run on,
/// tears as a card behind pcscd and vpcd does: each case runs in both fields with the same checks.
@Suite("A card torn in-process answers as one torn behind pcscd and vpcd")
struct CardFieldTests {
    static let command = CommandAPDU(cla: 0x80, ins: 0x01, data: [0xAB])

    /// Runs `body` on the in-process field, or on a leased test-bed reader.
    static func inField(throughPCSC: Bool, _ body: (CardField) async throws -> Void) async throws {
        if throughPCSC {
            try await TestBed.shared.withReader { reader in try await body(.testBed(reader)) }
        } else {
            try await body(.inProcess)
        }
    }

    @Test("torn after two answers: both arrive whole, the third command finds the card removed, the card left the field once",
          arguments: [false, true])
    func tornAfterTwo(throughPCSC: Bool) async throws {
        let card = EchoCard()
        try await Self.inField(throughPCSC: throughPCSC) { field in
            try await field.withCard(card, tearAfterAPDUs: 2) { channel in
                #expect(channel.atr == CardIdentity.desfireATR)
                for _ in 0..<2 {
                    let answer = try await channel.transmit(Self.command)
                    #expect(answer.data == [0xAB] && answer.status == .success)
                }
                await #expect(throws: CardError(.removed, "")) { try await channel.transmit(Self.command) }
            }
        }
        #expect(card.events.commands == 2)
        #expect(card.events.fieldExits == 1)
    }

    @Test("an answer shorter than SW1 SW2 is malformed from a card still present, removed from one torn right after it",
          arguments: [false, true])
    func shortAnswers(throughPCSC: Bool) async throws {
        try await Self.inField(throughPCSC: throughPCSC) { field in
            try await field.withCard(ShortAnswerCard()) { channel in
                await #expect(throws: CardError(.malformedResponse, "")) { try await channel.transmit(Self.command) }
            }
            try await field.withCard(ShortAnswerCard(), tearAfterAPDUs: 1) { channel in
                await #expect(throws: CardError(.removed, "")) { try await channel.transmit(Self.command) }
            }
        }
    }
}

/// A card whose every answer is one byte, as a tear in the middle of an answer leaves it.
private final class ShortAnswerCard: EmulatedCard {
    var atr: [UInt8] { CardIdentity.desfireATR }
    func powerOn() {}
    func powerOff() {}
    func reset() {}
    func leaveField() {}
    func respond(to command: [UInt8]) -> [UInt8] { [0x6F] }
}

import SmartCard
import Testing
@testable import DESFire

@Suite("Chained frames")
struct ChainingTests {
    /// A 150-byte write is 7 + 150 = 157 bytes of native data: frames of 49, 49, 49 and 10,
    /// the card acknowledging each but the last with `91 AF`.
    @Test func longWriteGoesInAdditionalFrames() async throws {
        let data = (0..<150).map { UInt8($0) }
        let body = [0x01, 0x00, 0x00, 0x00, 0x96, 0x00, 0x00] + data
        let channel = ScriptedChannel([
            (wrappedCommand([0x3D] + body[0..<49]), [0x91, 0xAF]),
            (wrappedCommand([0xAF] + body[49..<98]), [0x91, 0xAF]),
            (wrappedCommand([0xAF] + body[98..<147]), [0x91, 0xAF]),
            (wrappedCommand([0xAF] + body[147...]), [0x91, 0x00]),
        ])
        var card = DESFireCard(channel: channel)
        try await card.writeData(file: 1, data: data, mode: .plain)
        #expect(card.apduCount == 4)
        #expect(await channel.remaining == 0)
    }

    /// Smaller frames when the reader needs them.
    @Test func frameLimitIsConfigurable() async throws {
        let data = [UInt8](repeating: 0x5A, count: 20)
        let body = [0x02, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00] + data
        let channel = ScriptedChannel([
            (wrappedCommand([0x3D] + body[0..<16]), [0x91, 0xAF]),
            (wrappedCommand([0xAF] + body[16...]), [0x91, 0x00]),
        ])
        var card = DESFireCard(channel: channel, limits: DESFireFrameLimits(maxCommandDataPerFrame: 16))
        try await card.writeData(file: 2, data: data, mode: .plain)
        #expect(card.apduCount == 2)
    }

    /// A 150-byte read comes back in frames of 59, 59 and 32; the client asks for each next
    /// frame with `90 AF 00 00 00` and no more.
    @Test func longReadCollectsAdditionalFrames() async throws {
        let data = (0..<150).map { UInt8(255 - $0) }
        let channel = ScriptedChannel([
            (wrappedCommand([0xBD, 0x01, 0x00, 0x00, 0x00, 0x96, 0x00, 0x00]), Array(data[0..<59]) + [0x91, 0xAF]),
            ([0x90, 0xAF, 0x00, 0x00, 0x00], Array(data[59..<118]) + [0x91, 0xAF]),
            ([0x90, 0xAF, 0x00, 0x00, 0x00], Array(data[118...]) + [0x91, 0x00]),
        ])
        var card = DESFireCard(channel: channel)
        #expect(try await card.readData(file: 1, length: 150, mode: .plain) == data)
        #expect(card.apduCount == 3)
    }

    /// The exchange alone: a chained command then a chained answer.
    @Test func exchangeStateMachine() throws {
        let frame = PreparedFrame(instruction: .writeData, body: [UInt8](repeating: 1, count: 60), maxResponseBytes: 4, maxResponseFrames: nil)
        var exchange = DESFireExchange(frame, limits: DESFireFrameLimits(maxCommandDataPerFrame: 30))
        #expect(exchange.commandFrameCount == 2)
        #expect(exchange.firstCommand.bytes == [0x90, 0x3D, 0x00, 0x00, 30] + [UInt8](repeating: 1, count: 30) + [0x00])
        guard case .send(let second) = try exchange.receive(ResponseAPDU(data: [], status: StatusWord(0x91AF))) else {
            Issue.record("expected the second command frame")
            return
        }
        #expect(second.ins == 0xAF)
        #expect(second.data.count == 30)
        guard case .send(let more) = try exchange.receive(ResponseAPDU(data: [1, 2], status: StatusWord(0x91AF))) else {
            Issue.record("expected a request for the next answer frame")
            return
        }
        #expect(more.bytes == [0x90, 0xAF, 0x00, 0x00, 0x00])
        let last = try exchange.receive(ResponseAPDU(data: [3, 4], status: StatusWord(0x9100)))
        #expect(last == .finished(DESFireResponse(status: .operationOK, data: [1, 2, 3, 4])))
        #expect(throws: DESFireError.Code.wrongState.expected) { try exchange.receive(ResponseAPDU(data: [], status: StatusWord(0x9100))) }
    }

    /// An error status in the middle of a chained write ends the exchange with that status.
    @Test func errorStatusMidChainEndsTheExchange() async throws {
        let data = [UInt8](repeating: 7, count: 100)
        let body = [0x01, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00] + data
        let channel = ScriptedChannel([
            (wrappedCommand([0x3D] + body[0..<49]), [0x91, 0xAF]),
            (wrappedCommand([0xAF] + body[49..<98]), [0x91, 0xBE]),
        ])
        var card = DESFireCard(channel: channel)
        await #expect(throws: DESFireError.Code.boundaryError.expected) { try await card.writeData(file: 1, data: data, mode: .plain) }
        #expect(card.apduCount == 2)
    }
}

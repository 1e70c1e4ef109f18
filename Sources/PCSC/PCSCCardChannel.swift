import SmartCard
import Synchronization

/// An open connection to the card in one reader, valid inside ``PCSCClient/withCard(reader:protocols:disposition:isolation:_:)``.
///
/// Every PC/SC call of the session runs on the session's own thread, in order. Using the
/// channel after its `withCard` returned throws ``ReaderError`` (`internal-failure`).
public struct PCSCCardChannel: CardChannel {
    /// The reader's PC/SC name.
    public let reader: String
    /// The protocol the reader and the card agreed on.
    public let activeProtocol: CardProtocol
    /// The card's ATR when the connection was made.
    public let atr: [UInt8]

    let worker: SerialWorker
    let connection: CardConnection

    /// Sends a command APDU. Over T=0 it also follows the card's `61 xx` (more data: GET
    /// RESPONSE) and `6C xx` (wrong Le: resend) as ISO 7816-4 asks of the terminal; over T=1
    /// the reader does that itself.
    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let connection = connection
        let bytes = command.bytes
        let raw: [UInt8]
        if activeProtocol == .t0 {
            raw = try await worker.run { try Self.transmitT0(connection, command: command) }
        } else {
            raw = try await worker.run { try connection.transmit(bytes) }
        }
        do {
            return try ResponseAPDU(bytes: raw)
        } catch {
            throw CardError(.malformedResponse, "the card answered \(raw.count) byte(s), fewer than SW1 SW2")
        }
    }

    /// Sends raw bytes and returns the raw answer, with no APDU interpretation.
    public func transmit(bytes: [UInt8]) async throws -> [UInt8] {
        let connection = connection
        return try await worker.run { try connection.transmit(bytes) }
    }

    /// Sends a reader escape command (`SCardControl`); `code` is the full control code, e.g.
    /// ``PCSCClient/controlCode(_:)`` of a reader-specific function number.
    public func control(code: UInt32, data: [UInt8] = []) async throws -> [UInt8] {
        let connection = connection
        return try await worker.run { try connection.control(code: code, data: data) }
    }

    /// The card's state as the connection sees it (`SCardStatus`).
    public func status() async throws -> ReaderStatus {
        let connection = connection
        let reader = reader
        return try await worker.run { try connection.status(reader: reader) }
    }

    private static func transmitT0(_ connection: CardConnection, command: CommandAPDU) throws -> [UInt8] {
        var answer = try connection.transmit(command.bytes)
        if answer.count == 2, answer[0] == 0x6C {
            var corrected = command
            corrected.le = answer[1]
            answer = try connection.transmit(corrected.bytes)
        }
        var data: [UInt8] = []
        var rounds = 0
        while answer.count >= 2, answer[answer.count - 2] == 0x61, rounds < 256 {
            data += answer.dropLast(2)
            let getResponse = CommandAPDU(cla: command.cla & 0x03, ins: 0xC0, p1: 0, p2: 0, le: answer[answer.count - 1])
            answer = try connection.transmit(getResponse.bytes)
            rounds += 1
        }
        return data + answer
    }
}

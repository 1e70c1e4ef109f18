import SmartCard

/// How large the frames of a wrapped DESFire exchange may be.
public struct DESFireFrameLimits: Hashable, Sendable {
    /// The most bytes of native data (after the command code) one command APDU carries; longer
    /// data continues in `90 AF` frames.
    public var maxCommandDataPerFrame: Int

    /// Limits with `maxCommandDataPerFrame` between 1 and 255 (short APDUs).
    public init(maxCommandDataPerFrame: Int) {
        precondition((1...255).contains(maxCommandDataPerFrame), "a short APDU carries 1...255 data bytes")
        self.maxCommandDataPerFrame = maxCommandDataPerFrame
    }

    /// What every EV1 card accepts: the DESFire functional specification limits a wrapped
    /// command to 55 bytes, so `90 INS 00 00 Lc` + 49 data bytes + `Le`.
    public static let standard = DESFireFrameLimits(maxCommandDataPerFrame: 49)
}

/// One native command carried in ISO 7816 APDUs: `90 INS 00 00 Lc data 00`, long data
/// continued in `90 AF` frames, long answers collected frame by frame with `90 AF 00 00 00`.
///
/// A pure state machine: ``firstCommand`` is the APDU to send, ``receive(_:)`` takes each
/// answer and says what to send next or hands back the card's complete answer. It never asks
/// for more frames than the answer can hold: once the bytes or frames exceed what the command
/// produces it stops with ``DESFireError/Code/oversizedResponse``.
public struct DESFireExchange: Sendable {
    /// The APDU that starts the exchange.
    public let firstCommand: CommandAPDU
    private let continuations: [CommandAPDU]
    private let frame: PreparedFrame
    private var nextContinuation = 0
    private var received: [UInt8] = []
    private var answerFrames = 0
    private var finished = false

    /// Splits a prepared frame into APDUs.
    public init(_ frame: PreparedFrame, limits: DESFireFrameLimits = .standard) {
        self.frame = frame
        var chunks: [[UInt8]] = []
        var start = 0
        repeat {
            let end = min(frame.body.count, start + limits.maxCommandDataPerFrame)
            chunks.append(Array(frame.body[start..<end]))
            start = end
        } while start < frame.body.count
        firstCommand = CommandAPDU(cla: 0x90, ins: frame.instruction.rawValue, data: chunks[0], le: 0x00)
        continuations = chunks.dropFirst().map { CommandAPDU(cla: 0x90, ins: InstructionCode.additionalFrame.rawValue, data: $0, le: 0x00) }
    }

    /// How many APDUs carry the command itself (answers of several frames add one each).
    public var commandFrameCount: Int { 1 + continuations.count }

    /// What to do after an answer.
    public enum Step: Hashable, Sendable {
        /// Send this APDU next.
        case send(CommandAPDU)
        /// The exchange is over: the card's final status and all its data.
        case finished(DESFireResponse)
    }

    /// Takes the card's answer to the last APDU sent.
    public mutating func receive(_ response: ResponseAPDU) throws(DESFireError) -> Step {
        guard !finished else {
            throw DESFireError(.wrongState, "\(frame.instruction): an answer arrived after the exchange ended")
        }
        guard response.status.sw1 == 0x91 else {
            finished = true
            throw DESFireError(.unexpectedStatusWord, "\(frame.instruction): the card answered \(response.status), not 91 xx")
        }
        let status = DESFireStatus(response.status.sw2)
        if status == .additionalFrame {
            if nextContinuation < continuations.count {
                guard response.data.isEmpty else {
                    finished = true
                    throw DESFireError(.malformedResponse, "\(frame.instruction): the card sent data while still receiving the command")
                }
                defer { nextContinuation += 1 }
                return .send(continuations[nextContinuation])
            }
            try collect(response.data)
            if frame.additionalFrameEndsExchange {
                finished = true
                return .finished(DESFireResponse(status: status, data: received))
            }
            guard !response.data.isEmpty else {
                finished = true
                throw DESFireError(.additionalFrame, "\(frame.instruction): the card asks for more data than the command has")
            }
            // Another frame carries at least one byte: refuse now rather than ask for it.
            if received.count >= frame.maxResponseBytes || answerFrames >= (frame.maxResponseFrames ?? Int.max) {
                finished = true
                throw DESFireError(.oversizedResponse, "\(frame.instruction): the card announces more frames than the command produces")
            }
            return .send(CommandAPDU(cla: 0x90, ins: InstructionCode.additionalFrame.rawValue, le: 0x00))
        }
        finished = true
        if status == .operationOK {
            guard nextContinuation == continuations.count else {
                throw DESFireError(.malformedResponse, "\(frame.instruction): the card completed before receiving the whole command")
            }
            try collect(response.data)
        }
        // An error status ends the exchange whatever data came with it; the session throws it.
        return .finished(DESFireResponse(status: status, data: status == .operationOK ? received : []))
    }

    private mutating func collect(_ data: [UInt8]) throws(DESFireError) {
        answerFrames += 1
        received += data
        if received.count > frame.maxResponseBytes {
            finished = true
            throw DESFireError(.oversizedResponse, "\(frame.instruction): \(received.count) bytes answered, the command produces at most \(frame.maxResponseBytes)")
        }
        if let maxFrames = frame.maxResponseFrames, answerFrames > maxFrames {
            finished = true
            throw DESFireError(.oversizedResponse, "\(frame.instruction): \(answerFrames) answer frames, the command produces at most \(maxFrames)")
        }
    }
}

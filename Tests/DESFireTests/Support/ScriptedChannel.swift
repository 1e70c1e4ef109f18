import Identifiers
import SmartCard

/// An in-memory card for tests: a list of expected command APDUs, each with its canned answer.
///
/// A command that differs from the next expected one (or comes when none is left) is an error
/// the test sees, with both sides in hex; ``remaining`` tells whether the client sent every
/// command the script expected, and ``sent`` counts what it did send.
actor ScriptedChannel: CardChannel {
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    private var script: [(command: [UInt8], response: [UInt8])] = []
    private(set) var sent = 0
    private(set) var log: [[UInt8]] = []

    init(_ script: [(command: [UInt8], response: [UInt8])] = []) {
        self.script = script
    }

    /// Appends expected exchanges.
    func expect(_ exchanges: [(command: [UInt8], response: [UInt8])]) {
        script += exchanges
    }

    /// Expected exchanges not yet used.
    var remaining: Int { script.count }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        sent += 1
        log.append(command.bytes)
        guard !script.isEmpty else {
            throw Mismatch(description: "unexpected APDU \(Hex.encode(command.bytes, case: .upper)): the script is finished")
        }
        let next = script.removeFirst()
        guard next.command == command.bytes else {
            throw Mismatch(description: "expected APDU \(Hex.encode(next.command, case: .upper)), got \(Hex.encode(command.bytes, case: .upper))")
        }
        return try ResponseAPDU(bytes: next.response)
    }
}

/// A native command (code + data) as the wrapped APDU the client sends: `90 code 00 00 [Lc data] 00`.
func wrappedCommand(_ native: [UInt8]) -> [UInt8] {
    CommandAPDU(cla: 0x90, ins: native[0], data: Array(native.dropFirst()), le: 0x00).bytes
}

/// A native response (status + data) as the wrapped answer: `data 91 status`.
func wrappedResponse(_ native: [UInt8]) -> [UInt8] {
    Array(native.dropFirst()) + [0x91, native[0]]
}

/// A script from native exchanges written as hex.
func nativeScript(_ pairs: [(String, String)]) -> [(command: [UInt8], response: [UInt8])] {
    pairs.map { (wrappedCommand(bytes($0.0)), wrappedResponse(bytes($0.1))) }
}

/// A random number generator that returns given bytes (little-endian in each word), so an
/// authentication's RndA can be the one of a published trace. Past the end it returns zeros.
struct FixedBytesGenerator: RandomNumberGenerator {
    private var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> UInt64 {
        var word: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) where !bytes.isEmpty {
            word |= UInt64(bytes.removeFirst()) << UInt64(shift)
        }
        return word
    }
}

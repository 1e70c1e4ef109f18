import SmartCard
@testable import DESFire

/// A card that answers every command with whatever `respond` says (misbehaving cards,
/// random answers).
struct ClosureChannel: CardChannel {
    let respond: @Sendable (CommandAPDU) throws -> ResponseAPDU

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        try respond(command)
    }
}

/// The index of the first step of a trace file whose title contains `title`.
func stepIndex(_ title: String, in name: String) throws -> Int {
    let trace = try Vectors.load(name, as: TraceFile.self)
    guard let index = trace.steps.firstIndex(where: { $0.title.contains(title) }) else {
        preconditionFailure("no step titled \(title) in \(name)")
    }
    return index
}

/// A native exchange of a trace step as wrapped APDUs, with the answer changed by `tamper`.
func tamperedExchange(_ exchange: NativeExchange, _ tamper: (inout [UInt8]) -> Void) -> (command: [UInt8], response: [UInt8]) {
    var response = bytes(exchange.response)
    tamper(&response)
    return (wrappedCommand(bytes(exchange.command)), wrappedResponse(response))
}

/// What a session makes of an answer to `command`: the payload, or the error code; and whether
/// the session is still authenticated afterwards. The session is copied, never changed.
struct Outcome {
    let payload: [UInt8]?
    let code: DESFireError.Code?
    let authenticatedAfter: Bool
}

func outcome(of response: DESFireResponse, to command: DESFireCommand, in session: DESFireSession) -> Outcome {
    var copy = session
    do {
        _ = try copy.prepare(command)
        let payload = try copy.open(response)
        return Outcome(payload: payload, code: nil, authenticatedAfter: copy.isAuthenticated)
    } catch {
        return Outcome(payload: nil, code: error.code, authenticatedAfter: copy.isAuthenticated)
    }
}

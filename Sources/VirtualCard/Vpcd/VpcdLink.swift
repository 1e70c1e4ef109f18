/// Where to find the vpcd reader and how long the card stays in its field.
public struct VpcdLinkOptions: Sendable {
    /// Host running pcscd with the vpcd driver (vpcd listens on all interfaces).
    public var host: String
    /// The vpcd reader's TCP port: the reader.conf entry's port for its first reader, +1 for
    /// the second.
    public var port: UInt16
    /// How long the card stays in the field after connecting; nil: until the reader closes or
    /// the session is stopped.
    public var fieldTime: Duration?
    /// Pull the card away right after sending the response to this many APDUs (a torn tap);
    /// nil: never.
    public var tearAfterAPDUs: Int?
    /// How long to keep retrying while nothing listens on the port yet (pcscd starting up).
    public var connectTimeout: Duration

    /// Options for a card on `port` of the local vpcd, in the field until stopped.
    public init(
        host: String = "127.0.0.1",
        port: UInt16,
        fieldTime: Duration? = nil,
        tearAfterAPDUs: Int? = nil,
        connectTimeout: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.fieldTime = fieldTime
        self.tearAfterAPDUs = tearAfterAPDUs
        self.connectTimeout = connectTimeout
    }
}

/// Why a vpcd session ended, with how many command APDUs the card answered.
public enum VpcdSessionEnd: Sendable, Equatable {
    /// The field time passed and the link left the field.
    case fieldTimeElapsed(apdus: Int)
    /// The link closed the connection right after the `tearAfterAPDUs`-th response.
    case torn(apdus: Int)
    /// vpcd closed the connection (pcscd stopped, or the reader was removed).
    case readerClosed(apdus: Int)
    /// The stop signal fired.
    case stopped(apdus: Int)

    /// Command APDUs answered during the session.
    public var apdus: Int {
        switch self {
        case .fieldTimeElapsed(let count), .torn(let count), .readerClosed(let count), .stopped(let count): count
        }
    }
}

/// Puts `card` in the field of a vpcd reader and serves it until the session ends. Blocking.
///
/// Connecting is the card entering the field; closing the connection is the card leaving it.
/// The connection is retried for `options.connectTimeout` while nothing listens yet. Control
/// bytes reach the card as `powerOn`/`powerOff`/`reset`, ATR requests are answered with
/// `card.atr`, and every command APDU with `card.respond(to:)`. Whatever ends the session,
/// `card.leaveField()` is called before returning or throwing, so the card model drops its
/// volatile state exactly as a card pulled from a real field would.
///
/// Run it on a dedicated thread (it blocks in `poll()`), and fire `stop` from elsewhere to end
/// it promptly. A stop fired before or during connecting returns `.stopped(apdus: 0)`.
public func runVpcdSession(
    card: some EmulatedCard,
    options: VpcdLinkOptions,
    stop: VpcdStopSignal? = nil
) throws -> VpcdSessionEnd {
    defer { card.leaveField() }
    if let tear = options.tearAfterAPDUs, tear < 0 {
        throw VpcdLinkError(.invalidOptions, "tearAfterAPDUs must be zero or more, got \(tear)")
    }
    if let fieldTime = options.fieldTime, fieldTime < .zero {
        throw VpcdLinkError(.invalidOptions, "fieldTime must not be negative, got \(fieldTime)")
    }
    guard let socket = try VpcdSocket.establish(
        host: options.host, port: options.port, timeout: options.connectTimeout, stop: stop
    ) else {
        return .stopped(apdus: 0)
    }
    let clock = ContinuousClock()
    let leaveFieldAt = options.fieldTime.map { clock.now + $0 }
    var answered = 0
    if options.tearAfterAPDUs == 0 { return .torn(apdus: 0) }

    var decoder = VpcdFrameDecoder()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        while let payload = decoder.nextPayload() {
            guard !payload.isEmpty else {
                throw VpcdLinkError(.protocolViolation, "vpcd sent an empty frame")
            }
            switch VpcdMessage(payload: payload) {
            case .powerOff:
                card.powerOff()
            case .powerOn:
                card.powerOn()
            case .reset:
                card.reset()
            case .unknownControl:
                break
            case .getATR:
                guard try socket.sendAll(VpcdFrameDecoder.frame(card.atr)) else { return .readerClosed(apdus: answered) }
            case .apdu(let command):
                let response = card.respond(to: command)
                guard try socket.sendAll(VpcdFrameDecoder.frame(response)) else { return .readerClosed(apdus: answered) }
                answered += 1
                if answered == options.tearAfterAPDUs { return .torn(apdus: answered) }
            }
        }
        if stop?.isStopped == true { return .stopped(apdus: answered) }
        var remaining: Duration?
        if let leaveFieldAt {
            let left = clock.now.duration(to: leaveFieldAt)
            guard left > .zero else { return .fieldTimeElapsed(apdus: answered) }
            remaining = left
        }
        switch socket.waitReadable(stop: stop, timeout: remaining) {
        case .stopped:
            return .stopped(apdus: answered)
        case .timedOut:
            continue
        case .readable:
            switch try socket.receive(into: &buffer) {
            case .bytes(let count):
                decoder.append(buffer[0..<count])
            case .closedByPeer:
                return .readerClosed(apdus: answered)
            case .wouldBlock:
                continue
            }
        }
    }
}

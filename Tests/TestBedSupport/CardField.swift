import PCSC
import SmartCard
import Synchronization
import VirtualCard

/// Where a test puts a virtual card and talks to it: a reader of the PC/SC test bed (pcscd, the
/// vpcd driver, a TCP link to the card model), or the card model itself, in this process.
///
/// A test written against a field runs the same steps and the same checks on either. Through
/// pcscd a card costs a presence poll to appear and another to leave (hundreds of milliseconds);
/// in-process it costs nothing. So an exhaustive loop — a tear after every APDU of a flow — runs
/// in-process, and keeps a few representative steps (around the commit) on the real stack, which
/// is the only place the PC/SC error mapping and vpcd's tearing are exercised.
public enum CardField: Sendable, CustomStringConvertible {
    /// Through pcscd and vpcd, in a reader leased from ``TestBed``.
    case testBed(TestReader)
    /// Straight to the card model through ``EmulatedCardChannel``.
    case inProcess

    public var description: String {
        switch self {
        case .testBed(let reader): "pcscd \(reader)"
        case .inProcess: "in-process"
        }
    }

    /// Puts `card` in the field, connects, and runs `body` with a channel to it; the card leaves
    /// the field afterwards (also when `body` throws). With `tearAfterAPDUs`, the card leaves
    /// right after answering that many command APDUs, as ``VpcdLinkOptions/tearAfterAPDUs`` does.
    @discardableResult
    public func withCard<Card: EmulatedCard & SendableMetatype, Result>(
        _ card: sending Card,
        tearAfterAPDUs: Int? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (FieldChannel) async throws -> Result
    ) async throws -> Result {
        switch self {
        case .testBed(let reader):
            return try await reader.withVirtualCard(card, tearAfterAPDUs: tearAfterAPDUs) { _ in
                try await PCSCClient().withCard(reader: reader.name) { channel in try await body(FieldChannel(channel)) }
            }
        case .inProcess:
            let channel = EmulatedCardChannel(card: card, tearAfterAPDUs: tearAfterAPDUs)
            defer { channel.leaveField() }
            return try await body(FieldChannel(channel))
        }
    }
}

/// A channel to a card in a ``CardField``: one concrete type for both paths, so code generic
/// over its channel (sessions, counting wrappers) is written once.
public struct FieldChannel: CardChannel {
    private enum Path: Sendable {
        case pcsc(PCSCCardChannel)
        case emulated(EmulatedCardChannel)
    }

    private let path: Path

    init(_ channel: PCSCCardChannel) { path = .pcsc(channel) }
    init(_ channel: EmulatedCardChannel) { path = .emulated(channel) }

    /// The ATR the reader reported when the connection was made.
    public var atr: [UInt8] {
        switch path {
        case .pcsc(let channel): channel.atr
        case .emulated(let channel): channel.atr
        }
    }

    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        switch path {
        case .pcsc(let channel): return try await channel.transmit(command)
        case .emulated(let channel): return try await channel.transmit(command)
        }
    }
}

/// A card channel straight to a card model (``EmulatedCard``) in this process: no pcscd, no
/// vpcd, no socket. For tests only.
///
/// It behaves as the model behind pcscd and vpcd does, as far as a caller of ``CardChannel``
/// can tell: the card is powered on when it enters, every command reaches `respond(to:)` and
/// its answer comes back whole; with `tearAfterAPDUs` k the k-th answer still arrives, then the
/// card leaves the field (`leaveField()`, volatile state lost) and every later command throws
/// ``CardError`` `removed`, as ``PCSCCardChannel`` reports a card gone. An answer shorter than
/// SW1 SW2 throws `malformedResponse` from a card still present and `removed` from one that has
/// just left, as the PC/SC adapter classifies vpcd's short answers.
public final class EmulatedCardChannel: CardChannel {
    private struct State {
        var card: any EmulatedCard
        var answered = 0
        var inField = true
    }

    /// The card's ATR.
    public let atr: [UInt8]
    private let tearAfterAPDUs: Int?
    // The card model is not Sendable: the lock makes this channel its only user, one command at a time.
    private let state: Mutex<State>

    /// Puts `card` in the field (powered on); it leaves after `tearAfterAPDUs` answers, if set.
    /// (`SendableMetatype`: the card's conformance is not isolated to an actor, so the channel may
    /// hold it as `any EmulatedCard` and use it from whichever task transmits.)
    public init<Card: EmulatedCard & SendableMetatype>(card: sending Card, tearAfterAPDUs: Int? = nil) {
        precondition((tearAfterAPDUs ?? 0) >= 0, "tearAfterAPDUs must be zero or more")
        card.powerOn()
        atr = card.atr
        self.tearAfterAPDUs = tearAfterAPDUs
        state = Mutex(State(card: card))
        if tearAfterAPDUs == 0 { leaveField() }
    }

    /// Command APDUs the card has answered.
    public var answered: Int { state.withLock { $0.answered } }

    /// Takes the card out of the field (its volatile state is lost); later commands throw `removed`.
    public func leaveField() {
        state.withLock { state in
            guard state.inField else { return }
            state.inField = false
            state.card.leaveField()
        }
    }

    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let bytes = command.bytes
        let tearAfterAPDUs = tearAfterAPDUs
        let exchange: (answer: [UInt8], stillInField: Bool)? = state.withLock { state in
            guard state.inField else { return nil }
            let answer = state.card.respond(to: bytes)
            state.answered += 1
            if state.answered == tearAfterAPDUs {
                state.inField = false
                state.card.leaveField()
            }
            return (answer, state.inField)
        }
        guard let exchange else {
            throw CardError(.removed, "the card has left the field (in-process)")
        }
        guard exchange.answer.count >= 2 else {
            if !exchange.stillInField {
                throw CardError(.removed, "the card answered \(exchange.answer.count) byte(s) and left the field (in-process)")
            }
            throw CardError(.malformedResponse, "the card answered \(exchange.answer.count) byte(s), fewer than SW1 SW2")
        }
        do {
            return try ResponseAPDU(bytes: exchange.answer)
        } catch {
            throw CardError(.malformedResponse, "the card answered \(exchange.answer.count) byte(s), fewer than SW1 SW2")
        }
    }
}

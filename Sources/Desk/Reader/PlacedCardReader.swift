import PCSC
import SmartCard

/// The desk's reader: runs a command with the card on it, waiting a while for one to be placed.
public struct PlacedCardReader: Sendable {
    /// The PC/SC reader's name.
    public let name: String
    /// How long to wait for a card to be placed (zero: it must be there already).
    public let wait: Duration

    /// What the desk says while it waits for a card.
    public static let placeCardPrompt = "Покладіть картку на зчитувач / Place the card on the reader…\n"

    /// A reader called `name` that waits up to `wait` for a card.
    public init(name: String, wait: Duration) {
        self.name = name
        self.wait = wait
    }

    /// Runs `body` with the card on the reader, waiting up to ``wait`` for one to be placed;
    /// `waiting` is called once, when the desk starts waiting (to tell the operator).
    ///
    /// pcscd notices a card leaving only at its next poll, so a reader may still report the
    /// previous card for a moment: a connection refused for a missing card before anything was
    /// sent is waited out (until the card really is gone, then until one is placed) rather than
    /// reported, while the time allows.
    public func withPlacedCard<Result>(
        waiting: () -> Void, _ body: (PCSCCardChannel) async throws -> Result
    ) async throws -> Result {
        let pcsc = PCSCClient()
        let deadline = ContinuousClock.now + wait
        var told = false
        while true {
            if wait > .zero, (try? pcsc.status(of: name))?.cardPresent != true {
                if !told {
                    waiting()
                    told = true
                }
                _ = try await pcsc.waitForCard(in: name, timeout: max(.milliseconds(1), deadline - .now))
            }
            var started = false
            do {
                return try await pcsc.withCard(reader: name) { channel in
                    started = true
                    return try await body(channel)
                }
            } catch let error as CardError where error.code == .removed && !started && ContinuousClock.now < deadline {
                _ = try? await pcsc.waitForCard(in: name, present: false, timeout: .seconds(1))
            }
        }
    }

    /// Waits (up to ``wait``, at least a minute) until the card on the reader is taken away, for
    /// an action that needs two cards one after the other (a replacement); `waiting` is called
    /// once if a card is there.
    public func waitForRemoval(waiting: () -> Void) async throws {
        let pcsc = PCSCClient()
        guard (try? pcsc.status(of: name))?.cardPresent == true else { return }
        waiting()
        _ = try await pcsc.waitForCard(in: name, present: false, timeout: max(wait, .seconds(60)))
    }
}

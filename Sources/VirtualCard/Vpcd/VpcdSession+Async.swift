import Foundation

/// Serves `card` in a vpcd reader's field on a thread of its own and returns when the session
/// ends, without blocking the caller's thread.
///
/// `runVpcdSession(card:options:stop:)` blocks in `poll()`, which must not happen on a Swift
/// concurrency thread; this runs it on a dedicated thread, which becomes the card's only user.
/// Fire `stop` to end the session early; cancelling the calling task fires it too. The card
/// comes back with how the session ended, for the caller to inspect (its image, save errors).
public func serveVpcdSession<Card: EmulatedCard>(
    card: sending Card, options: VpcdLinkOptions, stop: VpcdStopSignal = VpcdStopSignal()
) async throws -> sending (end: VpcdSessionEnd, card: Card) {
    let box = SessionCard(card)
    let result = await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<VpcdSessionEnd, any Error>, Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: Result { try runVpcdSession(card: box.card, options: options, stop: stop) })
            }
        }
    } onCancel: {
        stop.stop()
    }
    return (try result.get(), box.card)
}

/// Carries the card model to the session thread, which becomes its only user.
private final class SessionCard<Card: EmulatedCard>: @unchecked Sendable {
    let card: Card
    init(_ card: Card) { self.card = card }
}

import PCSC
import SmartCard
import Synchronization
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// A virtual card being served on its own thread by ``runVpcdSession(card:options:stop:)``.
public final class RunningVirtualCard: Sendable {
    /// Where the card connects.
    public let options: VpcdLinkOptions
    private let stopSignal = VpcdStopSignal()
    private let outcome = Mutex<(result: Result<VpcdSessionEnd, any Error>?, waiters: [CheckedContinuation<Result<VpcdSessionEnd, any Error>, Never>])>((nil, []))

    private init(options: VpcdLinkOptions) {
        self.options = options
    }

    /// Starts serving `card` with `options` on a new thread, which becomes the card's only user.
    public static func start<Card: EmulatedCard>(card: sending Card, options: VpcdLinkOptions) -> RunningVirtualCard {
        let running = RunningVirtualCard(options: options)
        running.run(card: card)
        return running
    }

    /// Pulls the card out of the field (the session ends as `.stopped`, unless it ended first).
    public func stop() {
        stopSignal.stop()
    }

    /// Waits for the session to end and returns how it ended (rethrows a link error).
    public func end() async throws -> VpcdSessionEnd {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<VpcdSessionEnd, any Error>, Never>) in
            let ready: Result<VpcdSessionEnd, any Error>? = outcome.withLock { state in
                if let result = state.result { return result }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return try result.get()
    }

    /// Whether the session has ended.
    public var hasEnded: Bool { outcome.withLock { $0.result != nil } }

    private func run<Card: EmulatedCard>(card: sending Card) {
        let box = UncheckedSendableCard(card)
        let signal = stopSignal
        let options = options
        Thread.detachNewThread { [self] in
            let result = Result { try runVpcdSession(card: box.card, options: options, stop: signal) }
            let waiters = outcome.withLock { state in
                state.result = result
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            waiters.forEach { $0.resume(returning: result) }
        }
    }
}

/// Carries a card model to the session thread, which becomes its only user.
private struct UncheckedSendableCard<Card: EmulatedCard>: @unchecked Sendable {
    let card: Card
    init(_ card: Card) { self.card = card }
}

import Foundation

extension TestReader {
    /// Puts `card` in this reader's field for the duration of `body`, served in-process.
    ///
    /// Waits (with `SCardGetStatusChange`, never a fixed sleep) until pcscd reports the card
    /// present, unless `waitUntilPresent` is false. Afterwards — also when `body` throws — the
    /// card is pulled out, its session thread is waited for, and the reader is waited on until
    /// pcscd reports it empty, so the next lease starts clean.
    @discardableResult
    public func withVirtualCard<Card: EmulatedCard, Result>(
        _ card: sending Card,
        fieldTime: Duration? = nil,
        tearAfterAPDUs: Int? = nil,
        waitUntilPresent: Bool = true,
        timeout: Duration = .seconds(10),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (RunningVirtualCard) async throws -> Result
    ) async throws -> Result {
        let client = PCSCClient()
        // A card left by the previous user may still be seen until pcscd's next poll.
        _ = try await client.waitForCard(in: name, present: false, timeout: timeout)
        let options = VpcdLinkOptions(port: port, fieldTime: fieldTime, tearAfterAPDUs: tearAfterAPDUs)
        let running = RunningVirtualCard.start(card: card, options: options)
        do {
            if waitUntilPresent {
                do {
                    _ = try await client.waitForCard(in: name, present: true, timeout: timeout)
                } catch let error as ReaderError where error.code == .timeout {
                    throw TestBedError(.cardNotSeen, "pcscd did not report the virtual card in \(name) within \(timeout)")
                }
            }
            let result = try await body(running)
            try await finish(running, client: client, timeout: timeout)
            return result
        } catch {
            try? await finish(running, client: client, timeout: timeout)
            throw error
        }
    }

    private func finish(_ running: RunningVirtualCard, client: PCSCClient, timeout: Duration) async throws {
        running.stop()
        _ = try? await running.end()
        do {
            _ = try await client.waitForCard(in: name, present: false, timeout: timeout)
        } catch let error as ReaderError where error.code == .timeout {
            throw TestBedError(.cardNotSeen, "pcscd still reports a card in \(name) \(timeout) after it left")
        }
    }
}

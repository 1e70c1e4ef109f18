import Identifiers
import Synchronization

/// The batches of each device that are inside `AccountingEngine.ingest` right now.
///
/// Why: an uploader keeps batches in flight (docs/accounting.md, "Batches in flight"),
/// sending batch N+1 before N is answered so that N+1's checks overlap N's commit. The two
/// requests travel on separate connections, so N+1 can reach its decision, or its commit, before
/// N has stored anything; the database then shows a gap that N is about to fill. Rather than
/// refuse N+1 for that gap, the engine asks this registry: a batch that looks like a gap waits
/// here for every batch of its device that begins before it to finish, and is decided again.
/// If none is known (N may still be in its signature checks), it waits a short grace for one to
/// begin. A real gap is answered as before, a grace later.
///
/// Waiting cannot go round in a circle: a batch waits only for batches that begin at an earlier
/// sequence. Every wait is also bounded by a deadline, so a stuck request elsewhere costs a
/// waiting one time, not an answer.
final class InFlightBatches: Sendable {
    /// One batch's registration, returned by `begin` and handed back to `end`.
    struct Ticket: Sendable {
        let device: DeviceID
        let number: UInt64
    }

    private struct Device {
        /// The first sequence of each batch in flight, by ticket number.
        var firstSequences: [UInt64: UInt64] = [:]
        /// How many of the device's batches have ended (an entry per device is kept for it).
        var ended: UInt64 = 0
        /// Who waits for the next change, by waiter number.
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private struct State {
        var devices: [DeviceID: Device] = [:]
        var nextNumber: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Registers a batch of `device` that begins at `firstSequence`.
    func begin(_ device: DeviceID, firstSequence: UInt64) -> Ticket {
        let (ticket, waiters) = state.withLock { state in
            state.nextNumber += 1
            state.devices[device, default: Device()].firstSequences[state.nextNumber] = firstSequence
            return (Ticket(device: device, number: state.nextNumber), Self.takeWaiters(of: device, in: &state))
        }
        for waiter in waiters { waiter.resume() }
        return ticket
    }

    /// The batch of `ticket` has its answer.
    func end(_ ticket: Ticket) {
        let waiters = state.withLock { state in
            state.devices[ticket.device]?.firstSequences[ticket.number] = nil
            state.devices[ticket.device]?.ended += 1
            return Self.takeWaiters(of: ticket.device, in: &state)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// A batch of `device` began its commit, so the head it will leave is the guess now: wakes
    /// the batches waiting for their turn (`waitForTurn`). A commit that fails drops the guess
    /// without a call; its batch's `end` wakes them.
    func guessChanged(of device: DeviceID) {
        let waiters = state.withLock { Self.takeWaiters(of: device, in: &$0) }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until `ready()` holds or no batch of `device` that begins before `sequence` is in
    /// flight, checked again each time a batch of the device begins, ends or changes the guess
    /// (`guessChanged`), for at most `deadline`: whether `ready()` holds then.
    ///
    /// A batch that arrives while the two before it are still being checked calls it so as to
    /// be decided from the head the batch just before it will leave, once that one commits,
    /// rather than look like a gap and wait for both to be answered.
    func waitForTurn(of device: DeviceID, beginningAt sequence: UInt64, deadline: Duration, ready: @escaping @Sendable () -> Bool) async -> Bool {
        _ = await wait(for: device, until: ContinuousClock.now.advanced(by: deadline)) { device in
            ready() || !(device?.firstSequences.values.contains { $0 < sequence } ?? false)
        }
        return ready()
    }

    /// How many waiters wait for a change to `device`'s batches (tests use it to know a batch
    /// is waiting).
    func waiterCount(of device: DeviceID) -> Int {
        state.withLock { $0.devices[device]?.waiters.count ?? 0 }
    }

    /// A mark to take before reading the device's head: `waitForEarlierBatches` looks again
    /// at once if a batch of the device ended after it (it may have moved the head read).
    func mark(of device: DeviceID) -> UInt64 {
        state.withLock { $0.devices[device]?.ended ?? 0 }
    }

    /// Waits until no batch of `device` that begins before `sequence` is in flight; when there is
    /// none at first, waits until `graceEnds` for one to begin (and then for it to finish).
    ///
    /// True when the caller should look at the database again: a batch of the device ended
    /// after `mark` was taken (before the head was read), or it waited for one that began before
    /// `sequence`. False when none came, or `deadline` passed first.
    func waitForEarlierBatches(
        of device: DeviceID, beginningBefore sequence: UInt64, since mark: UInt64, graceEnds: ContinuousClock.Instant,
        deadline: Duration
    ) async -> Bool {
        if self.mark(of: device) != mark { return true }
        let giveUp = ContinuousClock.now.advanced(by: deadline)
        let earlierInFlight: @Sendable (Device?) -> Bool = { device in
            device?.firstSequences.values.contains { $0 < sequence } ?? false
        }
        guard await wait(for: device, until: min(graceEnds, giveUp), earlierInFlight) else { return false }
        return await wait(for: device, until: giveUp) { !earlierInFlight($0) }
    }

    /// Waits until `condition` holds of `device`'s batches, or `deadline` passes; whether it holds.
    private func wait(
        for device: DeviceID, until deadline: ContinuousClock.Instant, _ condition: @escaping @Sendable (Device?) -> Bool
    ) async -> Bool {
        while true {
            if state.withLock({ condition($0.devices[device]) }) { return true }
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            await nextChange(of: device, timeout: left, unless: condition)
        }
    }

    /// Returns when a batch of `device` begins or ends, or after `timeout`; at once if
    /// `condition` holds already when the waiter would be registered (checked under the same
    /// lock, so a change between the caller's check and the registration is not missed).
    private func nextChange(of device: DeviceID, timeout: Duration, unless condition: @Sendable (Device?) -> Bool) async {
        await TimedWait.suspend(timeout: timeout) { continuation in
            state.withLock { state in
                guard !condition(state.devices[device]) else { return nil }
                state.nextNumber += 1
                state.devices[device, default: Device()].waiters[state.nextNumber] = continuation
                return state.nextNumber
            }
        } remove: { number in
            self.state.withLock { $0.devices[device]?.waiters.removeValue(forKey: number) }
        }
    }

    private static func takeWaiters(of device: DeviceID, in state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard let waiters = state.devices[device]?.waiters, !waiters.isEmpty else { return [] }
        state.devices[device]?.waiters = [:]
        return Array(waiters.values)
    }
}

import PCSC

struct EventTimeout: Error, CustomStringConvertible {
    let description: String
}

/// Records a monitor's events so a test can wait for the next one it cares about, with a
/// timeout rather than a sleep.
actor EventLog {
    private var events: [ReaderEvent] = []
    private var cursor = 0
    private var waiter: (id: Int, predicate: @Sendable (ReaderEvent) -> Bool, continuation: CheckedContinuation<ReaderEvent?, Never>)?
    private var nextID = 0

    /// Starts recording `monitor`'s events; cancel the returned task to stop.
    static func recording(_ monitor: ReaderMonitor) -> (EventLog, Task<Void, Never>) {
        let log = EventLog()
        let task = Task {
            for await event in monitor { await log.append(event) }
        }
        return (log, task)
    }

    func append(_ event: ReaderEvent) {
        events.append(event)
        if let waiter, waiter.predicate(event) {
            cursor = events.count
            self.waiter = nil
            waiter.continuation.resume(returning: event)
        }
    }

    /// Everything seen so far.
    var all: [ReaderEvent] { events }

    /// The first event after the last one returned that satisfies `predicate`, waiting up to
    /// `timeout` for it.
    @discardableResult
    func next(_ what: String, timeout: Duration = .seconds(10), where predicate: @escaping @Sendable (ReaderEvent) -> Bool) async throws -> ReaderEvent {
        if let index = events[cursor...].firstIndex(where: predicate) {
            cursor = index + 1
            return events[index]
        }
        precondition(waiter == nil, "one wait at a time")
        let id = nextID
        nextID += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        defer { timer.cancel() }
        let event = await withCheckedContinuation { waiter = (id, predicate, $0) }
        guard let event else {
            throw EventTimeout(description: "no \(what) within \(timeout); events seen: \(events)")
        }
        return event
    }

    /// Waits for every event in `wanted`, in whatever order they come (pcscd lists readers in
    /// its own order, which differs between machines); each must come after the last one returned.
    func nextAll(_ what: String, _ wanted: [ReaderEvent], timeout: Duration = .seconds(10)) async throws {
        var remaining = wanted
        while !remaining.isEmpty {
            let pending = remaining
            let event = try await next("\(what) (still missing \(pending))", timeout: timeout) { pending.contains($0) }
            remaining.removeAll { $0 == event }
        }
    }

    private func expire(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume(returning: nil)
    }
}

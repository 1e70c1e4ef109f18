import Identifiers
import LedgerCore
import Synchronization

/// The commits under way, by the head each will leave, so that the commit of a device's next
/// batch can wait for the one before it between writing its entries and moving the head.
///
/// Why: with two batches of a device in flight, batch N+1 is decided from the head batch N's
/// commit will leave, and reaches its own commit while N's is still writing. On PostgreSQL,
/// N+1's entries are written first (beside N's commit, on another connection and core) and
/// its compare-and-set comes last; run too early, before N has moved the head, it would find
/// the old head and throw away the entries it wrote. So it waits here for N's commit to end,
/// stored or not, and the compare-and-set then decides.
///
/// The wait is bounded: a commit waiting here holds a database connection, and the commit it
/// waits for may itself be waiting for a free one. After `AccountingEngine.predecessorWait`
/// the compare-and-set runs anyway (it then fails, the connection is freed, and the batch is
/// decided again).
final class CommitsUnderWay: Sendable {
    private struct Key: Hashable {
        let device: DeviceID
        let sequence: UInt64
    }

    private struct Commits {
        /// Commits leaving this head (a batch offered twice at once can have two).
        var count = 0
        /// Who waits for them to end, by number.
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private struct State {
        var commits: [Key: Commits] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// A commit that will leave `head` begins.
    func begin(leaving head: ChainHead) {
        state.withLock { $0.commits[Self.key(head), default: Commits()].count += 1 }
    }

    /// That commit ended, stored or not.
    func end(leaving head: ChainHead) {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            let key = Self.key(head)
            guard var commits = state.commits[key] else { return [] }
            commits.count -= 1
            guard commits.count == 0 else {
                state.commits[key] = commits
                return []
            }
            state.commits[key] = nil
            return Array(commits.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when no commit leaving `head` is under way, or after `limit`.
    func waitForCommits(leaving head: ChainHead, atMost limit: Duration) async {
        let key = Self.key(head)
        await TimedWait.suspend(timeout: limit) { continuation in
            state.withLock { state in
                guard state.commits[key] != nil else { return nil }
                state.nextWaiter += 1
                state.commits[key]?.waiters[state.nextWaiter] = continuation
                return state.nextWaiter
            }
        } remove: { number in
            self.state.withLock { $0.commits[key]?.waiters.removeValue(forKey: number) }
        }
    }

    private static func key(_ head: ChainHead) -> Key { Key(device: head.deviceID, sequence: head.sequence) }
}

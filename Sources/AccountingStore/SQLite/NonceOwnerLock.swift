#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The claim of one process on an SQLite store's device requests: an advisory lock (`flock`) on
/// a file beside the database, taken by the first nonce the process admits and held until the
/// store closes (or the process ends, which the kernel releases it for).
///
/// Why: the SQLite store keeps its replay window in memory (`NonceWindow`), so a second process
/// serving device requests from the same file would keep a window of its own, and a request
/// captured from one could be replayed at the other. With the claim, that second process's
/// device requests fail with a clear error instead. Other processes on the file (the command
/// line, `hromada-reconcile`) admit no nonces and never take it.
final class NonceOwnerLock: Sendable {
    /// The lock file: the database's path with `-service.lock` after it.
    let path: String
    /// The open lock file while this process holds the claim.
    private let descriptor = Mutex<Int32?>(nil)

    init(databasePath: String) {
        path = databasePath + "-service.lock"
    }

    deinit { release() }

    /// Takes the claim, or returns at once if this store holds it already; throws
    /// `StorageError(.misconfigured)` when another process (or another store in this one) holds it.
    func claim() throws {
        try descriptor.withLock { held in
            guard held == nil else { return }
            let file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard file >= 0 else {
                throw StorageError(.unavailable, "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            guard flock(file, LOCK_EX | LOCK_NB) == 0 else {
                let reason = errno
                close(file)
                if reason == EWOULDBLOCK {
                    throw StorageError(
                        .misconfigured,
                        "another process serves device requests from this SQLite file (\(path) is locked): run one service process a file")
                }
                throw StorageError(.unavailable, "cannot lock \(path): \(String(cString: strerror(reason)))")
            }
            held = file
        }
    }

    /// Lets the claim go. Idempotent.
    func release() {
        descriptor.withLock { held in
            if let file = held { close(file) }
            held = nil
        }
    }
}

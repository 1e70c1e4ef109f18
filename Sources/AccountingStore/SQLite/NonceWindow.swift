import Entitlements
import Identifiers

/// The replay window of signed requests as the SQLite store holds it: every nonce admitted
/// inside the window, in memory, and those not yet written to `request_nonces`.
///
/// Why in memory: a device request's nonce is admitted before its body is decoded, and on the
/// one connection that writes the file it would wait behind the commit under way (the device's
/// batch before), so the body could only be decoded once that commit ended. Admitted here, it
/// takes a lock held for a dictionary lookup, and the nonce is written by the store's next write
/// transaction (`SQLiteStorage.admitNonce` says why that is as durable as it needs to be).
///
/// One process serves device requests from an SQLite store (`NonceOwnerLock`); it loads the
/// table's nonces once it has claimed the store, so the window survives a restart. Pure: no I/O,
/// no clock.
struct NonceWindow: Sendable {
    /// A nonce as a device used it.
    struct Key: Hashable, Sendable {
        var device: DeviceID
        var nonce: String
    }

    /// An admitted nonce and the timestamp of the request that carried it.
    struct Admitted: Hashable, Sendable {
        var key: Key
        var signedAt: UnixTime
    }

    /// What the next write transaction writes: the nonces admitted since the last one, and the
    /// oldest timestamp still inside the window (older rows are deleted).
    struct Unwritten: Sendable {
        var nonces: [Admitted]
        var cutoff: UnixTime?
    }

    /// Every nonce inside the window (and some just past it, until the next prune), by key.
    private var seen: [Key: UnixTime] = [:]
    /// Admitted and not yet written, oldest first.
    private var unwritten: [Admitted] = []
    /// The latest `forgettingBefore` an admission passed.
    private var cutoff: UnixTime?
    /// The cutoff at the last prune of `seen`.
    private var prunedAt: UnixTime?
    /// How far the cutoff moves between two prunes: a prune walks every nonce held, so it is not
    /// made for every request. A nonce past the window is never taken for a replay meanwhile
    /// (`admit` looks at its timestamp); it only takes memory a little longer.
    static let pruneInterval: Int64 = 5

    /// Whether the window has been filled from the table; `SQLiteStorage.admitNonce` admits
    /// nothing before it is (a nonce used before the restart would pass).
    private(set) var isLoaded = false

    /// How many nonces are held (inside the window or waiting for the next prune).
    var count: Int { seen.count }

    /// Whether nonces wait for the next write transaction.
    var hasUnwritten: Bool { !unwritten.isEmpty }

    /// Takes in the nonces the table holds (read once the store is claimed).
    mutating func load(_ stored: [Admitted]) {
        for nonce in stored where (seen[nonce.key].map { $0 < nonce.signedAt } ?? true) {
            seen[nonce.key] = nonce.signedAt
        }
        isLoaded = true
    }

    /// Records the first use of `nonce` by `device` in a request signed at `signedAt`: false when
    /// the device used it before inside the window (`cutoff` is the oldest timestamp the caller
    /// still accepts; a nonce seen only in a request older than that is forgotten).
    mutating func admit(_ nonce: String, of device: DeviceID, signedAt: UnixTime, forgettingBefore cutoff: UnixTime) -> Bool {
        if self.cutoff.map({ $0 < cutoff }) ?? true { self.cutoff = cutoff }
        if prunedAt.map({ cutoff.rawValue - $0.rawValue >= Self.pruneInterval }) ?? true { prune(before: cutoff) }
        let key = Key(device: device, nonce: nonce)
        if let earlier = seen[key], earlier >= cutoff { return false }
        seen[key] = signedAt
        unwritten.append(Admitted(key: key, signedAt: signedAt))
        return true
    }

    /// The nonces to write and the cutoff to delete before; they count as written from now on.
    mutating func takeUnwritten() -> Unwritten {
        defer { unwritten = [] }
        return Unwritten(nonces: unwritten, cutoff: cutoff)
    }

    /// Gives back nonces a write transaction failed to write, for the next one.
    mutating func putBack(_ failed: Unwritten) {
        unwritten = failed.nonces + unwritten
    }

    /// Forgets the nonces of requests signed before `cutoff`.
    private mutating func prune(before cutoff: UnixTime) {
        prunedAt = cutoff
        seen = seen.filter { $0.value >= cutoff }
        unwritten.removeAll { $0.signedAt < cutoff }
    }
}

import Entitlements

/// Limits password guessing: after `perUserLimit` failed logins for one name within `window`,
/// that name is refused until the window has passed; and at most `overallLimit` failures are
/// accepted per window for all names together (someone trying many names).
///
/// Kept in memory: a restart forgets it, which costs an attacker a restart of the desk's
/// server, something they cannot do from the network. bcrypt's cost bounds the rate further.
actor LoginThrottle {
    let perUserLimit: Int
    let overallLimit: Int
    let window: Int64
    private var failures: [String: [Int64]] = [:]
    private var allFailures: [Int64] = []

    init(perUserLimit: Int = 5, overallLimit: Int = 50, windowSeconds: Int64 = 15 * 60) {
        self.perUserLimit = perUserLimit
        self.overallLimit = overallLimit
        self.window = windowSeconds
    }

    /// Whether a login attempt for `username` may be checked now.
    func mayAttempt(_ username: String, now: UnixTime) -> Bool {
        prune(now)
        return (failures[username]?.count ?? 0) < perUserLimit && allFailures.count < overallLimit
    }

    /// Records a failed attempt.
    func failed(_ username: String, now: UnixTime) {
        failures[username, default: []].append(now.rawValue)
        allFailures.append(now.rawValue)
    }

    /// Forgets the failures of a name that logged in.
    func succeeded(_ username: String) { failures[username] = nil }

    private func prune(_ now: UnixTime) {
        let oldest = now.rawValue - window
        allFailures.removeAll { $0 <= oldest }
        for (name, times) in failures {
            let kept = times.filter { $0 > oldest }
            failures[name] = kept.isEmpty ? nil : kept
        }
    }
}

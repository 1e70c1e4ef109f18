/// Exponential backoff with jitter: how long to wait before the next attempt after `failures` failures.
///
/// Why jitter: after an outage every validator of a town retries at once; spreading each wait
/// over the upper half of its window keeps them from arriving in waves, while the lower bound
/// keeps a single validator from hammering the service.
public struct Backoff: Hashable, Sendable {
    /// The wait after the first failure.
    public var initial: Duration
    /// The longest wait.
    public var maximum: Duration
    /// The factor from one wait to the next.
    public var multiplier: Double

    /// Creates a policy (defaults: 0.5 s, doubling, at most 5 minutes).
    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(300), multiplier: Double = 2) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.multiplier = max(1, multiplier)
    }

    /// The upper bound of the window after `failures` consecutive failures (≥ 1).
    public func window(afterFailures failures: Int) -> Duration {
        let exponent = Double(max(0, failures - 1))
        let initialSeconds = Self.seconds(initial)
        let maximumSeconds = Self.seconds(maximum)
        let seconds = min(maximumSeconds, initialSeconds * pow(multiplier, min(exponent, 64)))
        return .nanoseconds(Int64(seconds * 1e9))
    }

    /// A wait in the upper half of the window, drawn from `random` (a uniform 64-bit value).
    public func delay(afterFailures failures: Int, random: UInt64) -> Duration {
        let window = Self.seconds(self.window(afterFailures: failures))
        let fraction = Double(random >> 11) / Double(1 << 53)
        return .nanoseconds(Int64((window / 2 + fraction * window / 2) * 1e9))
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    var remaining = Int(exponent)
    while remaining > 0 {
        result *= base
        remaining -= 1
        if result > 1e12 { break }
    }
    return result
}

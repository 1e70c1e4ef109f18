import Foundation

/// Wall-clock samples of one benchmarked operation, and their summary.
struct Samples {
    let name: String
    private(set) var nanoseconds: [Double] = []

    init(name: String) { self.name = name }

    /// Samples taken elsewhere (e.g. two operations timed in turn).
    init(name: String, nanoseconds: [Double]) {
        self.name = name
        self.nanoseconds = nanoseconds
    }

    /// Times `body` once per iteration (after `warmup` untimed runs) and records each duration.
    static func measure(
        _ name: String, iterations: Int, warmup: Int = 50, _ body: () throws -> Void
    ) rethrows -> Samples {
        var samples = Samples(name: name)
        for _ in 0..<warmup { try body() }
        let clock = ContinuousClock()
        samples.nanoseconds.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = clock.now
            try body()
            samples.nanoseconds.append(Double((clock.now - start).nanoseconds))
        }
        return samples
    }

    /// The async flavour of `measure`.
    static func measure(
        _ name: String, iterations: Int, warmup: Int = 50, _ body: () async throws -> Void
    ) async rethrows -> Samples {
        var samples = Samples(name: name)
        for _ in 0..<warmup { try await body() }
        let clock = ContinuousClock()
        samples.nanoseconds.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = clock.now
            try await body()
            samples.nanoseconds.append(Double((clock.now - start).nanoseconds))
        }
        return samples
    }

    /// The value below which `fraction` of the samples fall (nearest rank).
    func percentile(_ fraction: Double) -> Double {
        guard !nanoseconds.isEmpty else { return .nan }
        let sorted = nanoseconds.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[max(0, min(sorted.count - 1, rank))]
    }

    var median: Double { percentile(0.5) }
    var p99: Double { percentile(0.99) }
    /// Operations per second at the median duration.
    var perSecond: Double { 1e9 / median }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Formats nanoseconds for people: 850 ns, 12.3 µs, 4.56 ms.
func humanTime(_ nanoseconds: Double) -> String {
    switch nanoseconds {
    case ..<1_000: return "\(format(nanoseconds, 0)) ns"
    case ..<1_000_000: return "\(format(nanoseconds / 1_000, 1)) µs"
    default: return "\(format(nanoseconds / 1_000_000, 2)) ms"
    }
}

func format(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if decimals == 0 { return String(Int(rounded)) }
    let text = String(rounded)
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let fraction = parts.count > 1 ? String(parts[1]) : ""
    return parts[0] + "." + fraction.padding(toLength: decimals, withPad: "0", startingAt: 0)
}

/// Prints one line of a benchmark report.
func report(_ samples: Samples, extra: String = "") {
    let columns = [
        samples.name.padding(toLength: 56, withPad: " ", startingAt: 0),
        "median " + humanTime(samples.median),
        "p99 " + humanTime(samples.p99),
        "\(format(samples.perSecond, 0))/s",
    ]
    print(columns.joined(separator: "  ") + (extra.isEmpty ? "" : "  " + extra))
}

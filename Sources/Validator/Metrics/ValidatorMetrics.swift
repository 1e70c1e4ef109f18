import Synchronization

/// The validator's counters, in Prometheus text format for `/metrics`.
///
/// `hromada_validator_taps_total`, `…_accepts_total`, `…_declines_total{reason=…}`,
/// `…_uncertain_total`, `…_tap_latency_seconds` (histogram, from the moment pcscd reported the
/// card to the decision), `…_tap_apdus` (histogram), `…_ledger_backlog_entries` (entries not
/// yet covered by an accounting receipt), `…_ledger_in_service` (1 or 0),
/// `…_pending_transactions` (card transactions awaiting the card's next tap).
public final class ValidatorMetrics: Sendable {
    /// Upper bounds of the latency histogram's buckets, in seconds.
    public static let latencyBuckets: [Double] = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5]
    /// Upper bounds of the APDU-count histogram's buckets.
    public static let apduBuckets: [Double] = [4, 6, 8, 10, 12, 14, 16, 20, 30]

    struct Histogram {
        var bounds: [Double]
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
        init(_ bounds: [Double]) {
            self.bounds = bounds
            self.counts = Array(repeating: 0, count: bounds.count)
        }
        mutating func observe(_ value: Double) {
            for index in bounds.indices where value <= bounds[index] { counts[index] += 1 }
            sum += value
            count += 1
        }
    }

    struct State {
        var taps: UInt64 = 0
        var accepts: UInt64 = 0
        var repeats: UInt64 = 0
        var uncertain: UInt64 = 0
        var declines: [String: UInt64] = [:]
        var latency = Histogram(ValidatorMetrics.latencyBuckets)
        var apdus = Histogram(ValidatorMetrics.apduBuckets)
        var backlog: UInt64 = 0
        var inService = true
        var pending: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Empty counters.
    public init() {}

    /// Counts one tap.
    public func record(_ result: TapResult, latencySeconds: Double?) {
        state.withLock { state in
            state.taps += 1
            switch result.verdict {
            case .accepted:
                state.accepts += 1
                state.apdus.observe(Double(result.apduCount))
            case .repeated: state.repeats += 1
            case .uncertain: state.uncertain += 1
            case .declined: state.declines[result.reason, default: 0] += 1
            }
            if let latencySeconds { state.latency.observe(latencySeconds) }
        }
    }

    /// Sets the ledger gauges.
    public func setLedger(backlog: UInt64, inService: Bool, pending: Int) {
        state.withLock { state in
            state.backlog = backlog
            state.inService = inService
            state.pending = UInt64(pending)
        }
    }

    /// Taps counted so far.
    public var taps: UInt64 { state.withLock { $0.taps } }

    /// The Prometheus text exposition (format 0.0.4).
    public func prometheusText() -> String {
        let snapshot = state.withLock { $0 }
        var lines: [String] = []
        func counter(_ name: String, _ help: String, _ value: UInt64) {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) counter", "\(name) \(value)"]
        }
        func gauge(_ name: String, _ help: String, _ value: UInt64) {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) gauge", "\(name) \(value)"]
        }
        func histogram(_ name: String, _ help: String, _ histogram: Histogram) {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) histogram"]
            for (bound, count) in zip(histogram.bounds, histogram.counts) {
                lines.append("\(name)_bucket{le=\"\(label(bound))\"} \(count)")
            }
            lines.append("\(name)_bucket{le=\"+Inf\"} \(histogram.count)")
            lines.append("\(name)_sum \(histogram.sum)")
            lines.append("\(name)_count \(histogram.count)")
        }
        counter("hromada_validator_taps_total", "Cards tapped.", snapshot.taps)
        counter("hromada_validator_accepts_total", "Rides accepted and written to the card.", snapshot.accepts)
        counter("hromada_validator_repeats_total", "Repeated taps within the anti-passback window (nothing charged).", snapshot.repeats)
        counter("hromada_validator_uncertain_total", "Taps whose commit answer was lost (resolved at the card's next tap).", snapshot.uncertain)
        lines += ["# HELP hromada_validator_declines_total Taps declined, by reason.", "# TYPE hromada_validator_declines_total counter"]
        for (reason, count) in snapshot.declines.sorted(by: { $0.key < $1.key }) {
            lines.append("hromada_validator_declines_total{reason=\"\(reason)\"} \(count)")
        }
        histogram("hromada_validator_tap_latency_seconds", "From pcscd reporting the card to the decision.", snapshot.latency)
        histogram("hromada_validator_tap_apdus", "APDUs per accepted ride.", snapshot.apdus)
        gauge("hromada_validator_ledger_backlog_entries", "Ledger entries not yet covered by an accounting receipt.", snapshot.backlog)
        gauge("hromada_validator_ledger_in_service", "1 when the ledger can record (cards may be charged).", snapshot.inService ? 1 : 0)
        gauge("hromada_validator_pending_transactions", "Card transactions awaiting the card's next tap.", snapshot.pending)
        return lines.joined(separator: "\n") + "\n"
    }

    private func label(_ bound: Double) -> String {
        bound == bound.rounded() ? String(Int(bound)) : String(bound)
    }
}

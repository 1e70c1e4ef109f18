import Metrics
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory
import Synchronization

/// The validator's metrics, kept through swift-metrics in a Prometheus registry of its own.
///
/// `hromada_validator_taps_total`, `…_accepts_total`, `…_repeats_total`, `…_uncertain_total`,
/// `…_declines_total{reason=…}`, `…_tap_latency_seconds` (histogram, from the moment pcscd
/// reported the card to the decision), `…_tap_apdus` (histogram, accepted rides),
/// `…_ledger_backlog_entries` (entries not yet covered by an accounting receipt),
/// `…_ledger_in_service` (1 or 0), `…_pending_transactions` (card transactions awaiting the
/// card's next tap).
///
/// Each instance has its own registry (one per daemon; several daemons in one test process do
/// not count into each other). `MetricsServer` serves the registry as `/metrics`.
public final class ValidatorMetrics: Sendable {
    /// Upper bounds of the latency histogram's buckets.
    public static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(200),
        .milliseconds(300), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
    ]
    /// Upper bounds of the APDU-count histogram's buckets.
    public static let apduBuckets: [Double] = [4, 6, 8, 10, 12, 14, 16, 20, 30]

    /// The metric names, as docs/validator.md lists them.
    enum Name {
        static let taps = "hromada_validator_taps_total"
        static let accepts = "hromada_validator_accepts_total"
        static let repeats = "hromada_validator_repeats_total"
        static let uncertain = "hromada_validator_uncertain_total"
        static let declines = "hromada_validator_declines_total"
        static let latency = "hromada_validator_tap_latency_seconds"
        static let apdus = "hromada_validator_tap_apdus"
        static let backlog = "hromada_validator_ledger_backlog_entries"
        static let inService = "hromada_validator_ledger_in_service"
        static let pending = "hromada_validator_pending_transactions"
    }

    /// The registry the metrics are kept in, for `MetricsServer` (and the process-wide
    /// `MetricsSystem`, if the executable bootstraps it with the same registry).
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let taps: Counter
    private let accepts: Counter
    private let repeats: Counter
    private let uncertain: Counter
    private let latency: Timer
    private let apdus: Recorder
    private let backlog: Gauge
    private let inService: Gauge
    private let pending: Gauge
    /// One counter per decline reason, made at the first decline for that reason.
    private let declines = Mutex<[String: Counter]>([:])

    /// Metrics at zero (the ledger counted as in service) in `registry`, by default a new one.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [Name.latency: Self.latencyBuckets]
        factory.valueHistogramBuckets = [Name.apdus: Self.apduBuckets]
        self.factory = factory
        taps = Counter(label: Name.taps, factory: factory)
        accepts = Counter(label: Name.accepts, factory: factory)
        repeats = Counter(label: Name.repeats, factory: factory)
        uncertain = Counter(label: Name.uncertain, factory: factory)
        latency = Timer(label: Name.latency, factory: factory)
        apdus = Recorder(label: Name.apdus, factory: factory)
        backlog = Gauge(label: Name.backlog, factory: factory)
        inService = Gauge(label: Name.inService, factory: factory)
        pending = Gauge(label: Name.pending, factory: factory)
        inService.record(1)
    }

    /// Counts one tap.
    public func record(_ result: TapResult, latency duration: Duration?) {
        taps.increment()
        switch result.verdict {
        case .accepted:
            accepts.increment()
            apdus.record(result.apduCount)
        case .repeated: repeats.increment()
        case .uncertain: uncertain.increment()
        case .declined: declineCounter(result.reason).increment()
        }
        if let duration { latency.record(duration: duration) }
    }

    /// Sets the ledger gauges.
    public func setLedger(backlog: UInt64, inService: Bool, pending: Int) {
        self.backlog.record(Double(backlog))
        self.inService.record(inService ? 1 : 0)
        self.pending.record(pending)
    }

    /// The Prometheus text exposition of the registry (format 0.0.4).
    public func prometheusText() -> String {
        registry.emitToString()
    }

    private func declineCounter(_ reason: String) -> Counter {
        declines.withLock { counters in
            if let counter = counters[reason] { return counter }
            let counter = Counter(label: Name.declines, dimensions: [("reason", reason)], factory: factory)
            counters[reason] = counter
            return counter
        }
    }
}

import Metrics
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// The service's metrics, kept through swift-metrics in a Prometheus registry of its own, for
/// `GET /metrics`.
///
/// `hromada_batches_total{outcome}`, `hromada_entries_ingested_total`, `hromada_entries_held`,
/// `hromada_tamper_alarms_total`, `hromada_device_auth_refused_total{code}`,
/// `hromada_operator_auth_refused_total{status}`, `hromada_http_requests_total{status}`
/// (docs/accounting.md). Each engine has its own registry, so several services in one process
/// (the tests) do not count into each other; the executable also bootstraps the process-wide
/// `MetricsSystem` with this registry.
public actor ServiceMetrics {
    /// The counter of entries this instance stored; adding to it also advances the held count.
    public static let entriesIngested = "hromada_entries_ingested_total"
    /// The gauge of entries held in the database, all devices.
    public static let entriesHeld = "hromada_entries_held"
    /// How long a database count of the held entries is trusted, before the next scrape counts again.
    ///
    /// Between counts the gauge moves with this instance's own ingests, so one instance is exact
    /// without a `count(*)` per scrape; other instances writing to the same database show up at
    /// the next count.
    public static let heldCountLifetime: Duration = .seconds(60)

    private struct Key: Hashable {
        let name: String
        let label: String?
        let value: String?
    }

    /// The registry the metrics are kept in.
    public nonisolated let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private var counters: [Key: Counter] = [:]
    private var gauges: [String: Gauge] = [:]
    private var held: (count: Int, countedAt: ContinuousClock.Instant)?

    /// Metrics in `registry`, by default a new one.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Adds one to a counter.
    public func increment(_ name: String, label: (String, String)? = nil) { add(name, 1, label: label) }

    /// Adds `amount` (a whole number) to a counter.
    public func add(_ name: String, _ amount: Double, label: (String, String)? = nil) {
        let key = Key(name: name, label: label?.0, value: label?.1)
        let counter = counters[key] ?? Counter(label: name, dimensions: label.map { [$0] } ?? [], factory: factory)
        counters[key] = counter
        counter.increment(by: Int64(amount))
        if name == Self.entriesIngested, let known = held {
            held = (known.count + Int(amount), known.countedAt)
            set(Self.entriesHeld, Double(held?.count ?? 0))
        }
    }

    /// Sets a gauge.
    public func set(_ name: String, _ value: Double) {
        let gauge = gauges[name] ?? Gauge(label: name, factory: factory)
        gauges[name] = gauge
        gauge.record(value)
    }

    /// The Prometheus text exposition (format 0.0.4), after bringing `hromada_entries_held` up
    /// to date: `count` reads the database only when the last count is older than
    /// `heldCountLifetime` (a failed count keeps the last value).
    public func render(countingHeldEntries count: @Sendable () async throws -> Int) async -> String {
        let now = ContinuousClock.now
        if held.map({ $0.countedAt.duration(to: now) >= Self.heldCountLifetime }) ?? true, let counted = try? await count() {
            held = (counted, now)
            set(Self.entriesHeld, Double(counted))
        }
        return registry.emitToString()
    }
}

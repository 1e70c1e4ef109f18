/// Counters for /metrics, rendered in the Prometheus text format (version 0.0.4).
///
/// A handful of counters does not justify a metrics backend; the names follow Prometheus
/// conventions (`_total` for counters) so a scraper needs no configuration.
public actor ServiceMetrics {
    private struct Key: Hashable, Comparable {
        let name: String
        let labels: String
        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.name, lhs.labels) < (rhs.name, rhs.labels) }
    }

    private var counters: [Key: Double] = [:]
    private var gauges: [Key: Double] = [:]
    private static let help: [String: String] = [
        "hromada_batches_total": "Uploaded batches by outcome.",
        "hromada_entries_ingested_total": "Ledger entries stored.",
        "hromada_tamper_alarms_total": "Batches that contradicted held entries.",
        "hromada_device_auth_refused_total": "Device requests refused, by code.",
        "hromada_operator_auth_refused_total": "Operator requests refused, by status.",
        "hromada_http_requests_total": "HTTP requests by status class.",
        "hromada_entries_held": "Ledger entries held (all devices).",
    ]

    /// Creates empty counters.
    public init() {}

    /// Adds one to a counter.
    public func increment(_ name: String, label: (String, String)? = nil) { add(name, 1, label: label) }

    /// Adds `amount` to a counter.
    public func add(_ name: String, _ amount: Double, label: (String, String)? = nil) {
        counters[Key(name: name, labels: Self.labels(label)), default: 0] += amount
    }

    /// Sets a gauge.
    public func set(_ name: String, _ value: Double) { gauges[Key(name: name, labels: "")] = value }

    /// The value of a counter (for tests).
    public func value(_ name: String, label: (String, String)? = nil) -> Double {
        counters[Key(name: name, labels: Self.labels(label))] ?? 0
    }

    /// The Prometheus text exposition.
    public func render() -> String {
        var out = ""
        var described: Set<String> = []
        func emit(_ values: [Key: Double], type: String) {
            for key in values.keys.sorted() {
                if described.insert(key.name).inserted {
                    out += "# HELP \(key.name) \(Self.help[key.name] ?? key.name)\n# TYPE \(key.name) \(type)\n"
                }
                let number = values[key] ?? 0
                let text = number == number.rounded() ? String(Int64(number)) : String(number)
                out += "\(key.name)\(key.labels) \(text)\n"
            }
        }
        emit(counters, type: "counter")
        emit(gauges, type: "gauge")
        return out
    }

    private static func labels(_ label: (String, String)?) -> String {
        guard let label else { return "" }
        let value = label.1.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
        return "{\(label.0)=\"\(value)\"}"
    }
}

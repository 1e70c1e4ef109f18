import AccountingCore
import AccountingStore
import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import Logging
import PostgresNIO
import SQLiteSupport

/// Pages of entries read by keyset with the cursor near the start and near the end of a large
/// table (SQLite and PostgreSQL), beside the query the service used before schema 5 (an OR of
/// two ranges, which the engines answer by scanning up to the cursor); and a whole period read
/// through `entryPages(in:)`, with its peak memory.
enum PagesBenchmark {
    /// Devices of the fleet; each holds `entries / devices` entries spread over one month.
    static let monthStart: Int64 = 1_793_491_200  // 2026-11-01 00:00 Kyiv (UTC+2), in UTC
    static let monthSeconds: Int64 = 30 * 86_400
    static let cards: UInt64 = 50_000

    static func run(entries: Int, devices: Int, limit: Int, directory: String, postgresURL: String?) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let perDevice = max(1, entries / devices)
        let total = perDevice * devices
        print("pages: \(total) entries of \(devices) devices over 30 days, \(cards) cards; pages of \(limit); median of 50 reads a cursor")
        let scratch = "\(directory)/hromada-bench-pages-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        print("sqlite: file in \(directory) (\(AccountingBenchmark.fileSystemNote(directory)))")

        var targets: [(name: String, location: StorageLocation, raw: RawReader)] = [
            ("sqlite", .sqlite(path: "\(scratch)/pages.sqlite"), .sqlite("\(scratch)/pages.sqlite"))
        ]
        if let postgresURL, case .postgres(let host, let port, let user, let password, _) = StorageLocation(postgresURL) {
            let server = PostgresServer(host: host, port: port, user: user, password: password)
            let location = try await server.createDatabase("bench_pages_\(Int.random(in: 0..<1_000_000))", logger: logger)
            guard case .postgres(_, _, _, _, let database) = location else { return }
            targets.append(
                ("postgres", location, .postgres(.init(host: host, port: port, username: user, password: password, database: database, tls: .disable))))
        } else {
            print("pages: PostgreSQL skipped (no HROMADA_POSTGRES_URL / cluster)")
        }

        for target in targets {
            try await target.location.withStorage(logger: logger) { storage in
                let clock = ContinuousClock()
                let started = clock.now
                try await fill(storage, devices: devices, perDevice: perDevice)
                let seconds = AccountingBenchmark.seconds(clock.now - started)
                print("\(target.name): filled \(total) entries by commits of 1000 in \(format(seconds, 1)) s (\(format(Double(total) / seconds, 0)) entries/s, store only, no HTTP)")
                try await target.raw.prepare(logger: logger)
                try await measure(target.name, storage, raw: target.raw, devices: devices, perDevice: perDevice, limit: limit, logger: logger)
            }
        }
    }

    /// Device `index`'s entry `position` (0-based): times spread over the month, cards and
    /// routes spread over the fleet.
    static func record(device index: Int, position: Int, perDevice: Int) -> LedgerRecord {
        let time = monthStart + Int64(position) * monthSeconds / Int64(perDevice) + Int64(index)
        var mix = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(position) &* 0xBF58_476D_1CE4_E5B9
        mix ^= mix >> 31
        let card = CardSerial(0x00DD_0000_0000_0000 | (mix % cards))
        return .benefitUse(
            at: UnixTime(time), card: card, layout: 1, entitlement: 3, category: CategoryCode(UInt16(1 + mix % 6)), fareKopecks: 0,
            fullFareKopecks: 1500, route: RouteNumber(UInt16(1 + index % 20)), vehicle: VehicleID(UInt32(100 + index)))
    }

    static func fill(_ storage: any AccountingStorage, devices: Int, perDevice: Int) async throws {
        let deviceKey = try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 9, count: 32))
        let serviceKey = try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 4, count: 32))
        for index in 0..<devices {
            let device = DeviceID(UInt32(1000 + index))
            var head = ChainHead.genesis(for: device)
            var position = 0
            while position < perDevice {
                let start = head
                var batch: [LedgerEntry] = []
                batch.reserveCapacity(1000)
                while batch.count < 1000, position < perDevice {
                    let entry = try head.seal(record(device: index, position: position, perDevice: perDevice))
                    batch.append(entry)
                    head = ChainHead(after: entry)
                    position += 1
                }
                let commit = IngestCommit(
                    expectedHead: start, entries: batch, checkpoint: try Checkpoint(signing: head, with: deviceKey),
                    receipt: try Receipt(signing: head, with: serviceKey), receivedAt: UnixTime(monthStart + monthSeconds))
                guard try await storage.commit(commit) == .committed else { throw BenchmarkFailure("a fill commit found its head moved") }
            }
        }
    }

    /// Median milliseconds of `reads` calls of `body`.
    static func median(_ reads: Int = 50, _ body: () async throws -> Int) async throws -> (ms: Double, rows: Int) {
        let clock = ContinuousClock()
        var times: [Double] = []
        var rows = 0
        for _ in 0..<reads {
            let start = clock.now
            rows = try await body()
            times.append(Double((clock.now - start).nanoseconds) / 1e6)
        }
        times.sort()
        return (times[times.count / 2], rows)
    }

    static func measure(
        _ name: String, _ storage: any AccountingStorage, raw: RawReader, devices: Int, perDevice: Int, limit: Int, logger: Logger
    ) async throws {
        func device(_ fraction: Double) -> (DeviceID, UInt64) {
            let position = Int(fraction * Double(devices * perDevice))
            return (DeviceID(UInt32(1000 + position / perDevice)), UInt64(position % perDevice + 1))
        }
        func time(_ fraction: Double) -> UnixTime { UnixTime(monthStart + Int64(fraction * Double(monthSeconds))) }
        func line(_ shape: String, _ start: (ms: Double, rows: Int), _ end: (ms: Double, rows: Int)) {
            print("\(name), \(shape): near the start \(format(start.ms, 2)) ms, near the end \(format(end.ms, 2)) ms (\(start.rows)/\(end.rows) rows)")
        }
        let near = [0.01, 0.99]

        // Every entry, (device, sequence) order: the keyset query, and the query before schema 5.
        var results: [(ms: Double, rows: Int)] = []
        for fraction in near {
            let (id, sequence) = device(fraction)
            results.append(try await median { try await storage.entries(matching: EntryFilter(), after: .position(device: id, sequence: sequence), limit: limit).entries.count })
        }
        line("every entry by keyset (device, sequence)", results[0], results[1])
        results = try await raw.withOldPages { page in
            var out: [(ms: Double, rows: Int)] = []
            for fraction in near {
                let (id, sequence) = device(fraction)
                out.append(try await median(10) { try await page((Int64(id.rawValue), Int64(sequence)), limit) })
            }
            return out
        }
        line("every entry, the query before schema 5 (OR of two ranges)", results[0], results[1])

        results = []
        for fraction in near {
            let (id, sequence) = device(fraction)
            results.append(try await median { try await storage.entries(matching: EntryFilter(device: id), after: .position(device: id, sequence: sequence), limit: limit).entries.count })
        }
        line("one device", results[0], results[1])

        let month = EntryFilter(deviceTimeFrom: UnixTime(monthStart), deviceTimeTo: UnixTime(monthStart + monthSeconds))
        results = []
        for fraction in near {
            results.append(try await median { try await storage.entries(matching: month, after: .timed(deviceTime: time(fraction), device: DeviceID(0), sequence: 0), limit: limit).entries.count })
        }
        line("the month by device time", results[0], results[1])

        results = []
        for fraction in near {
            results.append(try await median { try await storage.entries(matching: EntryFilter(kind: .benefitUse), after: .position(device: device(fraction).0, sequence: device(fraction).1), limit: limit).entries.count })
        }
        line("one kind", results[0], results[1])

        // A card's history (about entries / 50 000 taps): its first page, and after its first tap in the month.
        let card = CardSerial(0x00DD_0000_0000_0000 | 4242)
        let first = try await median { try await storage.entries(matching: EntryFilter(cardSerial: card), after: nil, limit: limit).entries.count }
        let late = try await median {
            try await storage.entries(matching: EntryFilter(cardSerial: card), after: .timed(deviceTime: time(0.99), device: DeviceID(0), sequence: 0), limit: limit).entries.count
        }
        line("one card's history (first page / after 99 % of the month)", first, late)

        // The whole month through entryPages(in:), pages of 1000: per page at the start and the end, in all, memory.
        let window = DeviceTimeWindow(from: UnixTime(monthStart), to: UnixTime(monthStart + monthSeconds), marginSeconds: 3600)
        let clock = ContinuousClock()
        PeakMemory.reset()
        let before = PeakMemory.residentKilobytes()
        let started = clock.now
        var pageTimes: [Double] = []
        var count = 0
        var last = clock.now
        for try await page in storage.entryPages(in: window, pageSize: 1000) {
            count += page.count
            let now = clock.now
            pageTimes.append(Double((now - last).nanoseconds) / 1e6)
            last = now
        }
        let seconds = AccountingBenchmark.seconds(clock.now - started)
        let head = Array(pageTimes.dropFirst().prefix(50)).sorted()
        let tail = Array(pageTimes.suffix(50)).sorted()
        print(
            "\(name), the month through entryPages (pages of 1000, decoded): \(count) entries in \(format(seconds, 2)) s (\(format(Double(count) / seconds, 0)) entries/s); "
                + "first call (ranges + page) \(format(pageTimes.first ?? 0, 1)) ms; a page near the start \(format(head[head.count / 2], 2)) ms, near the end \(format(tail[tail.count / 2], 2)) ms; "
                + "peak memory \(format(Double(PeakMemory.kilobytes() - before) / 1024, 1)) MiB above the \(format(Double(before) / 1024, 1)) MiB before")
    }

    /// The same database read without the storage: the query the service used before schema 5.
    enum RawReader {
        case sqlite(String)
        case postgres(PostgresClient.Configuration)

        func prepare(logger: Logger) async throws {
            // PostgreSQL's planner statistics after a bulk load (what autovacuum does soon after).
            guard case .postgres(let configuration) = self else { return }
            try await withClient(configuration) { try await $0.query("VACUUM ANALYZE entries", logger: logger) }
        }

        /// Runs `body` with a reader of pages by the query before schema 5, on one open connection.
        func withOldPages<T>(_ body: (_ page: (_ after: (device: Int64, sequence: Int64), _ limit: Int) async throws -> Int) async throws -> T) async throws -> T {
            let sql = "SELECT bytes, received_at FROM entries WHERE (device_id > $1) OR (device_id = $1 AND sequence > $2) ORDER BY device_id, sequence LIMIT $3"
            switch self {
            case .sqlite(let path):
                let database = try SQLiteConnection(path: path, flags: [.readOnly])
                defer { database.close() }
                let statement = try database.prepare(
                    sql.replacingOccurrences(of: "$1", with: "?1").replacingOccurrences(of: "$2", with: "?2").replacingOccurrences(of: "$3", with: "?3"),
                    persistent: true)
                return try await body { cursor, limit in
                    defer { statement.reset() }
                    try statement.bind([.integer(cursor.device), .integer(cursor.sequence), .integer(Int64(limit))])
                    var rows = 0
                    while try statement.step() {
                        _ = try LedgerEntry(canonicalBytes: statement.blob(0))
                        rows += 1
                    }
                    return rows
                }
            case .postgres(let configuration):
                return try await withClient(configuration) { client in
                    try await body { cursor, limit in
                        var binds = PostgresBindings()
                        binds.append(cursor.device)
                        binds.append(cursor.sequence)
                        binds.append(Int64(limit))
                        var rows = 0
                        for try await (bytes, _) in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds)).decode((ByteBuffer, Int64).self) {
                            _ = try LedgerEntry(canonicalBytes: Array(bytes.readableBytesView))
                            rows += 1
                        }
                        return rows
                    }
                }
            }
        }

        private func withClient<T>(_ configuration: PostgresClient.Configuration, _ body: (PostgresClient) async throws -> T) async throws -> T {
            let client = PostgresClient(configuration: configuration)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                return try await body(client)
            }
        }
    }
}

@testable import AccountingStore
import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Logging
import SQLiteSupport
import StorageTesting
import Testing

import Foundation

/// Schema 5: the entry's fields in columns, equal to the canonical bytes, and what reads them.
@Suite("Entry columns: filled at ingest and by the backfill, checked against the bytes")
struct EntryColumnsTests {
    /// Raw SQL in the database at `location` (the storage's own file or database).
    static func execute(_ statements: [String], in location: StorageLocation) async throws {
        switch location {
        case .sqlite(let path):
            let database = try SQLiteConnection(path: path, flags: [.readWrite, .create])
            defer { database.close() }
            for statement in statements { try database.execute(statement) }
        default:
            try await PostgresCluster.shared.execute(statements, in: location)
        }
    }

    @Test(arguments: Engine.all)
    func columnsEqualTheBytesAfterIngest(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let chain = BulkIngestTests.chainOfEveryKind(count: 150)
            #expect(try await storage.commit(Fixture.commit(chain[...], after: .genesis(for: Fixture.device))) == .committed)
            let rows = try await storage.entryRows(after: nil, limit: 1000)
            #expect(rows.count == 150)
            // Each row's columns, read back as stored, are the decoded entry's fields.
            for (row, entry) in zip(rows, chain) {
                #expect(row.columns == EntryColumns(entry.record).values)
                #expect(row.bytes == entry.canonicalBytes)
            }
            // Every field present somewhere, and absent somewhere (NULL is stored, not 0).
            for index in EntryColumns.names.indices {
                #expect(rows.contains { $0.columns[index] != nil })
            }
            #expect(rows.contains { $0.columns[2] == nil })
            let check = try await storage.verifyEntryColumns(pageSize: 40)
            #expect(check == EntryColumnCheck(checkedEntries: 150, mismatches: [], truncated: false))
        }
    }

    @Test(arguments: Engine.all)
    func aColumnChangedByHandIsReported(engine: Engine) async throws {
        let location = try await engine.freshLocation()
        let chain = BulkIngestTests.chainOfEveryKind(count: 30)
        try await location.withStorage(logger: Logger(label: "test")) { storage async throws in
            #expect(try await storage.commit(Fixture.commit(chain[...], after: .genesis(for: Fixture.device))) == .committed)
        }
        try await Self.execute(
            [
                "UPDATE entries SET full_fare = 1 WHERE device_id = 17 AND sequence = 3",
                "UPDATE entries SET card_serial = NULL WHERE device_id = 17 AND sequence = 20",
                "UPDATE entries SET route = 99 WHERE device_id = 17 AND sequence = 1",
            ], in: location)
        try await location.withStorage(logger: Logger(label: "test")) { storage async throws in
            let check = try await storage.verifyEntryColumns(pageSize: 7)
            #expect(check.checkedEntries == 30)
            #expect(
                check.mismatches == [
                    EntryColumnMismatch(device: 17, sequence: 1, column: "route", stored: "99", expected: "null"),
                    EntryColumnMismatch(device: 17, sequence: 3, column: "full_fare", stored: "1", expected: "1500"),
                    EntryColumnMismatch(
                        device: 17, sequence: 20, column: "card_serial", stored: "null",
                        expected: String(Int64(bitPattern: chain[19].record.cardSerial!.rawValue))),
                ])
            #expect(!check.truncated)
            let first = try await storage.verifyEntryColumns(maximumMismatches: 1)
            #expect(first.mismatches.count == 1 && first.truncated)
        }
    }

    /// A schema-4 database with entries of two devices (more than one backfill page) and a
    /// row whose bytes are not an entry: migrating fills every column from the bytes.
    @Test(arguments: Engine.all)
    func theMigrationFillsTheColumnsOfRowsStoredBefore(engine: Engine) async throws {
        let location = try await engine.freshLocation()
        let first = BulkIngestTests.chainOfEveryKind(count: 1500, formatOneOnly: true)
        let second = Fixture.chain(count: 700, device: DeviceID(23))
        let older = Migrations.all.filter { $0.version <= 4 }
        func values(_ entry: LedgerEntry, blob: (([UInt8]) -> String)) -> String {
            "(\(entry.deviceID.rawValue), \(entry.sequence), \(entry.record.kind.rawValue), \(entry.record.deviceTime.rawValue), \(blob(entry.canonicalBytes)), \(blob(entry.hash.bytes)), 5)"
        }
        var statements: [String] = []
        let blob: ([UInt8]) -> String
        switch location {
        case .sqlite:
            blob = { "x'\(Hex.encode($0))'" }
            for migration in older {
                statements += migration.statements.map { Migrations.render($0, blob: "BLOB", bigint: "INTEGER", serial: "INTEGER PRIMARY KEY AUTOINCREMENT") }
            }
            statements.append("PRAGMA user_version = 4")
        default:
            blob = { "'\\x\(Hex.encode($0))'" }
            statements.append(Migrations.render(Migrations.versionTable, blob: "BYTEA", bigint: "BIGINT", serial: ""))
            for migration in older {
                statements += migration.statements.map { Migrations.render($0, blob: "BYTEA", bigint: "BIGINT", serial: "BIGSERIAL PRIMARY KEY") }
                statements.append("INSERT INTO schema_migrations VALUES (\(migration.version), 0)")
            }
        }
        let rows = (first + second).map { values($0, blob: blob) }
        for start in stride(from: 0, to: rows.count, by: 500) {
            statements.append("INSERT INTO entries (device_id, sequence, kind, device_time, bytes, hash, received_at) VALUES " + rows[start..<min(start + 500, rows.count)].joined(separator: ", "))
        }
        statements.append("INSERT INTO entries (device_id, sequence, kind, device_time, bytes, hash, received_at) VALUES (30, 1, 4, 0, \(blob([1, 2, 3])), \(blob([9])), 5)")
        try await Self.execute(statements, in: location)

        try await location.withStorage(logger: Logger(label: "test")) { storage async throws in
            #expect(try await storage.migrate() == Migrations.latest)
            let stored = try await storage.entryRows(after: nil, limit: 5000)
            #expect(stored.count == 2201)
            for (row, entry) in zip(stored, first + second) {
                #expect(row.columns == EntryColumns(entry.record).values)
            }
            let check = try await storage.verifyEntryColumns()
            #expect(check.checkedEntries == 2201)
            // Only the row that is no entry disagrees, reported as such.
            #expect(check.mismatches.map(\.column) == ["bytes"])
            #expect(check.mismatches.first.map { "\($0.device):\($0.sequence)" } == "30:1")
            // And the columns answer queries: the card of entry 700 of device 23 (which device 17
            // served too: the two fixtures number their cards alike).
            let card = second[699].record.cardSerial!
            let page = try await storage.entries(matching: EntryFilter(cardSerial: card), after: nil, limit: 10)
            #expect(page.entries.map(\.entry) == [first[699], second[699]])
        }
    }
}

/// A fleet of entries for the query tests: three devices, cards repeating across them, kinds
/// mixed, device times out of order (clocks stepped back), all committed.
enum QueryFixture {
    static let devices = [DeviceID(5), DeviceID(17), DeviceID(40)]
    static let cards = (0..<4).map { CardSerial(0xFFBB_0000_0000_0000 | UInt64($0)) }

    static func chain(device: DeviceID, count: Int) -> [LedgerEntry] {
        var head = ChainHead.genesis(for: device)
        return (0..<count).map { index in
            let card = cards[(index + Int(device.rawValue)) % cards.count]
            // Times wander: mostly forward, every seventh entry an hour back.
            let time = UnixTime(1_800_000_000 + Int64(index) * 60 - (index % 7 == 6 ? 3600 : 0) + Int64(device.rawValue))
            let record: LedgerRecord
            switch index % 3 {
            case 0:
                record = .benefitUse(at: time, card: card, layout: 1, entitlement: 5, category: 3, fareKopecks: 0, fullFareKopecks: 1500, route: 7, vehicle: 11)
            case 1:
                record = .purseDebit(at: time, card: card, layout: 2, amountKopecks: 800, balanceAfterKopecks: 1200, route: 7, vehicle: 11)
            default:
                record = .tapDeclined(at: time, card: nil, layout: nil, reasonCode: "ride-limit-reached", route: 7, vehicle: 11)
            }
            let entry = try! head.seal(record)
            head = ChainHead(after: entry)
            return entry
        }
    }

    /// Commits `chain` in batches of `size`.
    static func commit(_ chain: [LedgerEntry], to storage: any AccountingStorage, batch size: Int = 50) async throws {
        guard let device = chain.first?.deviceID else { return }
        var head = try await storage.head(of: device)
        for start in stride(from: Int(head.sequence), to: chain.count, by: size) {
            let batch = chain[start..<min(start + size, chain.count)]
            #expect(try await storage.commit(Fixture.commit(batch, after: head)) == .committed)
            head = ChainHead(after: batch.last!)
        }
    }

    static func key(_ entry: LedgerEntry) -> String { "\(entry.deviceID.rawValue):\(entry.sequence)" }

    /// Every page of `filter` read with `limit`, checking each page's cursor.
    static func readAll(_ storage: any AccountingStorage, _ filter: EntryFilter, limit: Int) async throws -> [LedgerEntry] {
        var out: [LedgerEntry] = []
        var cursor: EntryCursor?
        repeat {
            let page = try await storage.entries(matching: filter, after: cursor, limit: limit)
            #expect(page.entries.count <= limit)
            out += page.entries.map(\.entry)
            cursor = page.next
            if let cursor { #expect(filter.accepts(cursor)) }
        } while cursor != nil
        return out
    }
}

@Suite("Entries read by keyset: filters, orders, windows")
struct EntryQueryTests {
    @Test(arguments: Engine.all)
    func everyFilterPagesExactlyItsEntriesInOrder(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            var all: [LedgerEntry] = []
            for device in QueryFixture.devices {
                let chain = QueryFixture.chain(device: device, count: 120)
                try await QueryFixture.commit(chain, to: storage)
                all += chain
            }
            let byPosition = all.sorted { ($0.deviceID, $0.sequence) < ($1.deviceID, $1.sequence) }
            let byTime = all.sorted { ($0.record.deviceTime, $0.deviceID, $0.sequence) < ($1.record.deviceTime, $1.deviceID, $1.sequence) }
            let from = UnixTime(1_800_000_000 + 30 * 60)
            let to = UnixTime(1_800_000_000 + 90 * 60)
            let filters: [EntryFilter] = [
                EntryFilter(),
                EntryFilter(device: DeviceID(17)),
                EntryFilter(device: DeviceID(18)),
                EntryFilter(kind: .purseDebit),
                EntryFilter(device: DeviceID(40), kind: .tapDeclined),
                EntryFilter(cardSerial: QueryFixture.cards[1]),
                EntryFilter(deviceTimeFrom: from),
                EntryFilter(deviceTimeTo: to),
                EntryFilter(deviceTimeFrom: from, deviceTimeTo: to),
                EntryFilter(device: DeviceID(5), deviceTimeFrom: from, deviceTimeTo: to),
                EntryFilter(cardSerial: QueryFixture.cards[2], deviceTimeFrom: from, deviceTimeTo: to, kind: .benefitUse),
            ]
            for filter in filters {
                let expected = (filter.ordersByDeviceTime ? byTime : byPosition).filter { entry in
                    (filter.device.map { entry.deviceID == $0 } ?? true)
                        && (filter.cardSerial.map { entry.record.cardSerial == $0 } ?? true)
                        && (filter.deviceTimeFrom.map { entry.record.deviceTime >= $0 } ?? true)
                        && (filter.deviceTimeTo.map { entry.record.deviceTime < $0 } ?? true)
                        && (filter.kind.map { entry.record.kind == $0 } ?? true)
                }
                for limit in [1, 7, 1000] {
                    let read = try await QueryFixture.readAll(storage, filter, limit: limit)
                    #expect(read.map(QueryFixture.key) == expected.map(QueryFixture.key), "\(filter), limit \(limit)")
                }
            }
            // A timed cursor before the lower bound: the bound holds (the page starts there).
            let bounded = EntryFilter(deviceTimeFrom: from, deviceTimeTo: to)
            #expect(
                try await storage.entries(matching: bounded, after: .timed(deviceTime: UnixTime(0), device: DeviceID(99), sequence: 5), limit: 4).entries
                    == storage.entries(matching: bounded, after: nil, limit: 4).entries)
            // A cursor on a device before, at and after a one-device filter's device.
            let one = EntryFilter(device: DeviceID(17))
            #expect(try await storage.entries(matching: one, after: .position(device: DeviceID(5), sequence: 99), limit: 3).entries.map(\.entry.sequence) == [1, 2, 3])
            #expect(try await storage.entries(matching: one, after: .position(device: DeviceID(17), sequence: 118), limit: 3).entries.map(\.entry.sequence) == [119, 120])
            #expect(try await storage.entries(matching: one, after: .position(device: DeviceID(18), sequence: 0), limit: 3).entries.isEmpty)
        }
    }

    @Test(arguments: Engine.all)
    func aCursorOfTheOtherOrderIsRefused(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            await #expect(throws: StorageError(.invalidQuery, "")) {
                _ = try await storage.entries(matching: EntryFilter(deviceTimeFrom: UnixTime(0)), after: .position(device: DeviceID(1), sequence: 1), limit: 5)
            }
            await #expect(throws: StorageError(.invalidQuery, "")) {
                _ = try await storage.entries(matching: EntryFilter(), after: .timed(deviceTime: UnixTime(0), device: DeviceID(1), sequence: 1), limit: 5)
            }
        }
    }

    /// Readers page through while devices upload: every entry held when the reading began is
    /// seen exactly once, pages stay in strict (device, sequence) order, and whatever else is
    /// seen was really committed.
    @Test(arguments: Engine.all)
    func keysetPagesCoverEveryEntryOnceUnderConcurrentIngest(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            let chains = QueryFixture.devices.map { QueryFixture.chain(device: $0, count: 600) }
            for chain in chains { try await QueryFixture.commit(Array(chain[0..<200]), to: storage) }
            let before = Set(chains.flatMap { $0[0..<200] }.map(QueryFixture.key))
            let everything = Set(chains.flatMap { $0 }.map(QueryFixture.key))
            let (read, _) = try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    for chain in chains { try await QueryFixture.commit(chain, to: storage, batch: 40) }
                    return []
                }
                group.addTask {
                    try await QueryFixture.readAll(storage, EntryFilter(), limit: 13).map(QueryFixture.key)
                }
                var read: [String] = []
                for try await keys in group where !keys.isEmpty { read = keys }
                return (read, ())
            }
            let positions = read.map { key -> (UInt32, UInt64) in
                let parts = key.split(separator: ":")
                return (UInt32(parts[0])!, UInt64(parts[1])!)
            }
            #expect(zip(positions, positions.dropFirst()).allSatisfy { $0 < $1 })
            #expect(before.isSubset(of: Set(read)))
            #expect(Set(read).isSubset(of: everything))
            // Read again once the uploads are done: everything, once.
            let again = try await QueryFixture.readAll(storage, EntryFilter(), limit: 13).map(QueryFixture.key)
            #expect(again.count == everything.count && Set(again) == everything)
        }
    }

    @Test(arguments: Engine.all)
    func windowPagesReadThePeriodByDeviceAndSequence(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            var all: [LedgerEntry] = []
            for device in QueryFixture.devices {
                let chain = QueryFixture.chain(device: device, count: 150)
                try await QueryFixture.commit(chain, to: storage)
                all += chain
            }
            let window = DeviceTimeWindow(from: UnixTime(1_800_000_000 + 40 * 60), to: UnixTime(1_800_000_000 + 100 * 60), marginSeconds: 600)
            let expected = all.filter { $0.record.deviceTime.rawValue >= window.lowerBound && $0.record.deviceTime.rawValue < window.upperBound }
                .sorted { ($0.deviceID, $0.sequence) < ($1.deviceID, $1.sequence) }
            for size in [1, 9, 1000] {
                var pages: [[StoredEntry]] = []
                for try await page in storage.entryPages(in: window, pageSize: size) { pages.append(page) }
                #expect(pages.allSatisfy { !$0.isEmpty && $0.count <= size })
                #expect(pages.flatMap { $0 }.map { QueryFixture.key($0.entry) } == expected.map(QueryFixture.key))
            }
            // The ranges the pages start from: each device's first and last sequence inside.
            let ranges = try await storage.deviceSequenceRanges(in: window)
            #expect(ranges.map(\.device) == QueryFixture.devices)
            for range in ranges {
                let inside = expected.filter { $0.deviceID == range.device }.map(\.sequence)
                #expect(range.first == inside.min() && range.last == inside.max())
            }
            // An empty window has no pages.
            var none = 0
            for try await _ in storage.entryPages(in: DeviceTimeWindow(from: UnixTime(0), to: UnixTime(10))) { none += 1 }
            #expect(none == 0)
        }
    }

    @Test(arguments: Engine.all)
    func ledgerStatesGiveEachDevicesHeadAndLatestReceipt(engine: Engine) async throws {
        try await engine.withFreshStorage { storage async throws in
            try await storage.register(DeviceRegistration(deviceID: Fixture.device, certificate: Fixture.certificate, label: "bus-017", registeredAt: Fixture.now))
            #expect(try await storage.deviceLedgerStates() == [DeviceLedgerState(device: Fixture.device, head: .genesis(for: Fixture.device), latestReceipt: nil)])
            let chain = QueryFixture.chain(device: DeviceID(40), count: 30)
            let first = Fixture.commit(chain[0..<10], after: .genesis(for: DeviceID(40)))
            let second = Fixture.commit(chain[10..<30], after: ChainHead(after: chain[9]))
            #expect(try await storage.commit(first) == .committed)
            #expect(try await storage.commit(second) == .committed)
            #expect(
                try await storage.deviceLedgerStates() == [
                    DeviceLedgerState(device: Fixture.device, head: .genesis(for: Fixture.device), latestReceipt: nil),
                    DeviceLedgerState(device: DeviceID(40), head: ChainHead(after: chain[29]), latestReceipt: second.receipt),
                ])
        }
    }

    /// The plans SQLite makes for each query shape: every one searches an index (no scan of the
    /// table, no sort of what it found), which is what makes a page cost the same wherever its
    /// cursor is. (The benchmark measures it; this pins the reason.)
    @Test func sqliteSeeksAnIndexForEveryPageShape() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-plan-\(UUID().uuidString).sqlite").path
        try await StorageLocation.sqlite(path: path).withStorage(logger: Logger(label: "test")) { _ in }
        let database = try SQLiteConnection(path: path, flags: [.readWrite])
        defer { database.close() }
        let card = EntryFilter(cardSerial: CardSerial(7))
        let shapes: [(EntrySQL.Query, String)] = [
            (EntrySQL.page(EntryFilter(), after: nil, limit: 10), "all"),
            (EntrySQL.page(EntryFilter(), after: .position(device: DeviceID(3), sequence: 9), limit: 10), "all after"),
            (EntrySQL.page(EntryFilter(device: DeviceID(3)), after: .position(device: DeviceID(3), sequence: 9), limit: 10), "device after"),
            (EntrySQL.page(EntryFilter(kind: .benefitUse), after: .position(device: DeviceID(3), sequence: 9), limit: 10), "kind after"),
            (EntrySQL.page(EntryFilter(deviceTimeFrom: UnixTime(5)), after: .timed(deviceTime: UnixTime(6), device: DeviceID(3), sequence: 9), limit: 10), "time after"),
            (EntrySQL.page(card, after: .timed(deviceTime: UnixTime(6), device: DeviceID(3), sequence: 9), limit: 10), "card after"),
            (EntrySQL.windowPage(device: DeviceID(3), sequences: 5...900, window: DeviceTimeWindow(from: UnixTime(0), to: UnixTime(9)), limit: 10), "window page"),
            (EntrySQL.windowKeys(DeviceTimeWindow(from: UnixTime(0), to: UnixTime(9))), "window keys"),
            (EntrySQL.page(EntryFilter(deviceTimeFrom: UnixTime(5), deviceTimeTo: UnixTime(99)), after: .timed(deviceTime: UnixTime(6), device: DeviceID(3), sequence: 9), limit: 10), "window after"),
        ]
        for (query, name) in shapes {
            let plan = try database.prepare("EXPLAIN QUERY PLAN " + query.sql)
            try plan.bind(query.values.map(SQLiteValue.integer))
            var steps: [String] = []
            while try plan.step() { steps.append(plan.text(3)) }
            #expect(steps.contains { $0.hasPrefix("SEARCH entries USING") || $0.hasPrefix("SCAN entries USING COVERING INDEX") || $0.hasPrefix("SCAN entries USING INDEX") }, "\(name): \(steps)")
            #expect(!steps.contains { $0 == "SCAN entries" || $0.contains("TEMP B-TREE") }, "\(name): \(steps)")
            // A page after a cursor seeks to the cursor, not to the start of the range.
            if name.hasSuffix("after") { #expect(steps.contains { $0.contains(">(?,?") || $0.contains("sequence>?") }, "\(name): \(steps)") }
        }
    }
}

/// `hromada-accounting verify-columns`, run as the operator runs it; output compared word for word.
@Suite("hromada-accounting verify-columns")
struct VerifyColumnsCommandTests {
    /// The `hromada-accounting` built next to the test bundle.
    static var executable: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("hromada-accounting").path
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func itReportsAColumnChangedByHandAndFailsOnlyThen() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "swift build --product hromada-accounting")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-verify-\(UUID().uuidString).sqlite").path
        try await StorageLocation.sqlite(path: path).withStorage(logger: Logger(label: "test")) { storage async throws in
            let chain = Fixture.chain(count: 3)
            #expect(try await storage.commit(Fixture.commit(chain[...], after: .genesis(for: Fixture.device))) == .committed)
        }
        let clean = try Self.run(["verify-columns", "--db", "sqlite:\(path)"])
        #expect(clean.status == 0)
        #expect(clean.output == "3 entries: every column agrees with the canonical bytes\n")

        let database = try SQLiteConnection(path: path, flags: [.readWrite])
        try database.execute("UPDATE entries SET fare = 7 WHERE sequence = 2")
        database.close()
        let tampered = try Self.run(["verify-columns", "--db", "sqlite:\(path)"])
        #expect(tampered.status == 1)
        #expect(tampered.output == "17:2 fare: stored 7, bytes say 0\n3 entries: 1 columns disagree with the canonical bytes\n")
    }
}

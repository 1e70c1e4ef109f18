import DeskRegistry
import Entitlements
import Identifiers
import Testing

import Foundation

/// How long searches take with 100,000 holders: a measurement to read, never an assertion
/// (STYLE.md). Run with HROMADA_REGISTRY_BENCH=1 (and HROMADA_REGISTRY_BENCH_HOLDERS=N for
/// another size); it prints the numbers docs/desk-registry.md reports.
@Suite("Registry search with many holders (measurement)", .serialized, .enabled(if: ProcessInfo.processInfo.environment["HROMADA_REGISTRY_BENCH"] == "1"))
struct SearchMeasurement {
    static let surnames = [
        "Коваленко", "Бондаренко", "Шевченко", "Мельник", "Ткаченко", "Кравченко", "Олійник", "Шевчук", "Поліщук", "Бойко", "Ковальчук", "Савченко",
        "Руденко", "Марченко", "Лисенко", "Мороз", "Петренко", "Клименко", "Павленко", "Кузьменко", "Об'єдкін", "Мар'яненко", "Вовк", "Гнатюк",
        "Ільченко", "Їжакевич", "Євтушенко", "Карпенко", "Левченко", "Гончаренко", "Зінченко", "Романюк", "Федоренко", "Остапчук", "Дячук",
        "Харченко", "Тимошенко", "Яковенко", "Семенюк", "Юрченко",
    ]
    static let given = [
        "Марія", "Іван", "Олена", "Петро", "Мар'яна", "Андрій", "Наталія", "Юрій", "Оксана", "Василь", "Ганна", "Микола", "Ірина", "Олег", "Людмила",
        "Сергій", "Тетяна", "Віктор", "Галина", "Богдан", "Ольга", "Тарас", "Євгенія", "Ігор", "Світлана",
    ]
    static let patronymics = [
        "Іванович", "Петрівна", "Миколайович", "Василівна", "Андрійович", "Олегівна", "Юрійович", "Сергіївна", "Богданович", "Тарасівна", "Ігорович",
        "Вікторівна",
    ]

    static func median(_ seconds: [Double]) -> Double { seconds.sorted()[seconds.count / 2] }
    static func p99(_ seconds: [Double]) -> Double { seconds.sorted()[min(seconds.count - 1, seconds.count * 99 / 100)] }

    static func time(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test("100,000 holders: load, then search by name, birth date, document and card", arguments: RegistryEngineUnderTest.all)
    func measure(_ engine: RegistryEngineUnderTest) async throws {
        let count = Int(ProcessInfo.processInfo.environment["HROMADA_REGISTRY_BENCH_HOLDERS"] ?? "") ?? 100_000
        let location = try await engine.freshLocation()
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        let people: [HolderDetails] = (0..<count).map { index in
            let name = "\(Self.surnames[next() % Self.surnames.count]) \(Self.given[next() % Self.given.count]) \(Self.patronymics[next() % Self.patronymics.count])"
            let birth = CivilDate(daysSinceEpoch: Int32(-20_000 + next() % 25_000))
            return try! HolderDetails(
                fullName: name, dateOfBirth: birth, address: "Немішаєве, вул. Садова, \(index % 300)",
                document: try! IdentityDocument(type: .idCard, number: String(100_000_000 + index)), phone: nil, today: Fixture.today)
        }
        let report = try await location.withTestRegistry { registry in
            var lines: [String] = []
            let load = try await Self.time {
                for start in stride(from: 0, to: people.count, by: 5000) {
                    _ = try await registry.addHolders(Array(people[start..<min(start + 5000, people.count)]), consentFormReference: nil, clerk: "bench", at: Fixture.now)
                }
            }
            // What autovacuum (PostgreSQL) or an occasional ANALYZE (SQLite) does in service: the
            // planner's statistics, without which a fresh bulk load is planned blind.
            try await registry.executeForTesting("ANALYZE")
            lines.append("\(engine.rawValue): loaded \(count) holders in \(String(format: "%.1f", load)) s (\(Int(Double(count) / load))/s, sealed, indexed, journaled)")
            for serial in 1...1000 {
                _ = try await registry.recordIssued(Fixture.card(UInt64(serial), uid: UInt8(serial % 256), entitlements: []), holder: Int64(serial * 97), clerk: "bench", at: Fixture.now)
            }
            let queries: [(String, HolderQuery)] = [
                ("name, one word prefix (\"шевч\")", HolderQuery(name: "шевч")),
                ("name, surname + given (\"обʼєдкін марʼяна\")", HolderQuery(name: "обʼєдкін марʼяна")),
                ("name, three words", HolderQuery(name: "коваленко марія іванович")),
                ("date of birth", HolderQuery(dateOfBirth: people[500].dateOfBirth)),
                ("name + date of birth", HolderQuery(name: NameKey.tokens(people[777].fullName)[0], dateOfBirth: people[777].dateOfBirth)),
                ("document (HMAC index)", HolderQuery(document: people[4242].document)),
                ("card serial", HolderQuery(cardSerial: CardSerial(500))),
            ]
            for (label, query) in queries {
                var samples: [Double] = []
                var found = 0
                for _ in 0..<30 {
                    samples.append(try await Self.time { found = try await registry.search(query, limit: 20).holders.count })
                }
                lines.append(
                    "\(engine.rawValue): \(label): median \(String(format: "%.2f", Self.median(samples) * 1000)) ms, p99 \(String(format: "%.2f", Self.p99(samples) * 1000)) ms (first page: \(found))")
            }
            return lines
        }
        for line in report { print("registry-search:", line) }
    }
}

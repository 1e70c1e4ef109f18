import AccountingCore
import AccountingStore
import Entitlements
import Identifiers
import Logging
import Testing

import Foundation

/// `hromada-accounting credit import` and `entitlement import` as real processes on an SQLite file.
@Suite("hromada-accounting reference imports", .serialized)
struct ReferenceCommandTests {
    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeProcessTests.executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self), errors: String(decoding: errorData, as: UTF8.self))
    }

    /// A fresh directory with a database path and a way to write files into it.
    struct Workspace {
        let directory: String
        var database: String { "sqlite:\(directory)/accounting.sqlite" }

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-reference-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        func file(_ name: String, _ text: String) -> String {
            let path = "\(directory)/\(name)"
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
            return path
        }

        func storage<T>(_ body: (any AccountingStorage) async throws -> T) async throws -> T {
            try await StorageLocation(database)!.withStorage(logger: Logger(label: "test"), body)
        }
    }

    @Test func aDeviceIdIsReadOnlyInTheFormTheServicePrints() throws {
        try #require(FileManager.default.isExecutableFile(atPath: ServeProcessTests.executable), "swift build --product hromada-accounting")
        let workspace = try Workspace()
        defer { try? FileManager.default.removeItem(atPath: workspace.directory) }
        let missingKeys = "\(workspace.directory)/no-keys"
        func register(_ device: String) throws -> Run {
            try Self.run([
                "register-device", "--db", workspace.database, "--keys", missingKeys, "--device", device, "--key-id", "aaba0faa", "--label", "bus-1",
            ])
        }
        // `0101` was taken for device 101; the service refuses that spelling in its headers too.
        for spelling in ["0101", "+101", "1e2"] {
            let refused = try register(spelling)
            #expect(refused.status != 0)
            #expect(refused.errors.contains("'\(spelling)'") && refused.errors.contains("--device"), "\(refused.errors)")
        }
        // `101` gets past the argument and fails only on the missing key directory.
        let accepted = try register("101")
        #expect(accepted.status != 0)
        #expect(!accepted.errors.contains("--device"), "\(accepted.errors)")
        #expect(accepted.errors.contains("no-keys"), "\(accepted.errors)")
        let assign = try Self.run([
            "device", "assign", "--db", workspace.database, "--device", "0101", "--vehicle", "7", "--carrier", "1", "--from", "1700000000",
        ])
        #expect(assign.status != 0)
        #expect(assign.errors.contains("'0101'"), "\(assign.errors)")
    }

    @Test func aCreditFileWithABadLineStoresNothingAndNamesTheLine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: ServeProcessTests.executable), "swift build --product hromada-accounting")
        let workspace = try Workspace()
        defer { try? FileManager.default.removeItem(atPath: workspace.directory) }
        let bad = workspace.file(
            "bad.csv",
            "card;amount;credited_at;reference\n00BB-0000-0000-0001;150,50;2026-11-03T10:15:00+02:00;квитанція 1\n00BB-0000-0000-0002;сто;2026-11-03T10:20:00+02:00;квитанція 2\n")
        let refused = try Self.run(["credit", "import", "--db", workspace.database, bad])
        #expect(refused.status == 65)
        #expect(refused.errors.hasPrefix("помилка: рядок 3: amount"), "\(refused.errors)")
        #expect(refused.errors.contains("error: line 3: amount"), "\(refused.errors)")
        #expect(try await workspace.storage { try await $0.purseCredits(in: nil) }.isEmpty)

        let good = workspace.file(
            "good.csv",
            "card,amount,credited_at,reference\n00BB-0000-0000-0001,150.50,2026-11-03T10:15:00+02:00,квитанція 1\n00BB-0000-0000-0002,100,2026-11-03T10:20:00+02:00,квитанція 2\n")
        let stored = try Self.run(["credit", "import", "--db", workspace.database, good])
        #expect(stored.status == 0, "\(stored.errors)")
        #expect(stored.output == "імпортовано поповнень: 2\npurse credits imported: 2\n")
        #expect(try await workspace.storage { try await $0.purseCredits(in: nil) }.map(\.amountKopecks) == [15_050, 10_000])
        // The same file again: every credit is stored already, so nothing more is.
        let again = try Self.run(["credit", "import", "--db", workspace.database, good])
        #expect(again.status == 65)
        #expect(again.errors.contains("помилка: поповнення картки 00BB-0000-0000-0001"), "\(again.errors)")
        #expect(try await workspace.storage { try await $0.purseCredits(in: nil) }.count == 2)
    }

    @Test func anEntitlementFileWithABadLineStoresNothingAndNamesTheLine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: ServeProcessTests.executable), "swift build --product hromada-accounting")
        let workspace = try Workspace()
        defer { try? FileManager.default.removeItem(atPath: workspace.directory) }
        let header = "card,entitlement,category,product,ride_limit,ride_period,discount_percent,valid_from,valid_until\n"
        let bad = workspace.file(
            "bad.csv", header + "00BB-0000-0000-0001,5,3,rides,40,month,,2026-01-01,2026-12-31\n00BB-0000-0000-0002,1,1,free,,,,2026-13-01,2030-12-31\n")
        let refused = try Self.run(["entitlement", "import", "--db", workspace.database, bad])
        #expect(refused.status == 65)
        #expect(refused.errors.contains("помилка: рядок 3: valid_from"), "\(refused.errors)")
        #expect(refused.errors.contains("error: line 3: valid_from"), "\(refused.errors)")
        #expect(try await workspace.storage { try await $0.issuedEntitlements(of: nil) }.isEmpty)

        let good = workspace.file("good.csv", header + "00BB-0000-0000-0001,5,3,rides,40,month,,2026-01-01,2026-12-31\n")
        let stored = try Self.run(["entitlement", "import", "--db", workspace.database, good])
        #expect(stored.status == 0, "\(stored.errors)")
        let read = try await workspace.storage { try await $0.issuedEntitlements(of: nil) }
        #expect(read.map(\.rideLimit) == [40])
    }

    @Test func carriersRoutesAndDevicesFromTheCommandLine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: ServeProcessTests.executable), "swift build --product hromada-accounting")
        let workspace = try Workspace()
        defer { try? FileManager.default.removeItem(atPath: workspace.directory) }
        let db = workspace.database
        #expect(try Self.run(["carrier", "add", "--db", db, "--id", "1", "--name", "ТОВ «Авто»", "--edrpou", "14360570", "--contract", "12/2026"]).status == 0)
        let wrongCode = try Self.run(["carrier", "add", "--db", db, "--id", "2", "--name", "Інший", "--edrpou", "14360571", "--contract", "1"])
        #expect(wrongCode.status == 65)
        #expect(wrongCode.errors.hasPrefix("помилка: код ЄДРПОУ 14360571 неправильний"), "\(wrongCode.errors)")
        #expect(try Self.run(["carrier", "list", "--db", db]).output == "1\t14360570\t12/2026\tТОВ «Авто»\n")
        #expect(try Self.run(["route", "add", "--db", db, "--route", "7", "--name", "Центр — Вокзал", "--carrier", "1"]).status == 0)
        #expect(try Self.run(["route", "list", "--db", db]).output == "7\t1\tЦентр — Вокзал\n")
        #expect(try Self.run(["device", "assign", "--db", db, "--device", "17", "--vehicle", "5", "--carrier", "1", "--from", "2026-11-01T00:00:00+02:00"]).status == 0)
        let moved = try Self.run(["device", "assign", "--db", db, "--device", "17", "--vehicle", "6", "--carrier", "1", "--from", "2026-11-10T00:00:00+02:00"])
        #expect(moved.output.hasSuffix("2026-10-31T22:00:00Z\t2026-11-09T22:00:00Z\t5\t1\n2026-11-09T22:00:00Z\t…\t6\t1\n"), "\(moved.output)")
        #expect(try Self.run(["programme", "set", "--db", db, "--year", "2026", "--line", "1:1200000", "--line", "3:500000.00:45000"]).status == 0)
        #expect(try await workspace.storage { try await $0.programme(year: 2026) }?.lines.map(\.monthlyCapKopecks) == [nil, 4_500_000])
        #expect(try Self.run(["tariff-period", "set", "--db", db, "--version", "3", "--from", "2026-11-01T00:00:00+02:00"]).status == 0)
        #expect(try Self.run(["tariff-period", "list", "--db", db]).output == "3\t2026-10-31T22:00:00Z\n")
    }
}

import AccountingCore
import AccountingStore
import ArgumentParser
import Entitlements
import Identifiers
import Logging

import Foundation

/// The database option of the reference-data commands (docs/accounting.md, "Reference data"),
/// and how they report. The commands are thin: each parses its arguments, opens the database
/// and calls one `ReferenceDataStorage` method; the checks are the store's and the value
/// types'. A refusal is printed in Ukrainian, then English, on standard error, with exit
/// status 65 (66 for a file that cannot be read).
struct ReferenceDatabase: ParsableArguments {
    @OptionGroup var database: DatabaseOption

    /// Runs `body` with the database's storage; a refusal becomes its two-language message and exit status 65.
    func withStorage(_ body: (any AccountingStorage) async throws -> Void) async throws {
        do {
            try await database.location().withStorage(logger: Logger(label: "hromada.accounting")) { storage in try await body(storage) }
        } catch let refusal as ReferenceDataError {
            Self.printError("помилка: \(refusal.ukrainian)\nerror: \(refusal.english)")
            throw ExitCode(65)
        }
    }

    /// Writes `text` and a line break to standard error.
    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Says what was done: Ukrainian, then English.
    static func done(_ uk: String, _ en: String) {
        print("\(uk)\n\(en)")
    }

    /// The rows `parse` reads from the file at `path`; a file that cannot be read is exit status
    /// 66, one with bad lines 65, each line's refusal printed in both languages.
    static func rows<Row>(of path: String, _ parse: ([UInt8]) throws(ReferenceCSV.Refusal) -> [Row]) throws -> [Row] {
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("помилка: не вдається прочитати \(path)\nerror: cannot read \(path)")
            throw ExitCode(66)
        }
        do {
            return try parse(Array(data))
        } catch {
            printError(error.message)
            throw ExitCode(65)
        }
    }

    /// An instant given on the command line.
    static func time(_ text: String, option: String) throws -> UnixTime {
        guard let time = ReferenceTime.parse(text) else {
            throw ValidationError("\(option): 2026-11-03T10:15:00+02:00 or Unix seconds")
        }
        return time
    }
}

struct CarrierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carrier", abstract: "Carriers the community compensates.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a carrier.")
        @OptionGroup var database: ReferenceDatabase
        @Option(help: "Its number here.") var id: UInt32
        @Option(help: "Its registered name, as printed on the act of reconciliation.") var name: String
        @Option(help: "Its ЄДРПОУ code (8 digits).") var edrpou: String
        @Option(help: "The number of its contract with the community.") var contract: String

        func run() async throws {
            let carrier = Carrier(id: CarrierID(rawValue: id), name: name, edrpou: edrpou, contract: contract)
            try await database.withStorage { try await $0.addCarrier(carrier) }
            ReferenceDatabase.done("перевізника \(id) додано", "carrier \(id) added")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the carriers: id, ЄДРПОУ, contract, name (tab-separated).")
        @OptionGroup var database: ReferenceDatabase

        func run() async throws {
            try await database.withStorage { storage in
                for carrier in try await storage.carriers() {
                    print("\(carrier.id)\t\(carrier.edrpou)\t\(carrier.contract)\t\(carrier.name)")
                }
            }
        }
    }
}

struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Routes and the carriers that run them.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a route.")
        @OptionGroup var database: ReferenceDatabase
        @Option(help: "The route number validators report.") var route: UInt16
        @Option(help: "Its name, e.g. 'Центр — Вокзал'.") var name: String
        @Option(help: "The carrier that runs it.") var carrier: UInt32

        func run() async throws {
            let assignment = RouteAssignment(route: RouteNumber(rawValue: route), name: name, carrier: CarrierID(rawValue: carrier))
            try await database.withStorage { try await $0.addRoute(assignment) }
            ReferenceDatabase.done("маршрут \(route) додано", "route \(route) added")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the routes: number, carrier, name (tab-separated).")
        @OptionGroup var database: ReferenceDatabase

        func run() async throws {
            try await database.withStorage { storage in
                for route in try await storage.routes() { print("\(route.route)\t\(route.carrier)\t\(route.name)") }
            }
        }
    }
}

struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Which vehicle each validator is installed in, over time.", subcommands: [Assign.self])

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install a device in a vehicle from a moment on; the device's open span ends there.")
        @OptionGroup var database: ReferenceDatabase
        @Option(help: "The device id, in decimal as the service prints it (101, not 0101).") var device: DeviceID
        @Option(help: "The vehicle's fleet number.") var vehicle: UInt32
        @Option(help: "The carrier that owns the vehicle.") var carrier: UInt32
        @Option(help: "From when: 2026-11-03T10:15:00+02:00 or Unix seconds.") var from: String
        @Option(help: "Until when (exclusive), if the span is already over.") var until: String?

        func run() async throws {
            let assignment = DeviceAssignment(
                device: device, vehicle: VehicleID(rawValue: vehicle), carrier: CarrierID(rawValue: carrier),
                validFrom: try ReferenceDatabase.time(from, option: "--from"), validUntil: try until.map { try ReferenceDatabase.time($0, option: "--until") })
            var spans: [DeviceAssignment] = []
            try await database.withStorage { spans = try await $0.assignDevice(assignment, closingOpenSpan: true) }
            ReferenceDatabase.done("пристрій \(device) встановлено в транспорт \(vehicle)", "device \(device) assigned to vehicle \(vehicle)")
            for span in spans {
                print("\(span.validFrom)\t\(span.validUntil.map(\.description) ?? "…")\t\(span.vehicle)\t\(span.carrier)")
            }
        }
    }
}

struct ProgrammeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "programme", abstract: "The year's compensation programme.", subcommands: [Set.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a year's programme, replacing every line of that year.")
        @OptionGroup var database: ReferenceDatabase
        @Option(help: "The calendar year.") var year: Int
        @Option(
            name: .customLong("line"),
            help: "CATEGORY:BUDGET[:MONTHLY-CAP], amounts in hryvnias (e.g. 1:1200000 or 3:500000.00:45000); repeat per category.")
        var lines: [String]

        func run() async throws {
            let parsed = try lines.map { text -> CompensationProgramme.Line in
                let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard (2...3).contains(parts.count), let category = UInt16(parts[0]), let budget = ReferenceCSV.kopecks(hryvnias: parts[1]) else {
                    throw ValidationError("--line: CATEGORY:BUDGET[:MONTHLY-CAP], e.g. 1:1200000 or 3:500000.00:45000")
                }
                var cap: Int64?
                if parts.count == 3 {
                    guard let value = ReferenceCSV.kopecks(hryvnias: parts[2]) else { throw ValidationError("--line: the monthly cap is not an amount") }
                    cap = value
                }
                return .init(category: CategoryCode(rawValue: category), budgetKopecks: budget, monthlyCapKopecks: cap)
            }
            try await database.withStorage { try await $0.setProgramme(CompensationProgramme(year: year, lines: parsed)) }
            ReferenceDatabase.done("програму на \(year) рік записано (\(parsed.count) кат.)", "the \(year) programme is stored (\(parsed.count) categories)")
        }
    }
}

struct TariffPeriodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tariff-period", abstract: "Which tariff version held when.", subcommands: [List.self, Set.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tariff periods: version, effective from (tab-separated).")
        @OptionGroup var database: ReferenceDatabase

        func run() async throws {
            try await database.withStorage { storage in
                for period in try await storage.tariffPeriods() { print("\(period.version)\t\(period.effectiveFrom)") }
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set when a tariff version took effect (uploading its bundle records the upload time otherwise).")
        @OptionGroup var database: ReferenceDatabase
        @Option(help: "The tariff bundle's version.") var version: UInt32
        @Option(help: "From when: 2026-11-03T10:15:00+02:00 or Unix seconds.") var from: String

        func run() async throws {
            let period = TariffPeriod(version: version, effectiveFrom: try ReferenceDatabase.time(from, option: "--from"))
            try await database.withStorage { try await $0.setTariffPeriod(period) }
            ReferenceDatabase.done("тариф \(version) діє з \(period.effectiveFrom)", "tariff \(version) in effect from \(period.effectiveFrom)")
        }
    }
}

struct CreditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit", abstract: "Purse credits made at the desk.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import purse credits from CSV (card, amount, credited_at, reference); all lines or none.")
        @OptionGroup var database: ReferenceDatabase
        @Argument(help: "The CSV file (UTF-8, header row, ',' or ';' between fields).") var file: String

        func run() async throws {
            let credits = try ReferenceDatabase.rows(of: file, ReferenceCSV.purseCredits(from:))
            try await database.withStorage { try await $0.importPurseCredits(credits) }
            ReferenceDatabase.done("імпортовано поповнень: \(credits.count)", "purse credits imported: \(credits.count)")
        }
    }
}

struct EntitlementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entitlement", abstract: "Entitlements the desk issued.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import issued entitlements from CSV; all lines or none (a stored card and number is replaced).")
        @OptionGroup var database: ReferenceDatabase
        @Argument(help: "The CSV file (UTF-8, header row, ',' or ';' between fields).") var file: String

        func run() async throws {
            let entitlements = try ReferenceDatabase.rows(of: file, ReferenceCSV.issuedEntitlements(from:))
            try await database.withStorage { try await $0.importIssuedEntitlements(entitlements) }
            ReferenceDatabase.done("імпортовано пільг: \(entitlements.count)", "issued entitlements imported: \(entitlements.count)")
        }
    }
}

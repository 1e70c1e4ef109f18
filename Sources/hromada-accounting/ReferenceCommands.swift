import AccountingCore
import AccountingStore
import ArgumentParser
import Entitlements
import Identifiers
import Logging

import Foundation

/// The reference-data commands (docs/accounting.md, "Reference data"). Thin: each parses its
/// arguments, opens the database and calls one `ReferenceDataStorage` method; the checks are
/// the store's and the value types'. A refusal is printed in Ukrainian, then English, on
/// standard error, with exit status 65 (66 for a file that cannot be read).
enum ReferenceCommands {
    static let all: [any ParsableCommand.Type] = [CarrierCommand.self, RouteCommand.self, DeviceCommand.self, ProgrammeCommand.self, TariffPeriodCommand.self, CreditCommand.self, EntitlementCommand.self]

    /// Runs `body` with the database's storage; a refusal becomes its two-language message and exit status 65.
    static func withStorage(_ database: DatabaseOption, _ body: (any AccountingStorage) async throws -> Void) async throws {
        do {
            try await database.location().withStorage(logger: Logger(label: "hromada.accounting")) { storage in try await body(storage) }
        } catch let refusal as ReferenceDataError {
            ReferenceCommands.printError("помилка: \(refusal.ukrainian)\nerror: \(refusal.english)")
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

    /// The bytes of `path`; exit status 66 with a two-language message when it cannot be read.
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            ReferenceCommands.printError("помилка: не вдається прочитати \(path)\nerror: cannot read \(path)")
            throw ExitCode(66)
        }
        return Array(data)
    }

    /// An instant given on the command line.
    static func time(_ text: String, option: String) throws -> UnixTime {
        guard let time = ReferenceTime.parse(text) else {
            throw ValidationError("\(option): 2026-11-03T10:15:00+02:00 or Unix seconds")
        }
        return time
    }

    /// Hryvnias with kopecks, as `1234.50`.
    static func hryvnias(_ kopecks: Int64) -> String {
        let sign = kopecks < 0 ? "-" : ""
        let magnitude = kopecks.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

struct CarrierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carrier", abstract: "Carriers the community compensates.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a carrier.")
        @OptionGroup var database: DatabaseOption
        @Option(help: "Its number here.") var id: UInt32
        @Option(help: "Its registered name, as printed on the act of reconciliation.") var name: String
        @Option(help: "Its ЄДРПОУ code (8 digits).") var edrpou: String
        @Option(help: "The number of its contract with the community.") var contract: String

        func run() async throws {
            let carrier = Carrier(id: CarrierID(rawValue: id), name: name, edrpou: edrpou, contract: contract)
            try await ReferenceCommands.withStorage(database) { try await $0.addCarrier(carrier) }
            ReferenceCommands.done("перевізника \(id) додано", "carrier \(id) added")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the carriers: id, ЄДРПОУ, contract, name (tab-separated).")
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            try await ReferenceCommands.withStorage(database) { storage in
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
        @OptionGroup var database: DatabaseOption
        @Option(help: "The route number validators report.") var route: UInt16
        @Option(help: "Its name, e.g. 'Центр — Вокзал'.") var name: String
        @Option(help: "The carrier that runs it.") var carrier: UInt32

        func run() async throws {
            let assignment = RouteAssignment(route: RouteNumber(rawValue: route), name: name, carrier: CarrierID(rawValue: carrier))
            try await ReferenceCommands.withStorage(database) { try await $0.addRoute(assignment) }
            ReferenceCommands.done("маршрут \(route) додано", "route \(route) added")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the routes: number, carrier, name (tab-separated).")
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            try await ReferenceCommands.withStorage(database) { storage in
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
        @OptionGroup var database: DatabaseOption
        @Option(help: "The device id.") var device: UInt32
        @Option(help: "The vehicle's fleet number.") var vehicle: UInt32
        @Option(help: "The carrier that owns the vehicle.") var carrier: UInt32
        @Option(help: "From when: 2026-11-03T10:15:00+02:00 or Unix seconds.") var from: String
        @Option(help: "Until when (exclusive), if the span is already over.") var until: String?

        func run() async throws {
            let assignment = DeviceAssignment(
                device: DeviceID(rawValue: device), vehicle: VehicleID(rawValue: vehicle), carrier: CarrierID(rawValue: carrier),
                validFrom: try ReferenceCommands.time(from, option: "--from"), validUntil: try until.map { try ReferenceCommands.time($0, option: "--until") })
            var spans: [DeviceAssignment] = []
            try await ReferenceCommands.withStorage(database) { spans = try await $0.assignDevice(assignment, closingOpenSpan: true) }
            ReferenceCommands.done("пристрій \(device) встановлено в транспорт \(vehicle)", "device \(device) assigned to vehicle \(vehicle)")
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
        @OptionGroup var database: DatabaseOption
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
            try await ReferenceCommands.withStorage(database) { try await $0.setProgramme(CompensationProgramme(year: year, lines: parsed)) }
            ReferenceCommands.done("програму на \(year) рік записано (\(parsed.count) кат.)", "the \(year) programme is stored (\(parsed.count) categories)")
        }
    }
}

struct TariffPeriodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tariff-period", abstract: "Which tariff version held when.", subcommands: [List.self, Set.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tariff periods: version, effective from (tab-separated).")
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            try await ReferenceCommands.withStorage(database) { storage in
                for period in try await storage.tariffPeriods() { print("\(period.version)\t\(period.effectiveFrom)") }
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set when a tariff version took effect (uploading its bundle records the upload time otherwise).")
        @OptionGroup var database: DatabaseOption
        @Option(help: "The tariff bundle's version.") var version: UInt32
        @Option(help: "From when: 2026-11-03T10:15:00+02:00 or Unix seconds.") var from: String

        func run() async throws {
            let period = TariffPeriod(version: version, effectiveFrom: try ReferenceCommands.time(from, option: "--from"))
            try await ReferenceCommands.withStorage(database) { try await $0.setTariffPeriod(period) }
            ReferenceCommands.done("тариф \(version) діє з \(period.effectiveFrom)", "tariff \(version) in effect from \(period.effectiveFrom)")
        }
    }
}

struct CreditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit", abstract: "Purse credits made at the desk.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import purse credits from CSV (card, amount, credited_at, reference); all lines or none.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The CSV file (UTF-8, header row, ',' or ';' between fields).") var file: String

        func run() async throws {
            let credits: [PurseCredit]
            do {
                credits = try ReferenceCSV.purseCredits(from: try ReferenceCommands.read(file))
            } catch let refusal as ReferenceCSV.Refusal {
                ReferenceCommands.printError(refusal.message)
                throw ExitCode(65)
            }
            try await ReferenceCommands.withStorage(database) { try await $0.importPurseCredits(credits) }
            ReferenceCommands.done("імпортовано поповнень: \(credits.count)", "purse credits imported: \(credits.count)")
        }
    }
}

struct EntitlementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entitlement", abstract: "Entitlements the desk issued.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import issued entitlements from CSV; all lines or none (a stored card and number is replaced).")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The CSV file (UTF-8, header row, ',' or ';' between fields).") var file: String

        func run() async throws {
            let entitlements: [IssuedEntitlement]
            do {
                entitlements = try ReferenceCSV.issuedEntitlements(from: try ReferenceCommands.read(file))
            } catch let refusal as ReferenceCSV.Refusal {
                ReferenceCommands.printError(refusal.message)
                throw ExitCode(65)
            }
            try await ReferenceCommands.withStorage(database) { try await $0.importIssuedEntitlements(entitlements) }
            ReferenceCommands.done("імпортовано пільг: \(entitlements.count)", "issued entitlements imported: \(entitlements.count)")
        }
    }
}

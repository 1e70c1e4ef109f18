import AccountingCore
import AccountingService
import AccountingStore
import ArgumentParser
import CommunityKeys
import Entitlements
import Hummingbird
import Identifiers
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

import Foundation

/// `hromada-accounting`: the accounting service and its operator helpers.
///
/// Thin: parses arguments, reads the clock and the system's random generator, loads the
/// community keys, and calls `AccountingService`.
@main
struct HromadaAccounting: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-accounting",
        abstract: "The accounting service: receives validators' ledgers, signs receipts, serves bundles.",
        subcommands: [Serve.self, Migrate.self, Token.self, RegisterDevice.self, VerifyColumns.self] + [CarrierCommand.self, RouteCommand.self, DeviceCommand.self, ProgrammeCommand.self, TariffPeriodCommand.self, CreditCommand.self, EntitlementCommand.self])
}

struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
    var db: String = "sqlite:accounting.sqlite"

    func location() throws -> StorageLocation {
        guard let location = StorageLocation(db) else { throw ValidationError("--db: sqlite:PATH or postgres://USER@HOST:PORT/DATABASE") }
        return location
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service.")
    @OptionGroup var database: DatabaseOption
    @Option(name: .long, help: "HOST:PORT to listen on.") var listen: String = "127.0.0.1:8080"
    @Option(name: .long, help: "The community key directory (hromada-keys); needs the accounting key.") var keys: String
    @Option(name: .long, help: "Most connections open at once (default: 900, or the open-file limit less 64 if that is lower).")
    var maxConnections: Int?
    @Option(name: .long, help: "Seconds a connection may send nothing before it is closed.") var idleTimeout: Int = 30
    @Option(name: .long, help: "Seconds within which a request's head and body must arrive.") var readTimeout: Int = 60
    @Option(name: .long, help: "Seconds requests in progress may take to finish on SIGTERM.") var shutdownTimeout: Int = 10

    func run() async throws {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let port = Int(parts.last!), (0...65535).contains(port) else {
            throw ValidationError("--listen: HOST:PORT")
        }
        for (name, value) in [("--idle-timeout", idleTimeout), ("--read-timeout", readTimeout), ("--shutdown-timeout", shutdownTimeout)] where value < 1 {
            throw ValidationError("\(name): at least 1 second")
        }
        // The connection limit stays below the open-file limit, whatever was asked: a process
        // out of descriptors cannot answer /health or open its database.
        let ceiling = ConnectionLimits.maximumConnections(openFileLimit: Self.openFileLimit())
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections: at least 1") }
        let limits = ConnectionLimits(
            maximumConnections: min(maxConnections ?? ConnectionLimits.standard.maximumConnections, ceiling),
            idleTimeout: .seconds(idleTimeout), requestReadTimeout: .seconds(readTimeout), shutdownGracePeriod: .seconds(shutdownTimeout))
        let host = parts.dropLast().joined(separator: ":")
        var logger = Logger(label: "hromada.accounting")
        logger.logLevel = .info
        if let maxConnections, maxConnections > ceiling {
            logger.warning("--max-connections lowered to stay below the open-file limit", metadata: ["connections": "\(ceiling)"])
        }
        let configuration = try AccountingConfiguration(keysDirectory: keys, now: { UnixTime(Date()) })
        let storage = try database.location().makeStorage(logger: logger)
        // One process serves device requests from an SQLite file (docs/accounting.md, "Device
        // authentication"): a second one stops here, naming the lock file.
        if let sqlite = storage as? SQLiteStorage { try sqlite.claimDeviceRequests() }
        let engine = AccountingEngine(storage: storage, configuration: configuration, logger: logger)
        // The process-wide MetricsSystem reports into the engine's registry, so whatever a
        // library counts through it appears on the same /metrics page.
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: await engine.metrics.registry))
        let group = AccountingServer.serviceGroup(
            engine: engine, host: host, port: port, connections: ConnectionGuard(limits: limits), signals: [.sigterm, .sigint],
            logger: logger
        ) { bound in
            // One line on standard output, for scripts and tests that started us on port 0.
            FileHandle.standardOutput.write(Data("listening on \(host):\(bound)\n".utf8))
        }
        try await group.run()
    }

    /// The soft open-file limit of this process (RLIMIT_NOFILE), or 1024 if it cannot be read.
    static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: min(limit.rlim_cur, rlim_t(Int32.max)))
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema, then exit.")
    @OptionGroup var database: DatabaseOption

    func run() async throws {
        let version = try await database.location().withStorage(logger: Logger(label: "hromada.accounting")) { storage in
            try await storage.migrate()
        }
        print("schema version \(version)")
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an operator token (printed once; only its hash is stored).",
        subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an operator token.")
        @OptionGroup var database: DatabaseOption
        @Option(help: "finance, desk or admin") var role: String
        @Option(help: "Who holds it, for the audit trail.") var label: String

        func run() async throws {
            guard let role = OperatorRole(rawValue: role) else { throw ValidationError("--role: finance, desk or admin") }
            guard !label.isEmpty, label.utf8.count <= 64 else { throw ValidationError("--label: 1-64 bytes") }
            var rng = SystemRandomNumberGenerator()
            let token = OperatorTokens.make(using: &rng)
            try await database.location().withStorage(logger: Logger(label: "hromada.accounting")) { storage in
                try await storage.addOperatorToken(
                    hash: OperatorTokens.hash(token), identity: OperatorIdentity(role: role, label: label), createdAt: UnixTime(Date()))
            }
            print(token)
        }
    }
}

struct RegisterDevice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register-device", abstract: "Register a validator or an issuance desk with its certified device key (offline, on the server).")
    @OptionGroup var database: DatabaseOption
    @Option(name: .long, help: "The community key directory.") var keys: String
    @Option(help: "The device id the validator's ledger uses, in decimal as the service prints it (101, not 0101).") var device: DeviceID
    @Option(help: "The id (8 hex digits) of the device's certified key.") var keyId: String
    @Option(help: "A name for people, e.g. bus-017.") var label: String
    @Option(help: "validator (a bus) or desk (an issuance desk, which alone may upload card and purse actions).")
    var role: String = DeviceRole.validator.rawValue

    func run() async throws {
        guard let deviceRole = DeviceRole(rawValue: role) else { throw ValidationError("--role: validator or desk") }
        let directory = try CommunityDirectory(opening: keys)
        guard let certificate = try directory.certificates().first(where: { $0.keyID.description == keyId.lowercased() }) else {
            throw ValidationError("--key-id: no certificate \(keyId) in \(keys)")
        }
        let configuration = try AccountingConfiguration(keysDirectory: keys, now: { UnixTime(Date()) })
        try await database.location().withStorage(logger: Logger(label: "hromada.accounting")) { storage in
            let engine = AccountingEngine(storage: storage, configuration: configuration, logger: Logger(label: "hromada.accounting"))
            if case .refused(let refusal) = try await engine.registerDevice(
                device, certificate: certificate, label: label, role: deviceRole)
            {
                throw ValidationError("\(refusal)")
            }
        }
        print("device \(device) registered as a \(deviceRole) with key \(certificate.keyID)")
    }
}

/// A device id on the command line is read only in the form the service prints, as its
/// request headers are: `0101` is refused rather than taken for device 101.
extension DeviceID: ExpressibleByArgument {
    public init?(argument: String) { self.init(decimal: argument) }
}

struct VerifyColumns: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-columns",
        abstract: "Check that every stored entry's columns say what its canonical bytes say (exit status 1 when not).")
    @OptionGroup var database: DatabaseOption
    @Option(help: "Report at most this many disagreements.") var limit: Int = 100

    func run() async throws {
        guard limit > 0 else { throw ValidationError("--limit: at least 1") }
        let check = try await database.location().withStorage(logger: Logger(label: "hromada.accounting")) { storage in
            try await storage.verifyEntryColumns(maximumMismatches: limit)
        }
        for mismatch in check.mismatches { print(mismatch) }
        if check.isClean {
            print("\(check.checkedEntries) entries: every column agrees with the canonical bytes")
        } else {
            print("\(check.checkedEntries) entries: \(check.truncated ? "more than " : "")\(check.mismatches.count) columns disagree with the canonical bytes")
            throw ExitCode(1)
        }
    }
}

import ArgumentParser
import Console
import DeskRegistry
import Entitlements
import Foundation

extension RegistryLanguage: ExpressibleByArgument {}

/// Options every registry command takes: where the registry and its key are, who the clerk is.
struct RegistryOptions: ParsableArguments {
    @Option(help: "The registry: an SQLite file (default), or postgres://USER@HOST:PORT/DATABASE for a centre of several desks.")
    var registry = "desk-registry.sqlite"
    @Option(help: "The desk key file (made by registry init, mode 0600).") var key = "desk-registry.key"
    @Option(help: "Output language: both (Ukrainian, then English), uk or en.") var language: RegistryLanguage = .both
    @Option(help: "The clerk's name for the journal (default: the login name).") var clerk = ProcessInfo.processInfo.environment["USER"] ?? "desk"
    @Option(help: "The community's categories.json, for category ids and names.") var categories: String?

    /// The parsed location, or a usage error.
    func location() throws -> RegistryLocation {
        guard let location = RegistryLocation(registry) else {
            throw RegistryError(.invalidRequest, ukrainian: "--registry: «\(registry)» не є файлом чи адресою PostgreSQL", english: "--registry: not a file or a PostgreSQL URL")
        }
        return location
    }

    /// Opens the registry with the key file and runs `body`; prints what it returns.
    func run(_ body: @Sendable @escaping (HolderRegistry, RegistryText) async throws -> String) async throws {
        try await RegistryCommand.reportingFailures {
            let text = RegistryText(language: language, categories: try RegistryInput.categories(categories))
            let keyring = try RegistryKeyFile.load(key)
            let output = try await location().withRegistry(keyring: keyring, now: UnixTime(Date())) { registry in
                try await body(registry, text)
            }
            print(output, terminator: "")
        }
    }
}

struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry", abstract: "Create the holder registry and its key, apply migrations, rotate the key.",
        subcommands: [RegistryInit.self, RegistryMigrate.self, RegistryRotateKey.self])

    /// Runs `body`; a failure becomes its two-language message on standard error and its exit status.
    static func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            let failure = RegistryError(error)
            Console.error(failure.message, terminator: "")
            throw ExitCode(failure.exitStatus)
        }
    }
}

struct RegistryInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Make a new desk key file (mode 0600) and a registry sealed with it.")

    @OptionGroup var options: RegistryOptions

    func run() async throws {
        try await RegistryCommand.reportingFailures {
            let location = try options.location()
            var random = SystemRandomNumberGenerator()
            let keyring = try RegistryKeyFile.create(at: options.key, using: &random)
            let version = try await location.migrate()
            // Records the key's check value, so a wrong key file is refused from now on.
            try await location.withRegistry(keyring: keyring, now: UnixTime(Date())) { _ in }
            print(RegistryText(language: options.language).initialized(keyID: keyring.current.id, version: version), terminator: "")
        }
    }
}

struct RegistryMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Bring the registry's schema up to date (no key needed).")

    @OptionGroup var options: RegistryOptions
    @Option(help: "Stop at this schema version (default: the newest).") var to: Int?

    func run() async throws {
        try await RegistryCommand.reportingFailures {
            let version = try await options.location().migrate(upTo: to)
            print(RegistryText(language: options.language).migrated(version: version), terminator: "")
        }
    }
}

struct RegistryRotateKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-key", abstract: "Add a new key to the key file and re-seal every document number with it.")

    @OptionGroup var options: RegistryOptions

    func run() async throws {
        try await RegistryCommand.reportingFailures {
            // The old key must open the registry before a new one is added.
            _ = try await options.location().withRegistry(keyring: try RegistryKeyFile.load(options.key), now: UnixTime(Date())) { _ in 0 }
            var random = SystemRandomNumberGenerator()
            let keyring = try RegistryKeyFile.appendKey(at: options.key, using: &random)
            let clerk = options.clerk
            let count = try await options.location().withRegistry(keyring: keyring, now: UnixTime(Date())) { registry in
                try await registry.resealDocuments(clerk: clerk, at: UnixTime(Date()))
            }
            print(RegistryText(language: options.language).rotated(keyID: keyring.current.id, count: count), terminator: "")
        }
    }
}

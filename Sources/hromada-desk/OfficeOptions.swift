import ArgumentParser
import Desk
import DeskOffice
import DeskRegistry
import Entitlements
import Foundation
import Identifiers

/// The holder registry a lifecycle command records its action in (optional: without it the card
/// is written and nothing is recorded, as before the registry existed), and the clerk's name.
struct OfficeOptions: ParsableArguments {
    @Option(help: "Record the action in this holder registry: an SQLite file or postgres://… (default: none, nothing recorded).") var registry: String?
    @Option(help: "With --registry: the desk key file (made by registry init).") var registryKey = "desk-registry.key"
    @Option(help: "The clerk's name for the registry (default: the login name).") var clerk = ProcessInfo.processInfo.environment["USER"] ?? "desk"

    /// Runs `body` with the desk office over `desk` (and the registry, when one is named) and
    /// prints what it returns. Every lifecycle command goes through here, so the command line and
    /// the web app share one path (``DeskOffice``).
    func run(
        desk: IssuanceDesk, denyList: (any DenyListService)?, _ body: @Sendable @escaping (DeskOffice) async throws -> String
    ) async throws {
        let output: String
        if let registry {
            guard let location = RegistryLocation(registry) else {
                throw RegistryError(.invalidRequest, ukrainian: "--registry: «\(registry)» не є файлом чи адресою PostgreSQL", english: "--registry: not a file or a PostgreSQL URL")
            }
            let keyring = try RegistryKeyFile.load(registryKey)
            output = try await location.withRegistry(keyring: keyring, now: UnixTime(Date())) { registry in
                try await body(DeskOffice(desk: desk, registry: registry, denyList: denyList))
            }
        } else {
            output = try await body(DeskOffice(desk: desk, registry: nil, denyList: denyList))
        }
        print(output, terminator: "")
    }
}

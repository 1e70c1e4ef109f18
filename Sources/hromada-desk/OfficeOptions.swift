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
    @Option(help: "Append the action to this desk ledger (SQLite; created if missing), uploaded with hromada-desk upload.") var ledger: String?
    @Option(help: "With --ledger: the desk's device id (its key is the one the --keys directory certifies for it).") var device: UInt32?

    func validate() throws {
        if ledger != nil, device == nil { throw ValidationError("--ledger needs --device (the desk's device id)") }
    }

    /// The desk ledger, when one is named.
    func openLedger(_ desk: IssuanceDesk) throws -> DeskLedger? {
        guard let ledger, let device else { return nil }
        let identity = try DeskDevice(directory: desk.setup.directory, deviceID: DeviceID(rawValue: device), now: UnixTime(Date()))
        return try DeskLedger(path: ledger, deviceID: identity.deviceID, deviceKey: identity.key)
    }

    /// Runs `body` with the desk office over `desk` (and the registry, when one is named) and
    /// prints what it returns. Every lifecycle command goes through here, so the command line and
    /// the web app share one path (``DeskOffice``).
    func run(
        desk: IssuanceDesk, denyList: (any DenyListService)?, _ body: @Sendable @escaping (DeskOffice) async throws -> String
    ) async throws {
        try await run(desk: desk, denyList: denyList) { office in (try await body(office), ()) }
    }

    /// As `run(desk:denyList:_:)`, and hands back a value the body computed beside its text (a
    /// batch's failure count, which decides the exit status).
    @discardableResult
    func run<Value: Sendable>(
        desk: IssuanceDesk, denyList: (any DenyListService)?, _ body: @Sendable @escaping (DeskOffice) async throws -> (output: String, value: Value)
    ) async throws -> Value {
        let result: (output: String, value: Value)
        let deskLedger = try openLedger(desk)
        if let registry {
            guard let location = RegistryLocation(registry) else {
                throw RegistryError(.invalidRequest, ukrainian: "--registry: «\(registry)» не є файлом чи адресою PostgreSQL", english: "--registry: not a file or a PostgreSQL URL")
            }
            let keyring = try RegistryKeyFile.load(registryKey)
            result = try await location.withRegistry(keyring: keyring, now: UnixTime(Date())) { registry in
                try await body(DeskOffice(desk: desk, registry: registry, denyList: denyList, ledger: deskLedger))
            }
        } else {
            result = try await body(DeskOffice(desk: desk, registry: nil, denyList: denyList, ledger: deskLedger))
        }
        print(result.output, terminator: "")
        return result.value
    }
}

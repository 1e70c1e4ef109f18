import ArgumentParser
import Console
import Desk
import DeskOffice
import DeskRegistry
import DeskWeb
import Entitlements
import Foundation
import Hummingbird
import HummingbirdBcrypt

/// Where the registry is, for the web app and the staff commands.
struct WebRegistryOptions: ParsableArguments {
    @Option(help: "The registry: an SQLite file (default), or postgres://USER@HOST:PORT/DATABASE.") var registry = "desk-registry.sqlite"
    @Option(help: "The desk key file (made by registry init, mode 0600).") var key = "desk-registry.key"

    func open<Result: Sendable>(_ body: @Sendable @escaping (HolderRegistry) async throws -> Result) async throws -> Result {
        guard let location = RegistryLocation(registry) else {
            throw RegistryError(.invalidRequest, ukrainian: "--registry: «\(registry)» не є файлом чи адресою PostgreSQL", english: "--registry: not a file or a PostgreSQL URL")
        }
        return try await location.withRegistry(keyring: try RegistryKeyFile.load(key), now: UnixTime(Date()), body)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the desk web app (docs/desk-web.md): staff log in at http://127.0.0.1:8480 to find people and act on the card in the reader.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var accounting: AccountingOptions
    @OptionGroup var store: WebRegistryOptions
    @Option(help: "The address to listen on (default: this computer only).") var host = "127.0.0.1"
    @Option(help: "The port.") var port = 8480
    @Option(help: "The desk's name on receipts and statements.") var desk = "ЦНАП"
    @Option(help: "Hours a login lasts.") var sessionHours = 8
    @Flag(help: "Mark cookies Secure (sent over HTTPS only): for an app reached through a TLS proxy.") var secureCookies = false

    func validate() throws {
        guard (1...24).contains(sessionHours) else { throw ValidationError("--session-hours must be 1 to 24") }
    }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let issuanceDesk = try common.desk()
            let denyList = try accounting.client()
            var configuration = DeskWebConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.deskName = desk
            configuration.sessionSeconds = Int64(sessionHours) * 3600
            configuration.secureCookies = secureCookies
            configuration.categories = issuanceDesk.setup.categories
            let settings = configuration
            try await store.open { registry in
                let office = DeskOffice(desk: issuanceDesk, registry: registry, denyList: denyList)
                let app = DeskWebApp(
                    registry: registry, actions: OfficeCardActions(office: office, deskName: settings.deskName), configuration: settings,
                    clock: { UnixTime(Date()) })
                Console.error("hromada-desk: http://\(settings.host):\(settings.port)/\n", terminator: "")
                try await app.application().runService()
            }
        }
    }
}

struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff", abstract: "Accounts of the web app's clerks and supervisors.", subcommands: [StaffAdd.self, StaffList.self, StaffDisable.self, StaffEnable.self, StaffPassword.self])
}

struct StaffAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a clerk or supervisor; the password is read from standard input (one line) or HROMADA_STAFF_PASSWORD, never from the command line.")

    @OptionGroup var store: WebRegistryOptions
    @Option(help: "clerk | supervisor") var role: String = "clerk"
    @Option(help: "bcrypt cost (work factor), 10 to 16.") var cost: UInt8 = 12
    @Argument(help: "The login name (lower-case Latin letters, digits, . - _).") var username: String

    func validate() throws {
        guard StaffRole(rawValue: role) != nil else { throw ValidationError("--role must be clerk or supervisor") }
        guard StaffMember.validUsername(username) else { throw ValidationError("the username must be 2 to 40 lower-case Latin letters, digits, '.', '-' or '_'") }
        guard (10...16).contains(cost) else { throw ValidationError("--cost must be 10 to 16") }
    }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let password = try StaffAdd.readPassword()
            let member = StaffMember(username: username, role: StaffRole(rawValue: role)!, passwordHash: Bcrypt.hash(password, cost: cost), createdAt: UnixTime(Date()))
            try await store.open { registry in try await registry.addStaff(member, at: member.createdAt) }
            print("Користувача \(username) додано (\(member.role.ukrainian)).\nUser \(username) added (\(member.role.english)).")
        }
    }

    /// A new password for `staff add` and `staff password`: from HROMADA_STAFF_PASSWORD, else one
    /// line of standard input — never an argument, which `ps` and the shell history would show.
    static func readPassword() throws -> String {
        let password: String
        if let fromEnvironment = ProcessInfo.processInfo.environment["HROMADA_STAFF_PASSWORD"] {
            password = fromEnvironment
        } else {
            password = readLine(strippingNewline: true) ?? ""
        }
        guard (10...200).contains(password.count) else {
            throw RegistryError(.invalidRequest, ukrainian: "пароль має містити від 10 до 200 символів", english: "a password must be 10 to 200 characters")
        }
        return password
    }
}

struct StaffList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the web app's accounts: name, role, active or disabled, last login (Kyiv time); never a password.")

    @OptionGroup var store: WebRegistryOptions

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let members = try await store.open { registry in try await registry.staffMembers() }
            for member in members {
                let state = member.disabledAt.map { "disabled \(StaffList.time($0))" } ?? "active"
                print("\(member.username)\t\(member.role.rawValue)\t\(state)\tlast login \(member.lastLoginAt.map(StaffList.time) ?? "never")")
            }
        }
    }

    /// `YYYY-MM-DD HH:MM`, Kyiv time.
    static func time(_ time: UnixTime) -> String {
        let local = TimeZoneRule.europeKyiv.local(at: time)
        let minutes = local.secondOfDay / 60
        return "\(local.date) \(minutes / 60 < 10 ? "0" : "")\(minutes / 60):\(minutes % 60 < 10 ? "0" : "")\(minutes % 60)"
    }
}

struct StaffDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Disable an account: it cannot log in and its open sessions end at once (the last active supervisor cannot be disabled).")

    @OptionGroup var store: WebRegistryOptions
    @Argument(help: "The login name.") var username: String

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            try await store.open { registry in try await registry.setStaffDisabled(username, true, by: "-", at: UnixTime(Date())) }
            print("Користувача \(username) вимкнено; його сеанси завершено.\nUser \(username) disabled; their sessions ended.")
        }
    }
}

struct StaffEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a disabled account again.")

    @OptionGroup var store: WebRegistryOptions
    @Argument(help: "The login name.") var username: String

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            try await store.open { registry in try await registry.setStaffDisabled(username, false, by: "-", at: UnixTime(Date())) }
            print("Користувача \(username) ввімкнено.\nUser \(username) enabled.")
        }
    }
}

struct StaffPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "password",
        abstract: "Set an account's password (from standard input, one line, or HROMADA_STAFF_PASSWORD); its open sessions end.")

    @OptionGroup var store: WebRegistryOptions
    @Option(help: "bcrypt cost (work factor), 10 to 16.") var cost: UInt8 = 12
    @Argument(help: "The login name.") var username: String

    func validate() throws {
        guard (10...16).contains(cost) else { throw ValidationError("--cost must be 10 to 16") }
    }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let hash = Bcrypt.hash(try StaffAdd.readPassword(), cost: cost)
            try await store.open { registry in try await registry.changeStaffPassword(username, passwordHash: hash, by: "-", at: UnixTime(Date())) }
            print("Пароль користувача \(username) змінено; його сеанси завершено.\nThe password of \(username) was changed; their sessions ended.")
        }
    }
}

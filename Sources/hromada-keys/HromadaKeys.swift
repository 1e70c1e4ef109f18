import ArgumentParser
import Bundles
import CommunityKeys
import Entitlements
import Identifiers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `hromada-keys`: a community's keys, certificates, card master keys and signed bundles.
///
/// Thin: parses arguments, reads the clock and the system's random generator (the only places
/// either is read), and calls `CommunityKeys`. Never prints key material.
@main
struct HromadaKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-keys",
        abstract: "Manage a community's keys, certificates, card master keys and signed bundles.",
        subcommands: [Init.self, Issuer.self, Device.self, Finance.self, CardKeys.self, Bundle.self, Show.self])

    /// The wall clock, read only here.
    static func now() -> UnixTime { UnixTime(Date()) }
}

struct DirectoryOption: ParsableArguments {
    @Option(name: .long, help: "The community key directory.")
    var dir: String
}

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a community: root, desk, validator and accounting keys with certificates, card master keys v1.")
    @OptionGroup var directory: DirectoryOption
    @Option(help: "The community's short name (a-z, 0-9, -).") var community: String
    @Option(help: "Days the certificates are valid.") var validDays: Int = 730
    @Option(help: "The device id validator-1's certificate names (its ledger and registration use it).") var device: UInt32 = 1

    func run() async throws {
        var rng = SystemRandomNumberGenerator()
        let now = HromadaKeys.now()
        let created = try CommunityDirectory.create(
            at: directory.dir, community: community, now: now, validitySeconds: Int64(validDays) * 86_400,
            firstDevice: DeviceID(rawValue: device), using: &rng)
        print(try created.report(now: now), terminator: "")
    }
}

/// `add` and `revoke` for one role of certified key.
protocol CertifiedKeyCommands: AsyncParsableCommand {
    static var role: KeyRole { get }
}

struct AddKey<Family: CertifiedKeyCommands>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "add", abstract: "Create and certify a new \(Family.role) key.",
            discussion: Family.role == .validator
                ? "The certificate names the device (--device): the service registers the key under that id only." : "")
    }
    @OptionGroup var directory: DirectoryOption
    @Option(help: "A name for people, e.g. desk-2 or bus-017.") var label: String
    @Option(help: "Validators only, and required for them: the device id (from 1) the certificate names.") var device: UInt32?
    @Option(help: "Days the certificate is valid.") var validDays: Int = 730

    func validate() throws {
        if Family.role == .validator, device == nil { throw ValidationError("--device: the device id the certificate names") }
        if Family.role != .validator, device != nil { throw ValidationError("--device is for validator keys only") }
    }

    func run() async throws {
        var rng = SystemRandomNumberGenerator()
        let community = try CommunityDirectory(opening: directory.dir)
        let certificate = try community.addKey(
            role: Family.role, label: label, device: device.map(DeviceID.init(rawValue:)), now: HromadaKeys.now(),
            validitySeconds: Int64(validDays) * 86_400, using: &rng)
        let forDevice = certificate.deviceID.map { " for device \($0)" } ?? ""
        print("\(Family.role) \(certificate.keyID) (\(label))\(forDevice) certified until \(certificate.notAfter)")
        print("sign and distribute a new trust bundle so validators learn it")
    }
}

/// `device certify`: the migration of a format 1 validator certificate to one naming its device.
struct CertifyDevice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certify",
        abstract: "Re-certify an existing validator key for its device id (migrates a format 1 certificate).",
        discussion: "The key pair stays; public/certificates/<key id>.cert is replaced. Then re-register the device with the service and give the validator the new certificate file.")
    @OptionGroup var directory: DirectoryOption
    @Option(help: "The validator key id (8 hex digits).") var keyId: String
    @Option(help: "The device id (from 1) the certificate names: the one its ledger and registration use.") var device: UInt32
    @Option(help: "Days the certificate is valid.") var validDays: Int = 730

    func run() async throws {
        guard let keyID = KeyID(printed: keyId) else { throw ValidationError("--key-id is 8 hex digits") }
        let community = try CommunityDirectory(opening: directory.dir)
        let certificate = try community.recertifyDevice(
            keyID, device: DeviceID(rawValue: device), now: HromadaKeys.now(), validitySeconds: Int64(validDays) * 86_400)
        print("validator \(certificate.keyID) certified for device \(device) until \(certificate.notAfter) (format \(certificate.format.rawValue))")
        print("re-register device \(device) with the service, install the new certificate on the validator, sign a new trust bundle")
    }
}

struct RevokeKey<Family: CertifiedKeyCommands>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "revoke", abstract: "Revoke a \(Family.role) key.")
    }
    @OptionGroup var directory: DirectoryOption
    @Option(help: "The key id (8 hex digits).") var keyId: String
    @Option(help: "key-compromise, retired, superseded or other.") var reason: String = "retired"

    func run() async throws {
        guard let value = KeyID(printed: keyId)?.rawValue else {
            throw ValidationError("--key-id is 8 hex digits")
        }
        guard let why = Revocation.Reason(rawValue: reason) else {
            throw ValidationError("--reason is one of \(Revocation.Reason.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let community = try CommunityDirectory(opening: directory.dir)
        let list = try community.revokeKey(KeyID(value), role: Family.role, reason: why, now: HromadaKeys.now())
        print("\(Family.role) \(keyId) revoked (\(reason)); revocation list version \(list.version)")
        print("sign and distribute a new trust bundle so validators learn it")
    }
}

struct Issuer: AsyncParsableCommand, CertifiedKeyCommands {
    static let role = KeyRole.issuer
    static let configuration = CommandConfiguration(
        abstract: "Issuance desk keys.", subcommands: [AddKey<Issuer>.self, RevokeKey<Issuer>.self])
}

struct Device: AsyncParsableCommand, CertifiedKeyCommands {
    static let role = KeyRole.validator
    static let configuration = CommandConfiguration(
        abstract: "Validator device keys.", subcommands: [AddKey<Device>.self, CertifyDevice.self, RevokeKey<Device>.self])
}

struct Finance: AsyncParsableCommand, CertifiedKeyCommands {
    static let role = KeyRole.finance
    static let configuration = CommandConfiguration(
        abstract: "Finance officer keys: sign closing records of reconciled months and report manifests.",
        subcommands: [AddKey<Finance>.self, RevokeKey<Finance>.self])
}

struct CardKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card-keys", abstract: "AES card master keys.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the next version of every card master key; older versions are kept.")
        @OptionGroup var directory: DirectoryOption

        func run() async throws {
            var rng = SystemRandomNumberGenerator()
            let version = try CommunityDirectory(opening: directory.dir).rotateCardKeys(using: &rng)
            print("card master keys v\(version) created; older versions kept for cards in the field")
        }
    }
}

struct Bundle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Signed bundles for validators.", subcommands: [Sign.self, Verify.self])

    static func kind(_ name: String) throws -> BundleKind {
        guard let kind = BundleKind(name: name) else { throw ValidationError("--kind is trust, tariff or denylist") }
        return kind
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a trust, tariff or deny-list bundle with the root key.")
        @OptionGroup var directory: DirectoryOption
        @Option(help: "trust, tariff or denylist.") var kind: String
        @Option(help: "tariff.json or denylist.json (none for trust).") var input: String?
        @Option(help: "For a tariff: the community's categories.json (default: beside --input).") var categories: String?
        @Option(help: "The bundle version; must exceed the last one signed.") var version: UInt32
        @Option(help: "Last day of validity, YYYY-MM-DD (UTC).") var expires: String
        @Option(help: "Where to write the bundle.") var out: String

        func run() async throws {
            let kind = try Bundle.kind(kind)
            guard let date = CivilDate(iso: expires) else { throw ValidationError("--expires is YYYY-MM-DD") }
            let expiresAt = CommunityDirectory.bundleExpiry(lastValidDay: date)
            let community = try CommunityDirectory(opening: directory.dir)
            let inputBytes = try input.map(CommunityDirectory.readInput)
            // The tariff lists category codes; their definitions are the community's categories.json.
            let categoriesPath = categories ?? input.map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("categories.json").path }
            let categoryBytes = kind == .tariff ? try categoriesPath.map(CommunityDirectory.readInput) : nil
            let bytes = try community.signBundle(
                kind: kind, input: inputBytes, categories: categoryBytes, version: version, expiresAt: expiresAt, now: HromadaKeys.now())
            try CommunityDirectory.writeBundle(bytes, to: out)
            print("\(kind) bundle v\(version) for \(community.community) signed, expires \(expiresAt): \(out) (\(bytes.count) bytes)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a bundle as a validator of this community would.")
        @OptionGroup var directory: DirectoryOption
        @Option(help: "trust, tariff or denylist.") var kind: String
        @Option(name: .customLong("in"), help: "The bundle file.") var input: String
        @Option(help: "The version the validator has installed, if any.") var installedVersion: UInt32?

        func run() async throws {
            let kind = try Bundle.kind(kind)
            let community = try CommunityDirectory(opening: directory.dir)
            let bytes = try CommunityDirectory.readInput(input)
            switch try community.verifyBundle(bytes, kind: kind, installedVersion: installedVersion, now: HromadaKeys.now()) {
            case .accept(let bundle):
                let header = bundle.header
                print("accepted: \(header.kind) v\(header.version) for \(header.community), signed by root \(header.signerKeyID), issued \(header.issuedAt), expires \(header.expiresAt)")
            case .refuse(let refusal):
                print("refused: \(refusal)")
                throw ExitCode(1)
            }
        }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List keys, ids, roles and validity. Never prints secrets.")
    @OptionGroup var directory: DirectoryOption

    func run() async throws {
        print(try CommunityDirectory(opening: directory.dir).report(now: HromadaKeys.now()), terminator: "")
    }
}

import Foundation

/// The validator's configuration file (JSON; docs/validator.md documents every field).
///
/// Relative paths are taken relative to the directory of the configuration file.
public struct ValidatorConfiguration: Codable, Hashable, Sendable {
    /// The device number; it numbers the ledger and is written into every trip record.
    public var deviceID: UInt32
    /// The device's Ed25519 signing key file (`hromada-keys device add`, 0600): signs ledger checkpoints.
    public var deviceKey: String
    /// The device's certificate file (for the accounting upload; checked to match the key when given).
    public var deviceCertificate: String?
    /// The community name (e.g. `nemishaieve`): bundles of another community are refused.
    public var community: String
    /// The community root public key file (`public/root.pub`): the pinned trust anchor for bundles.
    public var rootPublicKey: String
    /// The readers to watch: PC/SC reader names, or `["all"]` for every reader pcscd reports.
    public var readers: [String]
    /// The vehicle's fleet number.
    public var vehicle: UInt32
    /// The route the vehicle serves.
    public var route: UInt16
    /// The fare zone.
    public var zone: UInt8
    /// The carrier operating the vehicle (for reports and logs).
    public var carrier: String
    /// The signed bundles.
    public var bundles: BundlePaths
    /// The ledger.
    public var ledger: LedgerSettings
    /// The accounting service the uploader sends ledger batches to and fetches newer bundles from
    /// (absent: no uploads; the ledger keeps everything).
    public var accountingURL: String?
    /// Seconds between upload attempts once everything is uploaded (default 30).
    public var uploadIntervalSeconds: Int64? = nil
    /// Seconds between looks for newer bundles at the accounting service (default 300).
    public var bundleIntervalSeconds: Int64? = nil
    /// Card layout files this validator accepts (`CardLayouts/*.json`).
    public var layouts: [String]
    /// Card master key files held by the validator: the `read` and `validate` roles, one per key version.
    public var cardKeys: [String]
    /// Loopback TCP port for Prometheus `/metrics`; absent or 0: no endpoint.
    public var metricsPort: UInt16?
    /// How long a tap may take before it is abandoned (milliseconds, default 2000).
    public var tapTimeoutMilliseconds: Int?

    /// Paths of the three signed bundles.
    public struct BundlePaths: Codable, Hashable, Sendable {
        /// The trust bundle (root, issuer certificates, revocations).
        public var trust: String
        /// The tariff bundle.
        public var tariff: String
        /// The deny-list bundle.
        public var denyList: String

        /// Creates the paths.
        public init(trust: String, tariff: String, denyList: String) {
            self.trust = trust
            self.tariff = tariff
            self.denyList = denyList
        }
    }

    /// Where and how the ledger is kept.
    public struct LedgerSettings: Codable, Hashable, Sendable {
        /// The SQLite file.
        public var path: String
        /// A signed checkpoint every this many entries (default 100).
        public var checkpointInterval: UInt64?

        /// Creates the settings.
        public init(path: String, checkpointInterval: UInt64? = nil) {
            self.path = path
            self.checkpointInterval = checkpointInterval
        }
    }

    /// Creates a configuration.
    public init(
        deviceID: UInt32, deviceKey: String, deviceCertificate: String? = nil, community: String, rootPublicKey: String,
        readers: [String], vehicle: UInt32, route: UInt16, zone: UInt8, carrier: String, bundles: BundlePaths,
        ledger: LedgerSettings, accountingURL: String? = nil, layouts: [String], cardKeys: [String], metricsPort: UInt16? = nil,
        tapTimeoutMilliseconds: Int? = nil
    ) {
        self.deviceID = deviceID
        self.deviceKey = deviceKey
        self.deviceCertificate = deviceCertificate
        self.community = community
        self.rootPublicKey = rootPublicKey
        self.readers = readers
        self.vehicle = vehicle
        self.route = route
        self.zone = zone
        self.carrier = carrier
        self.bundles = bundles
        self.ledger = ledger
        self.accountingURL = accountingURL
        self.layouts = layouts
        self.cardKeys = cardKeys
        self.metricsPort = metricsPort
        self.tapTimeoutMilliseconds = tapTimeoutMilliseconds
    }

    /// Whether every reader is watched.
    public var watchesAllReaders: Bool { readers.contains("all") }

    /// The tap timeout.
    public var tapTimeout: Duration { .milliseconds(max(100, tapTimeoutMilliseconds ?? 2000)) }

    /// Reads and checks a configuration file; relative paths become relative to its directory.
    public static func load(from path: String) throws -> ValidatorConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidatorError(.invalidConfiguration, "cannot read \(path): \(error.localizedDescription)")
        }
        var configuration: ValidatorConfiguration
        do {
            configuration = try JSONDecoder().decode(ValidatorConfiguration.self, from: data)
        } catch {
            throw ValidatorError(.invalidConfiguration, "\(path) is not a validator configuration: \(error)")
        }
        configuration.resolvePaths(relativeTo: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        try configuration.check()
        return configuration
    }

    /// Makes relative paths relative to `directory`.
    public mutating func resolvePaths(relativeTo directory: String) {
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : directory + "/" + path }
        deviceKey = resolve(deviceKey)
        deviceCertificate = deviceCertificate.map(resolve)
        rootPublicKey = resolve(rootPublicKey)
        bundles = BundlePaths(trust: resolve(bundles.trust), tariff: resolve(bundles.tariff), denyList: resolve(bundles.denyList))
        ledger.path = resolve(ledger.path)
        layouts = layouts.map(resolve)
        cardKeys = cardKeys.map(resolve)
    }

    /// Checks what can be checked without reading the files.
    public func check() throws {
        guard deviceID != 0 else { throw ValidatorError(.invalidConfiguration, "deviceID must not be 0") }
        guard !readers.isEmpty else { throw ValidatorError(.invalidConfiguration, "readers: name at least one reader, or \"all\"") }
        guard !layouts.isEmpty else { throw ValidatorError(.invalidConfiguration, "layouts: name at least one card layout file") }
        guard !cardKeys.isEmpty else { throw ValidatorError(.invalidConfiguration, "cardKeys: name the read and validate card master key files") }
        guard !community.isEmpty else { throw ValidatorError(.invalidConfiguration, "community must be named") }
    }
}

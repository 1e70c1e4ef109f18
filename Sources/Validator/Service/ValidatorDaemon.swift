import Bundles
import Entitlements
import Foundation
import LedgerStore
import Logging
import ServiceLifecycle
import Uploader

/// Puts the daemon together from a configuration file and runs it until SIGTERM or SIGINT.
public enum ValidatorDaemon {
    /// The software name written into the start-up entry.
    public static let software = "hromada-validator 0.1"

    /// Loads `configurationPath`, opens the ledger, and runs the reader service (and the
    /// metrics endpoint, if configured) in a service group that shuts down gracefully on
    /// SIGTERM/SIGINT. Each tap's JSON line goes to `emit`; taps are counted in `metrics`,
    /// whose registry the endpoint serves.
    public static func run(
        configurationPath: String, logger: Logger, metrics: ValidatorMetrics = ValidatorMetrics(),
        clock: @escaping TapClock = { UnixTime(Date()) }, emit: @escaping @Sendable (String) -> Void = Self.printLine
    ) async throws {
        let configuration = try ValidatorConfiguration.load(from: configurationPath)
        let setup = try ValidatorSetup.load(configuration, now: clock())
        if let warning = setup.identityWarning { logger.warning("\(warning)", metadata: ["device": "\(configuration.deviceID)"]) }
        let tapper = try SocialCardTapper(setup: setup)
        let store: LedgerStore
        do {
            store = try LedgerStore(
                path: configuration.ledger.path, deviceID: setup.rules.context.deviceID, deviceKey: setup.deviceKey,
                configuration: .init(checkpointInterval: configuration.ledger.checkpointInterval ?? 100))
        } catch {
            throw ValidatorError(.outOfService, "cannot open the ledger \(configuration.ledger.path): \(error)")
        }
        let ledger = try TapLedger(store: store)
        let versions = setup.bundleVersions
        let service = ValidatorService(
            pipeline: TapPipeline(ledger: ledger, rules: setup.rules), tapper: tapper,
            readers: configuration.watchesAllReaders ? .all : .named(Set(configuration.readers)),
            tapTimeout: configuration.tapTimeout, metrics: metrics, logger: logger, clock: clock, emit: emit,
            startUpDetail: software,
            configurationDetail:
                "trust v\(versions.trust) tariff v\(versions.tariff) denylist v\(versions.denyList) layouts \(setup.layouts.map(\.id).joined(separator: ","))"
        )
        var services: [any Service] = []
        if let port = configuration.metricsPort, port != 0 {
            services.append(MetricsServer(port: Int(port), metrics: metrics))
        }
        services.append(service)
        if let uploader = makeUploader(setup: setup, ledger: ledger, pipeline: service.pipeline, logger: logger) {
            services.append(uploader)
        }
        logger.info(
            "starting",
            metadata: [
                "device": "\(configuration.deviceID)", "vehicle": "\(configuration.vehicle)", "route": "\(configuration.route)",
                "carrier": "\(configuration.carrier)", "ledger": "\(configuration.ledger.path)",
            ])
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The uploader, when the configuration names an accounting service and the device has what
    /// uploading needs (its certificate; an accounting certificate in the trust bundle).
    ///
    /// Newer bundles it downloads are installed only after `BundleAcceptance` verified them
    /// (pinned root, community, kind, newer version, not expired): the next taps are decided
    /// under them, the file named in the configuration is replaced (so a restart keeps them),
    /// and the ledger records the change.
    static func makeUploader(setup: ValidatorSetup, ledger: TapLedger, pipeline: TapPipeline, logger: Logger) -> Uploader? {
        let configuration = setup.configuration
        guard let url = configuration.accountingURL else { return nil }
        guard let certificate = setup.deviceCertificate, let accountingKey = setup.accountingKey else {
            logger.warning(
                "not uploading: the configuration has no device certificate, or the trust bundle no valid accounting certificate",
                metadata: ["accountingURL": "\(url)"])
            return nil
        }
        let versions = setup.bundleVersions
        let paths: [BundleKind: String] = [
            .trust: configuration.bundles.trust, .tariff: configuration.bundles.tariff, .denyList: configuration.bundles.denyList,
        ]
        let uploaderConfiguration = UploaderConfiguration(
            serviceURL: url, certificate: certificate, deviceKey: setup.deviceKey, servicePublicKey: accountingKey,
            idleInterval: .seconds(configuration.uploadIntervalSeconds ?? 30),
            bundleInterval: .seconds(configuration.bundleIntervalSeconds ?? 300),
            bundleAcceptance: setup.bundleAcceptance,
            installedBundleVersions: [.trust: versions.trust, .tariff: versions.tariff, .denyList: versions.denyList])
        return Uploader(
            configuration: uploaderConfiguration, ledger: TapLedgerUploads(ledger: ledger, deviceID: setup.rules.context.deviceID),
            logger: logger,
            onEvent: { event in logger.info("upload: \(event)") },
            onBundle: { bundle in
                try install(bundle, into: pipeline)
                if let path = paths[bundle.header.kind] {
                    try Data(bundle.bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
                }
                _ = try await ledger.append(
                    .configurationChanged(
                        at: UnixTime(Date()),
                        description: "\(bundle.header.kind) bundle v\(bundle.header.version) installed from the accounting service"))
            })
    }

    /// Puts a verified bundle's payload into the rules the next taps are decided under.
    static func install(_ bundle: VerifiedBundle, into pipeline: TapPipeline) throws {
        switch bundle.payload {
        case .tariff(let tariff):
            pipeline.install { $0.tariff = tariff }
        case .denyList(let denyList):
            pipeline.install { $0.denyList = denyList }
        case .trust(let payload):
            let trust = try payload.trustStore()
            pipeline.install { $0.trust = trust }
        }
    }

    /// Writes `line` and a newline to standard output at once (no buffering), for a display
    /// program reading line by line.
    @Sendable public static func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

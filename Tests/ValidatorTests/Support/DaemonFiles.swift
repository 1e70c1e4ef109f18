import Bundles
import CommunityKeys
import Entitlements
import Foundation
import Synchronization
import Tariff
import Validator

/// The files a real `hromada-validator run` needs, made from a test community: configuration,
/// device key, card keys, root key, signed bundles.
struct DaemonFiles {
    let directory: String
    let configurationPath: String
    let ledgerPath: String
    let configuration: ValidatorConfiguration

    /// Writes everything into a new temporary directory. Bundles are signed at the real time
    /// (the daemon checks them against its own clock).
    init(community: TestCommunity, readers: [String], tariff: Tariff, deviceID: UInt32 = 7101, metricsPort: UInt16? = nil) throws {
        let directory = Paths.temporaryDirectory("hromada-validator-daemon")
        self.directory = directory
        let keys = community.directory.path
        let secret = try FileManager.default.contentsOfDirectory(atPath: keys + "/secret")
        let deviceKey = try require_(secret.first { $0.hasPrefix("validator-") && $0.hasSuffix(".key") }, "no validator key in \(keys)/secret")
        let realNow = UnixTime(Date())
        func sign(_ kind: BundleKind, _ input: [UInt8]?, _ name: String, categories: [UInt8]? = nil) throws -> String {
            let bytes = try community.directory.signBundle(
                kind: kind, input: input, categories: categories, version: UInt32(tariff.version), expiresAt: realNow.adding(seconds: 30 * 86_400), now: realNow)
            let path = "\(directory)/\(name)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        // Published as a community does: the tariff names category codes, the list defines them.
        let tariffJSON = try JSONEncoder().encode(TariffSource(tariff))
        let categoriesJSON = try JSONEncoder().encode(
            BenefitCategoryList(community: tariff.community, version: 1, categories: tariff.categories))
        let trust = try sign(.trust, nil, "trust.bundle")
        let tariffPath = try sign(.tariff, [UInt8](tariffJSON), "tariff.bundle", categories: [UInt8](categoriesJSON))
        let denyList = try sign(.denyList, Array(#"{"version": 1, "entries": []}"#.utf8), "denylist.bundle")
        ledgerPath = directory + "/ledger.sqlite"
        configuration = ValidatorConfiguration(
            deviceID: deviceID, deviceKey: "\(keys)/secret/\(deviceKey)", deviceCertificate: nil, community: "nemishaieve",
            rootPublicKey: "\(keys)/public/root.pub", readers: readers, vehicle: 21, route: 1, zone: 1, carrier: "Тест-Авто",
            bundles: .init(trust: trust, tariff: tariffPath, denyList: denyList), ledger: .init(path: "ledger.sqlite", checkpointInterval: 25),
            accountingURL: nil, layouts: [Paths.layout, Paths.layoutV2, Paths.layoutV3], cardKeys: ["\(keys)/secret/card-keys/read-v1.key", "\(keys)/secret/card-keys/validate-v1.key"],
            metricsPort: metricsPort, tapTimeoutMilliseconds: 1500)
        configurationPath = directory + "/validator.json"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(configuration).write(to: URL(fileURLWithPath: configurationPath))
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

struct MissingFile: Error, CustomStringConvertible {
    let description: String
}

func require_<T>(_ value: T?, _ message: String) throws -> T {
    guard let value else { throw MissingFile(description: message) }
    return value
}

/// Collects the JSON lines a validator emits, and lets a test wait for the next ones.
final class LineCollector: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
    var count: Int { lines.withLock { $0.count } }

    /// Waits until at least `count` lines have arrived, or `timeout` passes; returns whether they did.
    func wait(forCount count: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if self.count >= count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return self.count >= count
    }

    /// The line at `index`, parsed.
    func object(_ index: Int) -> [String: Any]? {
        let all = self.all
        guard index < all.count else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(all[index].utf8)) as? [String: Any]
    }
}

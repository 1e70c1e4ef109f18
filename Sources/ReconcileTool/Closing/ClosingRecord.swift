import Crypto
import Entitlements
import Identifiers
import LedgerCore
import Reconciliation

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a closed month was computed from and what it came to, signed by the finance key
/// (docs/reconcile-tool.md, "The closing record").
///
/// Why the heads: the service holds a contiguous prefix of every device's chain, so the held
/// head (sequence and hash) at the close names exactly the entries the month was reconciled
/// from. A later report of the month reads those entries only, so it never changes; entries the
/// devices upload afterwards lie beyond the frozen heads and become the next month's late ones.
public struct ClosingRecord: Hashable, Sendable, Codable {
    /// The format of this record; 1.
    public var format: Int
    /// The community's name.
    public var community: String
    /// The month, `YYYY-MM` (Kyiv civil time).
    public var month: String
    /// The period's first instant (Unix seconds).
    public var periodStart: Int64
    /// The instant after its last (Unix seconds).
    public var periodEnd: Int64
    /// When it was closed (Unix seconds).
    public var closedAt: Int64
    /// Each device's held head at the close, by device.
    public var devices: [DeviceHead]
    /// Each bundle version the report used, by kind and version.
    public var bundles: [BundleReference]
    /// The totals of the month's report at the close.
    public var totals: Totals
    /// SHA-256 of the report's JSON at the close (hex), so the report can be checked against it.
    public var reportSHA256: String
    /// The finance key that signs it (its key id, 8 hex digits).
    public var financeKeyID: String

    /// A device's frozen head.
    public struct DeviceHead: Hashable, Sendable, Codable {
        /// The device.
        public var device: UInt32
        /// The held head's sequence.
        public var sequence: UInt64
        /// The held head's hash (hex).
        public var hash: String
        /// The highest sequence a service receipt covers, if any.
        public var receiptSequence: UInt64?

        /// Creates a head.
        public init(device: UInt32, sequence: UInt64, hash: String, receiptSequence: UInt64?) {
            self.device = device
            self.sequence = sequence
            self.hash = hash
            self.receiptSequence = receiptSequence
        }
    }

    /// A signed bundle an input used.
    public struct BundleReference: Hashable, Sendable, Codable {
        /// `tariff`, `denylist`, `trust`.
        public var kind: String
        /// Its version.
        public var version: UInt32
        /// SHA-256 of its bytes (hex).
        public var sha256: String

        /// Creates a reference.
        public init(kind: String, version: UInt32, sha256: String) {
            self.kind = kind
            self.version = version
            self.sha256 = sha256
        }
    }

    /// The month's sums.
    public struct Totals: Hashable, Sendable, Codable {
        /// Compensated benefit rides.
        public var rides: Int
        /// Compensation, kopecks.
        public var compensationKopecks: Int64
        /// Compensation per carrier, by carrier.
        public var carriers: [CarrierTotal]
        /// Compensation per benefit category, by category (the year's accrual adds these up).
        public var categories: [CategoryTotal]
        /// Integrity exceptions found.
        public var exceptions: Int

        /// Creates totals.
        public init(rides: Int, compensationKopecks: Int64, carriers: [CarrierTotal], categories: [CategoryTotal], exceptions: Int) {
            self.rides = rides
            self.compensationKopecks = compensationKopecks
            self.carriers = carriers
            self.categories = categories
            self.exceptions = exceptions
        }
    }

    /// One benefit category's sum.
    public struct CategoryTotal: Hashable, Sendable, Codable {
        /// The category code.
        public var category: UInt16
        /// Its compensation, kopecks.
        public var compensationKopecks: Int64

        /// Creates a category total.
        public init(category: UInt16, compensationKopecks: Int64) {
            self.category = category
            self.compensationKopecks = compensationKopecks
        }
    }

    /// One carrier's sum.
    public struct CarrierTotal: Hashable, Sendable, Codable {
        /// The carrier.
        public var carrier: UInt32
        /// Its rides.
        public var rides: Int
        /// Its compensation, kopecks.
        public var compensationKopecks: Int64

        /// Creates a carrier total.
        public init(carrier: UInt32, rides: Int, compensationKopecks: Int64) {
            self.carrier = carrier
            self.rides = rides
            self.compensationKopecks = compensationKopecks
        }
    }

    /// The current format.
    public static let currentFormat = 1

    /// The domain tag signed before the record's bytes, so a finance signature over a closing
    /// record can never pass for one over another document.
    public static let domainTag: [UInt8] = Array("HromadaCard closing record v1".utf8) + [0]

    /// The record's bytes: JSON with sorted keys and no spaces (the same record, the same bytes).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// Reads a record from its bytes; refuses another format.
    public init(decoding bytes: [UInt8]) throws {
        let record: ClosingRecord
        do {
            record = try JSONDecoder().decode(ClosingRecord.self, from: Data(bytes))
        } catch {
            throw ReconcileToolError("the closing record does not decode: \(error)")
        }
        guard record.format == Self.currentFormat else {
            throw ReconcileToolError("closing record format \(record.format) is not known (this tool reads \(Self.currentFormat))")
        }
        self = record
    }

    /// Creates a record.
    public init(
        community: String, month: String, periodStart: Int64, periodEnd: Int64, closedAt: Int64, devices: [DeviceHead], bundles: [BundleReference],
        totals: Totals, reportSHA256: String, financeKeyID: String
    ) {
        self.format = Self.currentFormat
        self.community = community
        self.month = month
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.closedAt = closedAt
        self.devices = devices.sorted { $0.device < $1.device }
        self.bundles = bundles.sorted { ($0.kind, $0.version) < ($1.kind, $1.version) }
        self.totals = totals
        self.reportSHA256 = reportSHA256
        self.financeKeyID = financeKeyID
    }

    /// The frozen head of `device`, if it is in the record.
    public func head(of device: DeviceID) -> ChainHead? {
        guard let head = devices.first(where: { $0.device == device.rawValue }), let hash = ChainHash(hex: head.hash) else { return nil }
        return ChainHead(deviceID: device, sequence: head.sequence, hash: hash)
    }

    /// The bytes the finance key signs: the domain tag and the record's bytes.
    public static func signedBytes(_ record: [UInt8]) -> [UInt8] { domainTag + record }

    /// Signs the record with the finance key: its bytes and the Ed25519 signature.
    public func signed(with key: Curve25519.Signing.PrivateKey) throws -> (record: [UInt8], signature: [UInt8]) {
        let bytes = try encoded()
        return (bytes, Array(try key.signature(for: Self.signedBytes(bytes))))
    }

    /// Whether `signature` over `record` verifies under the finance key `publicKey`.
    public static func verify(record: [UInt8], signature: [UInt8], publicKey: Curve25519.Signing.PublicKey) -> Bool {
        publicKey.isValidSignature(signature, for: signedBytes(record))
    }

    /// Totals and exception count of `report`.
    public static func totals(of report: ReconciliationReport) -> Totals {
        Totals(
            rides: report.total.rides, compensationKopecks: report.total.compensationKopecks,
            carriers: report.totalsByCarrier.map { CarrierTotal(carrier: $0.key.rawValue, rides: $0.rides, compensationKopecks: $0.compensationKopecks) },
            categories: report.totalsByCategory.map { CategoryTotal(category: $0.key.rawValue, compensationKopecks: $0.compensationKopecks) },
            exceptions: report.exceptions.count)
    }
}

/// A failure of the finance officer's tool: a message for the person at the terminal.
public struct ReconcileToolError: Error, CustomStringConvertible {
    /// What went wrong, and what to do.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

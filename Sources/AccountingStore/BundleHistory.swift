import Bundles
import Entitlements
import NIOCore
import PostgresNIO

/// Every stored version of a bundle kind, oldest first: what the reconciliation needs to price
/// each day by the tariff that held on it (the service itself only ever serves the latest).
public protocol BundleHistoryStorage: Sendable {
    /// Every stored bundle of `kind`, by version.
    func bundles(_ kind: BundleKind) async throws -> [StoredBundle]
}

extension SQLiteStorage: BundleHistoryStorage {
    /// Every stored bundle of `kind`, by version.
    public func bundles(_ kind: BundleKind) throws -> [StoredBundle] {
        try rows("SELECT version, bytes, uploaded_at FROM bundles WHERE kind = ? ORDER BY version", [.integer(Int64(kind.rawValue))]) {
            StoredBundle(kind: kind, version: UInt32(truncatingIfNeeded: $0.integer(0)), bytes: $0.blob(1), uploadedAt: UnixTime($0.integer(2)))
        }
    }
}

extension PostgresStorage: BundleHistoryStorage {
    /// Every stored bundle of `kind`, by version.
    public func bundles(_ kind: BundleKind) async throws -> [StoredBundle] {
        let code = Int64(kind.rawValue)
        var out: [StoredBundle] = []
        for try await (version, data, at) in try await pool().query(
            "SELECT version, bytes, uploaded_at FROM bundles WHERE kind = \(code) ORDER BY version", logger: logger
        ).decode((Int64, ByteBuffer, Int64).self) {
            out.append(StoredBundle(kind: kind, version: UInt32(truncatingIfNeeded: version), bytes: bytes(data), uploadedAt: UnixTime(at)))
        }
        return out
    }
}

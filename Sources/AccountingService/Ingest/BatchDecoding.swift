import AccountingCore
import LedgerCore
import NIOCore

/// Decodes an upload's body with its entries shared out over the machine's cores.
///
/// Why: decoding and hashing a batch's 1000 entries (about 1 ms) is the largest piece of the
/// service's own work on a batch, and while one device uploads one batch after another, the
/// database waits for it and the other core has nothing to do. `CanonicalBatchBody` finds the
/// entries in one quick pass; its parts are then decoded at once, each in a task, and joined in
/// order. Any body that is not in the canonical form, or a part that does not decode, goes to
/// `UploadBatch(jsonBody:limits:)`, which decodes it or refuses it with its named code, exactly
/// as before.
enum BatchDecoding {
    /// Fewer entries than this a part are not worth a task of their own.
    static let minimumEntriesPerPart = 200

    /// The batch `body` holds, or the `AccountingError` naming why it is refused.
    static func batch(from body: [UInt8], limits: AccountingLimits, parts: Int = System.coreCount) async throws -> UploadBatch {
        guard let located = CanonicalBatchBody(locating: body, limits: limits) else {
            return try UploadBatch(jsonBody: body, limits: limits)
        }
        return try await batch(from: located, body: body, limits: limits, parts: parts)
    }

    /// The batch of `located`, found in `body`.
    static func batch(
        from located: CanonicalBatchBody, body: [UInt8], limits: AccountingLimits, parts: Int = System.coreCount
    ) async throws -> UploadBatch {
        let count = located.entryCount
        let partCount = max(1, min(parts, count / minimumEntriesPerPart))
        let decoded = partCount == 1 ? located.entries(0..<count) : await entries(of: located, inParts: partCount)
        guard let decoded else { return try UploadBatch(jsonBody: body, limits: limits) }
        return located.batch(with: decoded)
    }

    /// The entries of `located` decoded in `partCount` parts at once, joined in order; nil when
    /// any of them does not decode.
    private static func entries(of located: CanonicalBatchBody, inParts partCount: Int) async -> [LedgerEntry]? {
        let count = located.entryCount
        let bounds = (0...partCount).map { count * $0 / partCount }
        return await withTaskGroup(of: (Int, [LedgerEntry]?).self) { group -> [LedgerEntry]? in
            for part in 1..<partCount {
                group.addTask { (part, located.entries(bounds[part]..<bounds[part + 1])) }
            }
            // The first part on this task, while the others run.
            var results: [[LedgerEntry]?] = Array(repeating: nil, count: partCount)
            results[0] = located.entries(bounds[0]..<bounds[1])
            for await (part, entries) in group { results[part] = entries }
            var entries: [LedgerEntry] = []
            entries.reserveCapacity(count)
            for part in results {
                guard let part else { return nil }
                entries += part
            }
            return entries
        }
    }
}

import LedgerCore
import LedgerStore

/// `hromada-validator ledger export`: a ledger as JSON lines (with canonical bytes, for
/// auditors) or CSV (for spreadsheets), line by line.
public enum LedgerExporter {
    /// The export formats.
    public enum Format: String, CaseIterable, Sendable {
        /// JSON lines: a header with the chain start and key, the entries, the checkpoints.
        case jsonl
        /// CSV with a header row, one row per entry.
        case csv
    }

    /// Writes the entries from sequence `from` on (and, as JSON lines, the checkpoints from
    /// there) to `line`, one line per call, without the newline.
    public static func export(_ store: LedgerStore, format: Format, from: UInt64, line: (String) -> Void) throws {
        switch format {
        case .jsonl:
            // A partial export starts from the entry before `from`, so it verifies on its own.
            var start = try store.chainStart()
            if from > start.sequence + 1, let before = try store.entry(at: from - 1) {
                start = ChainHead(after: before)
            }
            line(LedgerExport.jsonHeader(start: start, devicePublicKey: store.devicePublicKey))
            try store.forEachEntry(from: from) { line(LedgerExport.jsonLine($0)) }
            for checkpoint in try store.checkpoints() where checkpoint.sequence >= from {
                line(LedgerExport.jsonLine(checkpoint))
            }
            // Receipts and prune anchors: an auditor checks the receipts with the service key and
            // sees where, and up to which receipt, entries were pruned.
            for (receipt, key) in try store.receipts() where receipt.sequence >= from {
                line(LedgerExport.jsonLine(receipt, servicePublicKey: key))
            }
            for anchor in try store.pruneAnchors() { line(LedgerExport.jsonPruneAnchorLine(anchor)) }
        case .csv:
            // A byte-order mark so that Excel opens UTF-8 (Ukrainian detail text) correctly.
            line("\u{FEFF}" + LedgerExport.csvHeader)
            try store.forEachEntry(from: from) { line(LedgerExport.csvRow($0)) }
        }
    }
}

import Crypto
import Entitlements
import Foundation
import LedgerCore
import Identifiers
import Testing

@testable import LedgerStore

/// The verifier printed in docs/ledger-format.md is the auditor's independent oracle: it is run
/// here as printed (taken from the document at test time, so the two cannot drift) on the real
/// `hromada-validator ledger export` of a real ledger, and on tampered copies of that export.
@Suite("The Python verifier of docs/ledger-format.md", .serialized)
struct PythonVerifierTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func acceptsARealLedgerWithEveryKindOfEntry() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.ledgerOfEveryKind(in: directory)
        let export = try Self.export(path)
        #expect(Set(export.entries.compactMap { $0["kind"] as? String }) == Set(LedgerEntryKind.allCases.map(\.name)))
        #expect(export.checkpoints.count >= 4)

        let verdict = try Self.verify(export.text, key: Support.deviceKey.publicKey)
        #expect(verdict.status == 0, "\(verdict.output)")
        #expect(verdict.output == "ledger intact: device 501, entries 1-\(export.entries.count)\n")
        // Without a key only the chain and the checkpoint hashes are checked: still intact.
        #expect(try Self.verify(export.text, key: nil).status == 0)
    }

    @Test func acceptsAPartialExportAndAPrunedLedger() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.ledgerOfEveryKind(in: directory)
        let partial = try Self.export(path, from: 9)
        #expect(partial.entries.first?["sequence"] as? Int == 9)
        let verdict = try Self.verify(partial.text, key: Support.deviceKey.publicKey)
        #expect(verdict.status == 0 && verdict.output.hasSuffix("entries 9-\(8 + partial.entries.count)\n"), "\(verdict.output)")

        // Entries 1–10 are old and covered by the service's receipt at 12: pruning removes them,
        // and the rest verifies from the kept anchor.
        let prunedPath = directory.appendingPathComponent("pruned.db").path
        let now = UnixTime(Date())
        do {
            let store = try Support.open(prunedPath, .init(checkpointInterval: 4, retentionSeconds: 7 * 86_400))
            defer { store.close() }
            for index in 0..<15 {
                let time = index < 10 ? now.adding(seconds: -30 * 86_400) : now.adding(seconds: -60)
                try store.append(Support.ride(index, at: time))
            }
            let at12 = ChainHead(after: try #require(try store.entry(at: 12)))
            try store.storeReceipt(try Receipt(signing: at12, with: Support.serviceKey), servicePublicKey: Support.serviceKey.publicKey)
            #expect(try store.prune(now: now) == 10)
            _ = try store.checkpoint()
        }
        let pruned = try Self.export(prunedPath)
        #expect(pruned.header["startSequence"] as? Int == 10)
        let prunedVerdict = try Self.verify(pruned.text, key: Support.deviceKey.publicKey)
        #expect(prunedVerdict.status == 0, "\(prunedVerdict.output)")
        #expect(prunedVerdict.output == "ledger intact: device 501, entries 11-15\n")
    }

    @Test func rejectsTamperedExports() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let export = try Self.export(try Self.ledgerOfEveryKind(in: directory))
        let key = Support.deviceKey.publicKey
        let lines = export.text.split(separator: "\n").map(String.init)
        // Line 0 is the header; line s is entry s.
        func entryLine(_ sequence: Int) -> [String: Any] { export.entries[sequence - 1] }

        // One byte of entry 5 (its fare): entry 6 no longer chains to it.
        var flipped = lines
        flipped[5] = try Self.replacingBytes(of: entryLine(5)) { $0[45] ^= 0x01 }
        try Self.expectBroken(flipped, at: 6, key: key, "does not chain to the entry before it")

        // Entries 5 and 6 swapped.
        var swapped = lines
        swapped.swapAt(5, 6)
        try Self.expectBroken(swapped, at: 5, key: key, "expected entry 5, found 6")

        // Entry 7 removed.
        var removed = lines
        removed.remove(at: 7)
        try Self.expectBroken(removed, at: 7, key: key, "expected entry 7, found 8")

        // Entry 3's detail rewritten and every later link recomputed: only the checkpoints see it.
        var rewritten = lines
        var previous: [UInt8] = []
        for sequence in 3...export.entries.count {
            rewritten[sequence] = try Self.replacingBytes(of: entryLine(sequence)) { bytes in
                if sequence == 3 { bytes[bytes.count - 33] ^= 0x20 } else { bytes.replaceSubrange((bytes.count - 32)..., with: previous) }
                previous = Array(SHA256.hash(data: bytes))
            }
        }
        let firstCheckpoint = try #require(export.checkpoints.first?["sequence"] as? Int)
        try Self.expectBroken(rewritten, at: firstCheckpoint, key: key, "checkpoint does not match the chain")

        // The end cut off below a checkpoint.
        let last = export.entries.count
        let cut = lines.enumerated().filter { $0.offset != last }.map(\.element)
        try Self.expectBroken(cut, at: last, key: key, "a checkpoint covers \(last) but the ledger ends at \(last - 1)")

        // A checkpoint signature altered: caught only with the device key.
        var forged = lines
        let checkpointLine = try #require(lines.lastIndex { $0.contains(#""type":"checkpoint""#) })
        var checkpoint = try #require(try JSONSerialization.jsonObject(with: Data(lines[checkpointLine].utf8)) as? [String: Any])
        let signature = try #require(checkpoint["signature"] as? String)
        checkpoint["signature"] = (signature.first == "0" ? "1" : "0") + signature.dropFirst()
        forged[checkpointLine] = String(decoding: try JSONSerialization.data(withJSONObject: checkpoint), as: UTF8.self)
        try Self.expectBroken(forged, at: checkpoint["sequence"] as? Int ?? -1, key: key, "checkpoint signature invalid")
        #expect(try Self.verify(forged.joined(separator: "\n") + "\n", key: nil).status == 0)
    }

    /// Receipts and prune anchors are exported; the printed verifier checks each receipt against
    /// the chain and, given the service key, its signature.
    @Test func checksReceiptsInAnExport() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("receipted.db").path
        let now = UnixTime(Date())
        do {
            let store = try Support.open(path, .init(checkpointInterval: 4, retentionSeconds: 7 * 86_400))
            defer { store.close() }
            for index in 0..<15 {
                try store.append(Support.ride(index, at: index < 5 ? now.adding(seconds: -30 * 86_400) : now.adding(seconds: -60)))
            }
            for sequence: UInt64 in [6, 13] {
                let head = ChainHead(after: try #require(try store.entry(at: sequence)))
                try store.storeReceipt(try Receipt(signing: head, with: Support.serviceKey), servicePublicKey: Support.serviceKey.publicKey)
            }
            #expect(try store.prune(now: now) == 5)
        }
        let export = try Self.export(path)
        let lines = export.text.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.contains(#""type":"receipt""#) }.count == 2)
        #expect(lines.contains(#"{"type":"prune-anchor","sequence":5,"chainHash":"\#(try #require(export.header["startHash"] as? String))"}"#))
        let key = Support.deviceKey.publicKey, service = Support.serviceKey.publicKey
        let verdict = try Self.verify(export.text, key: key, serviceKey: service)
        #expect(verdict.status == 0 && verdict.output == "ledger intact: device 501, entries 6-15\n", "\(verdict.output)")
        // The device key stands in for the service's: every receipt fails.
        try Self.expectBroken(lines, at: 6, key: key, serviceKey: key, "receipt signature invalid")

        let receiptLine = try #require(lines.lastIndex { $0.contains(#""type":"receipt""#) })
        var receipt = try #require(try JSONSerialization.jsonObject(with: Data(lines[receiptLine].utf8)) as? [String: Any])
        let signature = try #require(receipt["signature"] as? String)
        receipt["signature"] = (signature.first == "0" ? "1" : "0") + signature.dropFirst()
        var flipped = lines
        flipped[receiptLine] = String(decoding: try JSONSerialization.data(withJSONObject: receipt), as: UTF8.self)
        try Self.expectBroken(flipped, at: 13, key: key, serviceKey: service, "receipt signature invalid")
        receipt["signature"] = signature
        receipt["chainHash"] = String(repeating: "ab", count: 32)
        var moved = lines
        moved[receiptLine] = String(decoding: try JSONSerialization.data(withJSONObject: receipt), as: UTF8.self)
        try Self.expectBroken(moved, at: 13, key: key, serviceKey: service, "receipt does not match the chain")
    }

    // MARK: Helpers

    /// A ledger with every kind of entry, Ukrainian detail text, periodic checkpoints and a
    /// shutdown checkpoint, written by `LedgerStore`.
    static func ledgerOfEveryKind(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("ledger.db").path
        let store = try Support.open(path, .init(checkpointInterval: 4))
        defer { store.close() }
        let start = UnixTime(1_781_503_200)
        func at(_ minutes: Int64) -> UnixTime { start.adding(seconds: minutes * 60) }
        let card = CardSerial(0x00AA_BBCC_DDEE_0001)
        try store.append(.startUp(at: at(0), software: "hromada-validator 1.0"))
        try store.append(.configurationChanged(at: at(0), description: "тариф v3 sha256:00ff"))
        try store.append(.clockAdjusted(from: at(1), to: at(1).adding(seconds: -42), source: "gnss"))
        for ride in 0..<3 {
            let pending = try store.append(
                .cardTransactionPending(at: at(10 + Int64(ride)), card: card, layout: 1, entitlement: 7, category: 1, fareKopecks: 0, route: 1, vehicle: 11))
            try store.append(
                .benefitUse(
                    at: at(10 + Int64(ride)), card: card, layout: 1, entitlement: 7, category: 1, fareKopecks: 0, fullFareKopecks: 1500,
                    route: 1, vehicle: 11))
            try store.append(.cardTransactionConfirmed(at: at(10 + Int64(ride)), card: card, pending: pending.sequence))
        }
        let pending = try store.append(.cardTransactionPending(at: at(20), card: card, layout: 1, fareKopecks: 1500, route: 1, vehicle: 11))
        try store.append(.cardTransactionAbandoned(at: at(21), card: card, pending: pending.sequence, why: "card-removed"))
        try store.append(.rideAccepted(at: at(22), card: card, layout: 1, fareKopecks: 1500, route: 1, vehicle: 11))
        try store.append(.purseDebit(at: at(22), card: card, layout: 1, amountKopecks: 1500, balanceAfterKopecks: 8500, route: 1, vehicle: 11))
        try store.append(.tapDeclined(at: at(23), card: nil, layout: nil, reasonCode: "card-removed", route: 1, vehicle: 11))
        try store.append(.tapDeclined(at: at(24), card: card, layout: 1, reasonCode: "ride-limit-reached", route: 1, vehicle: 11))
        try store.append(.denyListHit(at: at(25), card: CardSerial(99), layout: 1, listingReason: "stolen", route: 1, vehicle: 11))
        // Format 2: a ride with the card's counters, and the desk kinds (a desk's chain has the same form).
        var counted = LedgerRecord.benefitUse(
            at: at(26), card: card, layout: 1, entitlement: 7, category: 1, fareKopecks: 0, fullFareKopecks: 1500, route: 1, vehicle: 11)
        counted.cardCounters = CardCounters(tripSequence: 4, countedRides: 1, countPeriodStart: CivilDate(year: 2026, month: 6, day: 1)!)
        try store.append(counted)
        try store.append(.cardIssued(at: at(27), card: CardSerial(98), layout: 2))
        try store.append(
            .entitlementWritten(
                at: at(27), card: CardSerial(98), layout: 2, entitlement: 8, category: 2,
                terms: WrittenEntitlementTerms(product: .discount, validFrom: CivilDate(year: 2026, month: 6, day: 1)!, validUntil: CivilDate(year: 2027, month: 5, day: 31)!, discountPercent: 50)))
        try store.append(.purseCredit(at: at(27), card: CardSerial(98), amountKopecks: 10_000, receipt: 2_026_000_017, balanceAfterKopecks: 10_000))
        try store.append(.cardBlocked(at: at(28), card: CardSerial(98), reason: "lost"))
        try store.append(.cardReplaced(at: at(28), old: CardSerial(98), new: CardSerial(97), balanceMovedKopecks: 10_000))
        try store.append(.cardReturned(at: at(29), card: CardSerial(97), reason: "moved-away"))
        _ = try store.shutDown(at: at(30))
        return path
    }

    /// A `--format jsonl` export by the real command, and its lines decoded.
    static func export(_ path: String, from: UInt64? = nil) throws
        -> (text: String, header: [String: Any], entries: [[String: Any]], checkpoints: [[String: Any]])
    {
        let binary = try #require(CrashTests.validatorBinary, "build hromada-validator first (swift build)")
        var arguments = ["ledger", "export", "--db", path, "--format", "jsonl"]
        if let from { arguments += ["--from", String(from)] }
        let run = try Self.run(binary, arguments)
        #expect(run.status == 0, "\(run.output)")
        let objects = try run.output.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let header = try #require(objects.first)
        return (
            run.output, header, objects.filter { $0["type"] as? String == "entry" },
            objects.filter { $0["type"] as? String == "checkpoint" }
        )
    }

    /// The one ```python block of docs/ledger-format.md, exactly as printed.
    static func verifierScript() throws -> String {
        let document = try String(contentsOf: repository.appendingPathComponent("docs/ledger-format.md"), encoding: .utf8)
        let blocks = document.components(separatedBy: "```python\n").dropFirst()
        #expect(blocks.count == 1, "docs/ledger-format.md should print exactly one Python block")
        let block = try #require(blocks.first)
        return try #require(block.components(separatedBy: "\n```").first) + "\n"
    }

    /// Runs the printed verifier on `export`, with the device key when given.
    static func verify(
        _ export: String, key: Curve25519.Signing.PublicKey?, serviceKey: Curve25519.Signing.PublicKey? = nil
    ) throws -> (status: Int32, output: String) {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("verify.py")
        let exportFile = directory.appendingPathComponent("export.jsonl")
        try verifierScript().write(to: script, atomically: true, encoding: .utf8)
        try export.write(to: exportFile, atomically: true, encoding: .utf8)
        var arguments = [script.path, exportFile.path]
        if key != nil || serviceKey != nil {
            // The printed verifier checks signatures with the `cryptography` package (Debian
            // python3-cryptography, installed by Tools/setup); the test installs nothing.
            let probe = try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import cryptography"])
            try #require(probe.status == 0, "python3 cannot import cryptography: run Tools/setup (python3-cryptography)")
            arguments.append(key.map { Hex.encode($0.rawRepresentation) } ?? "-")
            if let serviceKey { arguments.append(Hex.encode(serviceKey.rawRepresentation)) }
        }
        return try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + arguments)
    }

    /// Expects the printed verifier to refuse `lines` at `sequence`, saying `why`.
    static func expectBroken(
        _ lines: [String], at sequence: Int, key: Curve25519.Signing.PublicKey, serviceKey: Curve25519.Signing.PublicKey? = nil,
        _ why: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let verdict = try verify(lines.joined(separator: "\n") + "\n", key: key, serviceKey: serviceKey)
        #expect(verdict.status == 1, "\(why): \(verdict.output)", sourceLocation: sourceLocation)
        #expect(verdict.output == "ledger broken at \(sequence): \(why)\n", sourceLocation: sourceLocation)
    }

    /// The entry's JSON line with its canonical bytes changed by `change`.
    static func replacingBytes(of entry: [String: Any], _ change: (inout [UInt8]) -> Void) throws -> String {
        var entry = entry
        let hex = try #require(entry["bytes"] as? String)
        var bytes = try #require(Hex.decode(hex))
        change(&bytes)
        entry["bytes"] = Hex.encode(bytes)
        return String(decoding: try JSONSerialization.data(withJSONObject: entry), as: UTF8.self)
    }

    static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

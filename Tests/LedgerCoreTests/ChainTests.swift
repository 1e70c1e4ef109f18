import Crypto
import Entitlements
import Identifiers
import LedgerCore
import PropertyBased
import PropertyTesting
import Testing

@Suite struct ChainTests {
    /// A stored row: the sequence it is filed under and its bytes (as a database or export holds them).
    struct Row: Equatable {
        var filedAs: UInt64
        var bytes: [UInt8]
    }

    static func verify(_ rows: [Row], _ checkpoints: [Checkpoint], key: Curve25519.Signing.PublicKey? = Fixture.deviceKey.publicKey)
        -> LedgerVerification
    {
        var verifier = ChainVerifier(start: .genesis(for: Fixture.device), checkpoints: checkpoints, devicePublicKey: key)
        for row in rows { verifier.check(sequence: row.filedAs, bytes: row.bytes) }
        return verifier.finish()
    }

    @Test func anUntouchedLedgerIsIntact() throws {
        let records = (0..<25).map { LedgerRecord.shutdown(at: Fixture.time.adding(seconds: Int64($0))) }
        let ledger = try Fixture.ledger(records, interval: 10)
        let result = ChainVerifier.verify(
            deviceID: Fixture.device, entries: ledger.entries, checkpoints: ledger.checkpoints,
            devicePublicKey: Fixture.deviceKey.publicKey)
        guard case .intact(let summary) = result else {
            Issue.record("expected intact, got \(result)")
            return
        }
        #expect(summary.entryCount == 25)
        #expect(summary.checkpointCount == 3)
        #expect(summary.lastCheckpointSequence == 25)
        #expect(summary.uncheckpointedEntries == 0)
        #expect(summary.head == ChainHead(after: ledger.entries[24]))
    }

    @Test func anEmptyLedgerIsIntact() {
        #expect(Self.verify([], []).isIntact)
    }

    /// The ways someone with write access could change a ledger.
    enum Tampering: CaseIterable {
        case changeRecord, flipByte, remove, swapContents, swapOrder, insertForged, duplicate,
            rewriteFromHere, cutTail, forgeCheckpointSignature, changeCheckpointHash, moveCheckpoint,
            otherDeviceEntry
    }

    /// Every tampering is caught, wherever it happens, as long as a checkpoint covers the end.
    @Test func everyTamperingIsCaught() async {
        let generator = Generator<([LedgerRecord], Int, Tampering, Int, Int, LedgerRecord), Shrink.None<([LedgerRecord], Int, Tampering, Int, Int, LedgerRecord)>> { rng in
            let count = Int.random(in: 2...40, using: &rng)
            return (
                (0..<count).map { _ in Random.record(&rng) }, Int.random(in: 1...10, using: &rng),
                Tampering.allCases.randomElement(using: &rng)!, Int.random(in: 0..<count, using: &rng),
                Int.random(in: 0..<count, using: &rng), Random.record(&rng)
            )
        }
        await propertyCheck(count: 1500, input: generator) { records, interval, tampering, first, second, forgedRecord in
            await failOnThrow {
                let ledger = try Fixture.ledger(records, interval: interval)
                var rows = ledger.entries.map { Row(filedAs: $0.sequence, bytes: $0.canonicalBytes) }
                var checkpoints = ledger.checkpoints
                #expect(Self.verify(rows, checkpoints).isIntact)

                let entry = ledger.entries[first]
                let before = first == 0 ? ChainHead.genesis(for: Fixture.device) : ChainHead(after: ledger.entries[first - 1])
                switch tampering {
                case .changeRecord:
                    var record = entry.record
                    record.fareKopecks = (record.fareKopecks ?? 0) &+ 1
                    rows[first].bytes = try before.seal(record).canonicalBytes
                case .flipByte:
                    rows[first].bytes[second % rows[first].bytes.count] ^= 0x01
                case .remove:
                    rows.remove(at: first)
                case .swapContents:
                    let other = first == second ? (first + 1) % rows.count : second
                    rows.swapAt(first, other)
                    rows[first].filedAs = UInt64(first + 1)
                    rows[other].filedAs = UInt64(other + 1)
                case .swapOrder:
                    rows.swapAt(first, first == second ? (first + 1) % rows.count : second)
                case .insertForged:
                    let forged = try ChainHead(after: entry).seal(forgedRecord)
                    rows.insert(Row(filedAs: forged.sequence, bytes: forged.canonicalBytes), at: first + 1)
                case .duplicate:
                    rows.insert(rows[first], at: first + 1)
                case .rewriteFromHere:
                    // The attacker recomputes every later hash; only a signed checkpoint can tell.
                    var head = before
                    for index in first..<ledger.entries.count {
                        var record = ledger.entries[index].record
                        if index == first { record = forgedRecord == record ? LedgerRecord.shutdown(at: UnixTime(0)) : forgedRecord }
                        let resealed = try head.seal(record)
                        rows[index].bytes = resealed.canonicalBytes
                        head = ChainHead(after: resealed)
                    }
                case .cutTail:
                    rows.removeLast(rows.count - first)
                case .forgeCheckpointSignature:
                    let index = second % checkpoints.count
                    var signature = checkpoints[index].signature
                    signature[first % 64] ^= 0x80
                    checkpoints[index] = try Checkpoint(
                        deviceID: checkpoints[index].deviceID, sequence: checkpoints[index].sequence,
                        chainHash: checkpoints[index].chainHash, signature: signature)
                case .changeCheckpointHash:
                    // Re-signed with a key that is not the device's: hash and signature agree, the key does not.
                    let index = second % checkpoints.count
                    let point = ChainHead(deviceID: Fixture.device, sequence: checkpoints[index].sequence, hash: ChainHash.of([UInt8(first)]))
                    checkpoints[index] = try Checkpoint(signing: point, with: Fixture.serviceKey)
                case .moveCheckpoint:
                    let index = second % checkpoints.count
                    let original = checkpoints[index]
                    let target = original.sequence == UInt64(first + 1) ? UInt64(first + 2) : UInt64(first + 1)
                    checkpoints[index] = try Checkpoint(
                        deviceID: original.deviceID, sequence: target, chainHash: original.chainHash, signature: original.signature)
                case .otherDeviceEntry:
                    let other = try ChainHead(deviceID: DeviceID(Fixture.device.rawValue + 1), sequence: before.sequence, hash: before.hash)
                        .seal(entry.record)
                    rows[first].bytes = other.canonicalBytes
                }
                let result = Self.verify(rows, checkpoints)
                if tampering == .insertForged, first == records.count - 1 {
                    // Appending after the last checkpoint is not tampering the chain can see; the
                    // summary must say that the new end is not covered by a signature.
                    guard case .intact(let summary) = result else {
                        Issue.record("an append after the end is a valid chain: \(result)")
                        return
                    }
                    #expect(summary.uncheckpointedEntries == 1)
                    return
                }
                #expect(!result.isIntact, "\(tampering) at \(first)/\(second) of \(records.count) went unnoticed")
            }
        }
    }

    @Test func theFirstBadSequenceIsReported() throws {
        let records = (0..<10).map { LedgerRecord.shutdown(at: Fixture.time.adding(seconds: Int64($0))) }
        let ledger = try Fixture.ledger(records, interval: 5)
        var rows = ledger.entries.map { Row(filedAs: $0.sequence, bytes: $0.canonicalBytes) }
        rows.remove(at: 3)
        #expect(Self.verify(rows, ledger.checkpoints) == .broken(LedgerFault(sequence: 4, reason: .missingEntries(expected: 4, found: 5))))
        rows = ledger.entries.map { Row(filedAs: $0.sequence, bytes: $0.canonicalBytes) }
        rows[6].bytes = try ChainHead(after: ledger.entries[5]).seal(.shutdown(at: UnixTime(1))).canonicalBytes
        #expect(Self.verify(rows, ledger.checkpoints) == .broken(LedgerFault(sequence: 8, reason: .brokenLink)))
        rows = ledger.entries.map { Row(filedAs: $0.sequence, bytes: $0.canonicalBytes) }
        rows.removeLast(3)
        #expect(Self.verify(rows, ledger.checkpoints) == .broken(LedgerFault(sequence: 10, reason: .checkpointBeyondEnd(lastSequence: 7))))
        #expect(Self.verify(rows, ledger.checkpoints, key: Fixture.serviceKey.publicKey)
            == .broken(LedgerFault(sequence: 5, reason: .checkpointSignatureInvalid)))
    }

    @Test func withoutAKeyCheckpointHashesAreStillMatched() throws {
        let ledger = try Fixture.ledger([.shutdown(at: Fixture.time), .shutdown(at: Fixture.time)], interval: 1)
        let rows = ledger.entries.map { Row(filedAs: $0.sequence, bytes: $0.canonicalBytes) }
        guard case .intact(let summary) = Self.verify(rows, ledger.checkpoints, key: nil) else {
            Issue.record("expected intact")
            return
        }
        #expect(!summary.signaturesChecked)
        let wrong = try Checkpoint(signing: ChainHead(deviceID: Fixture.device, sequence: 1, hash: .genesis(for: 9)), with: Fixture.deviceKey)
        #expect(Self.verify(rows, [wrong], key: nil) == .broken(LedgerFault(sequence: 1, reason: .checkpointHashMismatch)))
    }

    @Test func verificationCanStartAfterPrunedEntries() throws {
        let records = (0..<6).map { LedgerRecord.shutdown(at: Fixture.time.adding(seconds: Int64($0))) }
        let ledger = try Fixture.ledger(records, interval: 2)
        let start = ChainHead(after: ledger.entries[2])
        var verifier = ChainVerifier(start: start, checkpoints: ledger.checkpoints, devicePublicKey: Fixture.deviceKey.publicKey)
        for entry in ledger.entries[3...] { verifier.check(sequence: entry.sequence, bytes: entry.canonicalBytes) }
        guard case .intact(let summary) = verifier.finish() else {
            Issue.record("expected intact")
            return
        }
        #expect(summary.entryCount == 3 && summary.checkpointCount == 3 && summary.start == start)
    }

    @Test func checkpointsAndReceiptsCannotStandInForEachOther() throws {
        let head = ChainHead(deviceID: Fixture.device, sequence: 42, hash: .of([1, 2, 3]))
        let checkpoint = try Checkpoint(signing: head, with: Fixture.deviceKey)
        let receipt = try Receipt(signing: head, with: Fixture.deviceKey)
        #expect(checkpoint.isValid(signedBy: Fixture.deviceKey.publicKey))
        #expect(receipt.isValid(signedBy: Fixture.deviceKey.publicKey))
        #expect(!checkpoint.isValid(signedBy: Fixture.serviceKey.publicKey))
        let swapped = try Receipt(deviceID: head.deviceID, sequence: 42, chainHash: head.hash, signature: checkpoint.signature)
        #expect(!swapped.isValid(signedBy: Fixture.deviceKey.publicKey))
        #expect(checkpoint.signedBytes.prefix(33) == ArraySlice(Array("HromadaCard ledger checkpoint v1".utf8) + [0]))
        #expect(receipt.signedBytes.count == 30 + 4 + 8 + 32)
        #expect(throws: LedgerError(.invalidKey, "")) {
            try Checkpoint(deviceID: 1, sequence: 1, chainHash: head.hash, signature: [0])
        }
    }

    @Test func exportLinesCarryTheBytesAndEscapeText() throws {
        var record = LedgerRecord.tapDeclined(
            at: Fixture.time, card: 0x1234, layout: 1, reasonCode: "say \"ні\",\nпотім\u{1}", route: 3, vehicle: 9)
        record.fareKopecks = 0
        let entry = try ChainHead.genesis(for: Fixture.device).seal(record)
        let line = LedgerExport.jsonLine(entry)
        #expect(line.hasPrefix(#"{"type":"entry","device":501,"sequence":1,"kind":"tap-declined","time":1781503200,"timeUTC":"2026-06-15T06:00:00Z","card":"0000-0000-0000-1234","layout":1,"fareKopecks":0,"route":3,"vehicle":9,"detail":"say \"ні\",\nпотім\u0001","previousHash":""#))
        #expect(line.hasSuffix("\"bytes\":\"\(Hex.encode(entry.canonicalBytes))\"}"))
        let row = LedgerExport.csvRow(entry)
        #expect(row.hasPrefix("1,501,tap-declined,2026-06-15T06:00:00Z,0000-0000-0000-1234,1,,,0,,,3,9,,,\"say \"\"ні\"\",\nпотім\u{1}\",\(entry.hash.hex)"))
        #expect(LedgerExport.csvHeader.split(separator: ",").count == 30)
        // A format 1 entry leaves the format 2 columns empty.
        #expect(row.hasSuffix(",\(entry.hash.hex),1" + String(repeating: ",", count: 12)))
    }

    @Test("The CSV export names the desk kinds and carries the format 2 fields: amount, receipt, other card, card counters, terms")
    func csvCarriesFormatTwo() throws {
        let day = CivilDate(daysSinceEpoch: 20_620)
        var ride = LedgerRecord.benefitUse(
            at: Fixture.time, card: 0x51, layout: 1, entitlement: 2, category: 4, fareKopecks: 0, fullFareKopecks: 1_800, route: 3, vehicle: 9)
        ride.cardCounters = CardCounters(tripSequence: 42, countedRides: 2, countPeriodStart: day)
        let records = [
            LedgerRecord.purseCredit(at: Fixture.time, card: 0x51, layout: 1, amountKopecks: 10_000, receipt: 77, balanceAfterKopecks: 12_500),
            LedgerRecord.cardReplaced(at: Fixture.time, old: 0x51, new: 0x52, balanceMovedKopecks: 12_500),
            LedgerRecord.entitlementWritten(
                at: Fixture.time, card: 0x52, layout: 1, entitlement: 2, category: 4,
                terms: WrittenEntitlementTerms(product: .rides, validFrom: day, validUntil: day.adding(days: 30), rideLimit: 2, ridePeriod: .day)),
            LedgerRecord.cardIssued(at: Fixture.time, card: 0x52, layout: 1, how: "new", counters: CardCounters(tripSequence: 0)),
            LedgerRecord.cardBlocked(at: Fixture.time, card: 0x51, reason: "replaced"),
            LedgerRecord.cardReturned(at: Fixture.time, card: 0x52, reason: "moved-away"),
            ride,
        ]
        var head = ChainHead.genesis(for: Fixture.device)
        let header = LedgerExport.csvHeader.split(separator: ",").map(String.init)
        var rows: [[String: String]] = []
        for record in records {
            let entry = try head.seal(record)
            head = ChainHead(after: entry)
            // No cell here holds a comma or quote, so a plain split reads the row.
            let cells = LedgerExport.csvRow(entry).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(cells.count == header.count)
            rows.append(Dictionary(uniqueKeysWithValues: zip(header, cells)))
        }
        #expect(rows.map { $0["kind"]! } == ["purse-credit", "card-replaced", "entitlement-written", "card-issued", "card-blocked", "card-returned", "benefit-use"])
        #expect(rows.map { $0["format"]! } == ["2", "2", "2", "2", "2", "2", "2"])
        #expect(rows[0]["amount_kopecks"] == "10000")
        #expect(rows[0]["receipt_number"] == "77")
        #expect(rows[0]["purse_balance_after_kopecks"] == "12500")
        #expect(rows[1]["card"] == "0000-0000-0000-0051")
        #expect(rows[1]["other_card"] == "0000-0000-0000-0052")
        #expect(rows[1]["amount_kopecks"] == "12500")
        #expect(rows[2]["product"] == "3")
        #expect(rows[2]["valid_from"] == day.description)
        #expect(rows[2]["valid_until"] == day.adding(days: 30).description)
        #expect(rows[2]["ride_limit"] == "2")
        #expect(rows[2]["ride_period"] == "1")
        #expect(rows[2]["discount_percent"] == "")
        #expect(rows[3]["card_trip_sequence"] == "0")
        #expect(rows[4]["detail"] == "replaced")
        #expect(rows[5]["detail"] == "moved-away")
        #expect(rows[6]["card_trip_sequence"] == "42")
        #expect(rows[6]["counted_rides"] == "2")
        #expect(rows[6]["count_period_start"] == day.description)
        #expect(rows[6]["amount_kopecks"] == "")
    }
}

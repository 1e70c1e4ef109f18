import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import PropertyBased
import PropertyTesting
import Testing

@Suite struct EncodingTests {
    /// The worked example in docs/ledger-format.md: the document and the code must agree byte for byte.
    @Test func workedExampleInTheFormatDocumentMatchesTheCode() throws {
        let entry = try ChainHead.genesis(for: Fixture.device).seal(Fixture.exampleRecord)
        let document = try String(contentsOf: Self.formatDocument, encoding: .utf8)
        let documentedBytes = try #require(Self.value(after: "entry bytes:", in: document))
        let documentedHash = try #require(Self.value(after: "entry hash:", in: document))
        let documentedGenesis = try #require(Self.value(after: "genesis for device 501:", in: document))
        let documentedCheckpoint = try #require(Self.value(after: "checkpoint signed bytes:", in: document))
        #expect(Hex.encode(entry.canonicalBytes) == documentedBytes)
        #expect(entry.hash.hex == documentedHash)
        #expect(ChainHash.genesis(for: Fixture.device).hex == documentedGenesis)
        let checkpoint = try Checkpoint(signing: ChainHead(after: entry), with: Fixture.deviceKey)
        #expect(Hex.encode(checkpoint.signedBytes) == documentedCheckpoint)
        #expect(entry.canonicalBytes.count == 88 + 32)
    }

    /// The Ed25519 vector of docs/ledger-format.md: deterministic RFC 8032 signing, and a
    /// signature whose S is not reduced (S + L) refused.
    @Test func ed25519VectorInTheFormatDocumentHolds() throws {
        let document = try String(contentsOf: Self.formatDocument, encoding: .utf8)
        let publicKey = try #require(Self.value(after: "device public key (seed 32 × 0x11):", in: document))
        let signature = try #require(Self.value(after: "checkpoint signature:", in: document))
        let nonCanonical = try #require(Self.value(after: "same signature, S + L (refused):", in: document))
        #expect(Hex.encode(Fixture.deviceKey.publicKey.rawRepresentation) == publicKey)
        let entry = try ChainHead.genesis(for: Fixture.device).seal(Fixture.exampleRecord)
        let checkpoint = try Checkpoint(signing: ChainHead(after: entry), with: Fixture.deviceKey)
        #expect(Hex.encode(checkpoint.signature) == signature)
        #expect(checkpoint.isValid(signedBy: Fixture.deviceKey.publicKey))

        // The documented bad signature really is R ‖ (S + L), little-endian, and is refused.
        let order: [UInt8] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ]
        var widened = checkpoint.signature
        var carry = 0
        for index in 0..<32 {
            let sum = Int(widened[32 + index]) + Int(order[index]) + carry
            widened[32 + index] = UInt8(sum & 0xFF)
            carry = sum >> 8
        }
        #expect(carry == 0)
        #expect(Hex.encode(widened) == nonCanonical)
        let malleated = try Checkpoint(
            deviceID: checkpoint.deviceID, sequence: checkpoint.sequence, chainHash: checkpoint.chainHash, signature: widened)
        #expect(!malleated.isValid(signedBy: Fixture.deviceKey.publicKey))
    }

    @Test func genesisDependsOnTheDevice() {
        #expect(ChainHash.genesis(for: 1) != ChainHash.genesis(for: 2))
        #expect(ChainHash.genesis(for: 1) == ChainHash.of(Array("HromadaCard ledger genesis v1".utf8) + [0, 0, 0, 1]))
    }

    @Test func entriesRoundTrip() async {
        let generator = Generator<(LedgerRecord, UInt64, [UInt8]), Shrink.None<(LedgerRecord, UInt64, [UInt8])>> { rng in
            (Random.record(&rng), UInt64.random(in: 0...UInt64(Int64.max - 1), using: &rng), Random.bytes(&rng, count: 32))
        }
        await propertyCheck(count: 2000, input: generator) { record, sequence, previous in
            await failOnThrow {
                let head = ChainHead(deviceID: Fixture.device, sequence: sequence, hash: try ChainHash(bytes: previous))
                let entry = try head.seal(record)
                let decoded = try LedgerEntry(canonicalBytes: entry.canonicalBytes)
                #expect(decoded == entry)
                #expect(decoded.record == record)
                #expect(decoded.sequence == sequence + 1)
                #expect(decoded.hash == ChainHash.of(entry.canonicalBytes))
                #expect(entry.canonicalBytes.count == 88 + (record.format == 2 ? 51 : 0) + record.detail.utf8.count + 32)
                #expect(entry.canonicalBytes[0] == record.format)
            }
        }
    }

    /// Any bytes at all: the decoder throws a named error or returns an entry whose bytes are exactly the input.
    @Test func decoderNeverCrashesAndAcceptsOnlyCanonicalBytes() async {
        let generator = Generator<([UInt8], Int, UInt8), Shrink.None<([UInt8], Int, UInt8)>> { rng in
            let entry = try! ChainHead.genesis(for: Fixture.device).seal(Random.record(&rng))
            return (entry.canonicalBytes, Int.random(in: 0..<200, using: &rng), UInt8.random(in: 1...255, using: &rng))
        }
        await propertyCheck(count: 3000, input: generator) { bytes, position, flip in
            await failOnThrow {
                var mutated = bytes
                if position < mutated.count { mutated[position] ^= flip } else { mutated.removeLast(position % mutated.count + 1) }
                do {
                    let decoded = try LedgerEntry(canonicalBytes: mutated)
                    #expect(try LedgerEntry(canonicalBytes: decoded.canonicalBytes).canonicalBytes == mutated)
                    #expect(decoded.hash != ChainHash.of(bytes))
                } catch is LedgerError {
                    // A named refusal is the other acceptable outcome.
                }
            }
        }
        for length in 0..<130 {
            #expect(throws: LedgerError.self) { try LedgerEntry(canonicalBytes: [UInt8](repeating: 0xFF, count: length)) }
        }
    }

    @Test func nonCanonicalFormsAreRefusedByName() throws {
        let entry = try ChainHead.genesis(for: Fixture.device).seal(.shutdown(at: Fixture.time))
        var bytes = entry.canonicalBytes
        // An absent field (card serial, offset 24) with non-zero bytes.
        bytes[31] = 1
        #expect(throws: LedgerError(.nonCanonical, "")) { try LedgerEntry(canonicalBytes: bytes) }
        bytes = entry.canonicalBytes
        bytes[2] = 0x80  // a presence bit beyond the last field
        #expect(throws: LedgerError(.nonCanonical, "")) { try LedgerEntry(canonicalBytes: bytes) }
        bytes = entry.canonicalBytes
        bytes[0] = 3
        #expect(throws: LedgerError(.unsupportedFormat, "")) { try LedgerEntry(canonicalBytes: bytes) }
        bytes = entry.canonicalBytes
        bytes[1] = 0
        #expect(throws: LedgerError(.unknownKind, "")) { try LedgerEntry(canonicalBytes: bytes) }
        #expect(throws: LedgerError(.trailingBytes, "")) { try LedgerEntry(canonicalBytes: entry.canonicalBytes + [0]) }
        #expect(throws: LedgerError(.truncated, "")) { try LedgerEntry(canonicalBytes: Array(entry.canonicalBytes.dropLast())) }
        bytes = entry.canonicalBytes
        bytes[86] = 0
        bytes[87] = 1  // detail length 1, then a lone continuation byte (0x2a… is the hash, but make it invalid)
        bytes.insert(0x80, at: 88)
        #expect(throws: LedgerError(.invalidField, "")) { try LedgerEntry(canonicalBytes: bytes) }
    }

    /// The format 2 worked example in docs/ledger-format.md (a desk's purse credit), byte for byte.
    @Test func deskWorkedExampleInTheFormatDocumentMatchesTheCode() throws {
        let entry = try ChainHead.genesis(for: Fixture.deskDevice).seal(Fixture.deskExampleRecord)
        let document = try String(contentsOf: Self.formatDocument, encoding: .utf8)
        #expect(Hex.encode(entry.canonicalBytes) == (try #require(Self.value(after: "desk entry bytes:", in: document))))
        #expect(entry.hash.hex == (try #require(Self.value(after: "desk entry hash:", in: document))))
        #expect(entry.canonicalBytes.count == 88 + 51 + 32)
        #expect(try LedgerEntry(canonicalBytes: entry.canonicalBytes).record == Fixture.deskExampleRecord)
    }

    /// Records without a format 2 field keep their format 1 bytes, so every old entry's hash stands.
    @Test func formatTwoIsUsedExactlyWhenARecordNeedsIt() throws {
        let genesis = ChainHead.genesis(for: Fixture.device)
        #expect(try genesis.seal(Fixture.exampleRecord).canonicalBytes[0] == 1)
        var counted = Fixture.exampleRecord
        counted.cardCounters = CardCounters(tripSequence: 42, countedRides: 3, countPeriodStart: CivilDate(daysSinceEpoch: 20_600))
        let withCounters = try genesis.seal(counted)
        #expect(withCounters.canonicalBytes[0] == 2)
        // The header is the format 1 header but for its first byte.
        #expect(Array(withCounters.canonicalBytes[1..<88]) == Array(try genesis.seal(Fixture.exampleRecord).canonicalBytes[1..<88]))
        for kind in LedgerEntryKind.allCases {
            #expect(kind.minimumFormat == (kind.rawValue >= 13 ? 2 : 1))
            #expect(!(kind.isDeskAction && kind.isValidatorAction))
        }
        #expect(try genesis.seal(.cardReturned(at: Fixture.time, card: 7, reason: "moved-away")).canonicalBytes[0] == 2)
    }

    @Test func formatTwoNonCanonicalFormsAreRefusedByName() throws {
        let genesis = ChainHead.genesis(for: Fixture.device)
        // A format 1 record written as format 2 with an empty extension.
        let shutdown = try genesis.seal(.shutdown(at: Fixture.time)).canonicalBytes
        let padded = [2] + Array(shutdown[1..<88]) + [UInt8](repeating: 0, count: 51) + Array(shutdown[88...])
        #expect(throws: LedgerError(.nonCanonical, "")) { try LedgerEntry(canonicalBytes: padded) }
        // A desk kind in format 1.
        var deskInFormatOne = shutdown
        deskInFormatOne[1] = LedgerEntryKind.cardBlocked.rawValue
        #expect(throws: LedgerError(.nonCanonical, "")) { try LedgerEntry(canonicalBytes: deskInFormatOne) }
        let credit = try ChainHead.genesis(for: Fixture.deskDevice).seal(Fixture.deskExampleRecord).canonicalBytes
        var bytes = credit
        bytes[88] |= 0x80  // an extension bit beyond the last field
        #expect(throws: LedgerError(.nonCanonical, "")) { try LedgerEntry(canonicalBytes: bytes) }
        bytes = credit
        bytes[113] = 1  // the other card serial, absent, not zero
        #expect(throws: LedgerError(.nonCanonical, "")) { try LedgerEntry(canonicalBytes: bytes) }
        bytes = credit
        bytes[89] |= 0x80  // counted rides without the trip sequence
        #expect(throws: LedgerError(.nonCanonical, "")) { try LedgerEntry(canonicalBytes: bytes) }
        // A ride limit without its period cannot be encoded.
        var terms = WrittenEntitlementTerms(product: .rides, validFrom: CivilDate(daysSinceEpoch: 1), validUntil: CivilDate(daysSinceEpoch: 2))
        terms.rideLimit = 30
        #expect(throws: LedgerError(.invalidField, "")) {
            try genesis.seal(.entitlementWritten(at: Fixture.time, card: 1, layout: 1, entitlement: 2, category: 3, terms: terms))
        }
        // An unknown product kind.
        let written = try genesis.seal(.entitlementWritten(
            at: Fixture.time, card: 1, layout: 1, entitlement: 2, category: 3,
            terms: WrittenEntitlementTerms(product: .free, validFrom: CivilDate(daysSinceEpoch: 1), validUntil: CivilDate(daysSinceEpoch: 2))))
        bytes = written.canonicalBytes
        bytes[122] = 0xEE
        #expect(throws: LedgerError(.invalidField, "")) { try LedgerEntry(canonicalBytes: bytes) }
    }

    @Test func deskConstructorsSetTheirKindsFields() {
        let replaced = LedgerRecord.cardReplaced(at: Fixture.time, old: 5, new: 6, balanceMovedKopecks: 4200)
        #expect(replaced.kind == .cardReplaced && replaced.cardSerial == 5 && replaced.otherCardSerial == 6 && replaced.amountKopecks == 4200)
        let credit = LedgerRecord.purseCredit(at: Fixture.time, card: 5, amountKopecks: 10_000, receipt: 77)
        #expect(credit.receiptNumber == 77 && credit.purseBalanceAfterKopecks == nil && credit.fareKopecks == nil)
        let blocked = LedgerRecord.cardBlocked(at: Fixture.time, card: 5, reason: "lost")
        #expect(blocked.detail == "lost" && blocked.kind.isDeskAction)
    }

    @Test func detailLongerThan1024BytesIsRefused() throws {
        var record = LedgerRecord.configurationChanged(at: Fixture.time, description: String(repeating: "ї", count: 512))
        #expect(try ChainHead.genesis(for: Fixture.device).seal(record).canonicalBytes.count == 88 + 1024 + 32)
        record.detail += "x"
        #expect(throws: LedgerError(.tooLarge, "")) { try ChainHead.genesis(for: Fixture.device).seal(record) }
    }

    @Test func namedConstructorsSetTheirKindsFields() {
        let clock = LedgerRecord.clockAdjusted(from: UnixTime(1000), to: UnixTime(940), source: "gnss")
        #expect(clock.kind == .clockAdjusted && clock.deviceTime == UnixTime(940) && clock.clockCorrectionSeconds == -60)
        let abandoned = LedgerRecord.cardTransactionAbandoned(at: Fixture.time, card: 5, pending: 41, why: "card-removed")
        #expect(abandoned.relatedSequence == 41 && abandoned.detail == "card-removed" && abandoned.fareKopecks == nil)
        #expect(Set(LedgerEntryKind.allCases.map(\.name)).count == LedgerEntryKind.allCases.count)
    }

    // MARK: Helpers

    static let formatDocument = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/ledger-format.md")

    /// The hex on the line that starts with `label` (inside the document's example block).
    static func value(after label: String, in document: String) -> String? {
        for line in document.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(label) {
                return trimmed.dropFirst(label.count).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

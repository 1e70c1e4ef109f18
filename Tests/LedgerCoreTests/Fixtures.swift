import Crypto
import Entitlements
import Identifiers
import LedgerCore
import Testing

/// Deterministic keys and random ledgers for the tests.
enum Fixture {
    static let device: DeviceID = 501
    static let deviceKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x11, count: 32))
    static let serviceKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x22, count: 32))
    static let time = UnixTime(1_781_503_200)  // 2026-06-15T06:00:00Z

    /// The record of the worked example in docs/ledger-format.md.
    static let exampleRecord = LedgerRecord.benefitUse(
        at: time, card: 0x00AA_BBCC_DDEE_0001, layout: 1, entitlement: 7, category: 1, fareKopecks: 0,
        fullFareKopecks: 1500, route: 1, vehicle: 11)

    /// The desk of the format 2 worked example in docs/ledger-format.md.
    static let deskDevice: DeviceID = 900

    /// The record of the format 2 worked example: a desk credits 100.00 ₴ under receipt 2026000017.
    static let deskExampleRecord = LedgerRecord.purseCredit(
        at: UnixTime(1_781_508_600), card: 0x00AA_BBCC_DDEE_0001, layout: 1, amountKopecks: 10_000, receipt: 2_026_000_017,
        balanceAfterKopecks: 12_500)

    /// A ledger of `records` from genesis, with a checkpoint every `interval` entries and one at the end.
    static func ledger(_ records: [LedgerRecord], interval: Int) throws -> (entries: [LedgerEntry], checkpoints: [Checkpoint]) {
        var head = ChainHead.genesis(for: device)
        var entries: [LedgerEntry] = []
        var checkpoints: [Checkpoint] = []
        for record in records {
            let entry = try head.seal(record)
            entries.append(entry)
            head = ChainHead(after: entry)
            if entry.sequence % UInt64(interval) == 0 || entry.sequence == UInt64(records.count) {
                checkpoints.append(try Checkpoint(signing: head, with: deviceKey))
            }
        }
        return (entries, checkpoints)
    }
}

/// Random values for property tests, drawn from a passed-in generator.
enum Random {
    static func record(_ rng: inout some RandomNumberGenerator) -> LedgerRecord {
        func present(_ rng: inout some RandomNumberGenerator) -> Bool { Bool.random(using: &rng) }
        let detailAlphabet = Array("abc-xyz 019 Київ ґєїі ✓\"\\,\n")
        let detailLength = Int.random(in: 0...12, using: &rng)
        let detail = String((0..<detailLength).map { _ in detailAlphabet.randomElement(using: &rng)! })
        return LedgerRecord(
            kind: LedgerEntryKind.allCases.randomElement(using: &rng)!,
            deviceTime: UnixTime(Int64.random(in: Int64.min...Int64.max, using: &rng)),
            cardSerial: present(&rng) ? CardSerial(UInt64.random(in: 0...UInt64.max, using: &rng)) : nil,
            layoutVersion: present(&rng) ? LayoutVersion(UInt16.random(in: 0...UInt16.max, using: &rng)) : nil,
            entitlementID: present(&rng) ? EntitlementID(UInt32.random(in: 0...UInt32.max, using: &rng)) : nil,
            category: present(&rng) ? CategoryCode(UInt16.random(in: 0...UInt16.max, using: &rng)) : nil,
            fareKopecks: present(&rng) ? Int64.random(in: Int64.min...Int64.max, using: &rng) : nil,
            fullFareKopecks: present(&rng) ? Int64.random(in: -1000...100_000, using: &rng) : nil,
            purseBalanceAfterKopecks: present(&rng) ? Int64.random(in: Int64.min...Int64.max, using: &rng) : nil,
            route: present(&rng) ? RouteNumber(UInt16.random(in: 0...UInt16.max, using: &rng)) : nil,
            vehicle: present(&rng) ? VehicleID(UInt32.random(in: 0...UInt32.max, using: &rng)) : nil,
            relatedSequence: present(&rng) ? UInt64.random(in: 0...UInt64.max, using: &rng) : nil,
            clockCorrectionSeconds: present(&rng) ? Int64.random(in: Int64.min...Int64.max, using: &rng) : nil,
            detail: detail,
            amountKopecks: present(&rng) ? Int64.random(in: Int64.min...Int64.max, using: &rng) : nil,
            receiptNumber: present(&rng) ? UInt64.random(in: 0...UInt64.max, using: &rng) : nil,
            otherCardSerial: present(&rng) ? CardSerial(UInt64.random(in: 0...UInt64.max, using: &rng)) : nil,
            entitlementTerms: present(&rng) ? terms(&rng) : nil,
            cardCounters: present(&rng) ? counters(&rng) : nil)
    }

    static func terms(_ rng: inout some RandomNumberGenerator) -> WrittenEntitlementTerms {
        let limited = Bool.random(using: &rng)
        return WrittenEntitlementTerms(
            product: ProductKind.allCases.randomElement(using: &rng)!,
            validFrom: CivilDate(daysSinceEpoch: Int32.random(in: Int32.min...Int32.max, using: &rng)),
            validUntil: CivilDate(daysSinceEpoch: Int32.random(in: Int32.min...Int32.max, using: &rng)),
            rideLimit: limited ? UInt16.random(in: 0...UInt16.max, using: &rng) : nil,
            ridePeriod: limited ? RidePeriod.allCases.randomElement(using: &rng)! : nil,
            discountPercent: Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : nil)
    }

    static func counters(_ rng: inout some RandomNumberGenerator) -> CardCounters {
        let counted = Bool.random(using: &rng)
        return CardCounters(
            tripSequence: UInt32.random(in: 0...UInt32.max, using: &rng),
            countedRides: counted ? UInt32.random(in: 0...UInt32.max, using: &rng) : nil,
            countPeriodStart: counted ? CivilDate(daysSinceEpoch: Int32.random(in: Int32.min...Int32.max, using: &rng)) : nil)
    }

    static func bytes(_ rng: inout some RandomNumberGenerator, count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}


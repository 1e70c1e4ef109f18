import Entitlements
import Identifiers
import LedgerCore

/// The fields of an entry that the `entries` table repeats in columns of their own (schema 5),
/// so that a month of entries can be found by card, route or time without decoding every row.
///
/// The canonical bytes stay the record: every column is derived from them, at ingest from the
/// very entry whose bytes are stored and by the migration's backfill from the stored bytes, so
/// the two agree by construction. `AccountingStorage.verifyEntryColumns` checks that they still
/// do (a column edited by hand, a bug in a later migration).
///
/// Every value is a signed 64-bit integer, the one integer type both engines store. A card
/// serial and a related sequence are unsigned 64-bit numbers and are stored as the same 64 bits
/// (`Int64(bitPattern:)`): equality and look-ups are exact; only their order differs above 2⁶³.
public struct EntryColumns: Hashable, Sendable {
    /// `LedgerEntryKind`'s code.
    public var kind: Int64
    /// The device clock, Unix seconds.
    public var deviceTime: Int64
    /// The card serial's 64 bits.
    public var cardSerial: Int64?
    /// The card layout version.
    public var layoutVersion: Int64?
    /// The benefit category code.
    public var category: Int64?
    /// The entitlement id.
    public var entitlement: Int64?
    /// The fare charged, kopecks.
    public var fare: Int64?
    /// The full fare, kopecks.
    public var fullFare: Int64?
    /// The purse balance after a debit, kopecks.
    public var purseBalanceAfter: Int64?
    /// The route number.
    public var route: Int64?
    /// The vehicle number.
    public var vehicle: Int64?
    /// The related entry's sequence, as 64 bits.
    public var relatedSequence: Int64?
    /// The clock correction, seconds.
    public var clockCorrection: Int64?
    /// A desk's amount: a purse credit, or the balance moved by a replacement, kopecks (schema 7).
    public var amount: Int64?
    /// A desk's receipt number, as 64 bits (schema 7).
    public var receiptNumber: Int64?
    /// The new card of a replacement, as 64 bits (schema 7).
    public var otherCardSerial: Int64?
    /// The card's trip sequence after a ride (schema 7).
    public var cardTripSequence: Int64?

    /// The columns of `record`.
    public init(_ record: LedgerRecord) {
        kind = Int64(record.kind.rawValue)
        deviceTime = record.deviceTime.rawValue
        cardSerial = record.cardSerial.map { Int64(bitPattern: $0.rawValue) }
        layoutVersion = record.layoutVersion.map { Int64($0.rawValue) }
        category = record.category.map { Int64($0.rawValue) }
        entitlement = record.entitlementID.map { Int64($0.rawValue) }
        fare = record.fareKopecks
        fullFare = record.fullFareKopecks
        purseBalanceAfter = record.purseBalanceAfterKopecks
        route = record.route.map { Int64($0.rawValue) }
        vehicle = record.vehicle.map { Int64($0.rawValue) }
        relatedSequence = record.relatedSequence.map { Int64(bitPattern: $0) }
        clockCorrection = record.clockCorrectionSeconds
        amount = record.amountKopecks
        receiptNumber = record.receiptNumber.map { Int64(bitPattern: $0) }
        otherCardSerial = record.otherCardSerial.map { Int64(bitPattern: $0.rawValue) }
        cardTripSequence = record.cardCounters.map { Int64($0.tripSequence) }
    }

    /// Columns from their values in `names` order.
    init(values: [Int64?]) {
        kind = values[0] ?? -1
        deviceTime = values[1] ?? Int64.min
        cardSerial = values[2]
        layoutVersion = values[3]
        category = values[4]
        entitlement = values[5]
        fare = values[6]
        fullFare = values[7]
        purseBalanceAfter = values[8]
        route = values[9]
        vehicle = values[10]
        relatedSequence = values[11]
        clockCorrection = values[12]
        amount = values[13]
        receiptNumber = values[14]
        otherCardSerial = values[15]
        cardTripSequence = values[16]
    }

    /// The SQL column names, in the order of `values`.
    public static let names = schema5Names + schema7Names

    /// The columns as schema 5 had them (its backfill writes exactly these; a released step never changes).
    static let schema5Names = [
        "kind", "device_time", "card_serial", "layout_version", "category", "entitlement", "fare", "full_fare",
        "purse_balance_after", "route", "vehicle", "related_sequence", "clock_correction",
    ]

    /// The columns schema 7 added for format 2 entries (docs/ledger-format.md, "Format 2"). No
    /// stored row needs a backfill: entries before schema 7 are all format 1, which has none of them.
    static let schema7Names = ["amount", "receipt_number", "other_card_serial", "card_trip_sequence"]

    /// The values in `names` order.
    public var values: [Int64?] {
        [
            kind, deviceTime, cardSerial, layoutVersion, category, entitlement, fare, fullFare, purseBalanceAfter, route, vehicle,
            relatedSequence, clockCorrection, amount, receiptNumber, otherCardSerial, cardTripSequence,
        ]
    }

    /// Calls `body` with each value in `names` order: `values` without making an array (the
    /// ingest binds 1000 entries' values a batch, on the one thread that writes).
    @inlinable
    public func forEachValue(_ body: (Int64?) throws -> Void) rethrows {
        try body(kind)
        try body(deviceTime)
        try body(cardSerial)
        try body(layoutVersion)
        try body(category)
        try body(entitlement)
        try body(fare)
        try body(fullFare)
        try body(purseBalanceAfter)
        try body(route)
        try body(vehicle)
        try body(relatedSequence)
        try body(clockCorrection)
        try body(amount)
        try body(receiptNumber)
        try body(otherCardSerial)
        try body(cardTripSequence)
    }

    /// The values of `schema5Names`, for schema 5's backfill.
    var schema5Values: ArraySlice<Int64?> { values.prefix(Self.schema5Names.count) }

    /// The columns that were added by schema 5 (`kind` and `device_time` are as old as the table).
    static var addedNames: ArraySlice<String> { schema5Names.dropFirst(2) }
}

/// A stored column that does not say what the entry's canonical bytes say.
public struct EntryColumnMismatch: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The row's device.
    public var device: UInt32
    /// The row's sequence.
    public var sequence: UInt64
    /// The column (`card_serial`, `fare`, …; `bytes` when the bytes do not decode at all).
    public var column: String
    /// What the column holds (`null` for none).
    public var stored: String
    /// What the bytes say it should hold.
    public var expected: String

    /// Creates a mismatch.
    public init(device: UInt32, sequence: UInt64, column: String, stored: String, expected: String) {
        self.device = device
        self.sequence = sequence
        self.column = column
        self.stored = stored
        self.expected = expected
    }

    /// `17:3 fare: stored 0, bytes say 1500`.
    public var description: String { "\(device):\(sequence) \(column): stored \(stored), bytes say \(expected)" }
}

/// What `AccountingStorage.verifyEntryColumns` found.
public struct EntryColumnCheck: Hashable, Sendable {
    /// Rows read.
    public var checkedEntries: Int
    /// The disagreements found, in (device, sequence) order (at most the number asked for).
    public var mismatches: [EntryColumnMismatch]
    /// Whether more disagreements were found than `mismatches` holds.
    public var truncated: Bool

    /// Creates a result.
    public init(checkedEntries: Int, mismatches: [EntryColumnMismatch], truncated: Bool) {
        self.checkedEntries = checkedEntries
        self.mismatches = mismatches
        self.truncated = truncated
    }

    /// Whether every column agreed with its bytes.
    public var isClean: Bool { mismatches.isEmpty }
}

/// One row of `entries` as stored, every column: what `verifyEntryColumns` compares.
public struct StoredEntryRow: Hashable, Sendable {
    /// The row's `device_id`.
    public var device: Int64
    /// The row's `sequence`.
    public var sequence: Int64
    /// The canonical bytes.
    public var bytes: [UInt8]
    /// The stored hash.
    public var hash: [UInt8]
    /// The derived columns as stored.
    public var columns: [Int64?]

    /// Creates a row.
    public init(device: Int64, sequence: Int64, bytes: [UInt8], hash: [UInt8], columns: [Int64?]) {
        self.device = device
        self.sequence = sequence
        self.bytes = bytes
        self.hash = hash
        self.columns = columns
    }

    /// Where this row disagrees with its own bytes.
    func mismatches() -> [EntryColumnMismatch] {
        let device = UInt32(truncatingIfNeeded: self.device)
        let sequence = UInt64(bitPattern: self.sequence)
        func show(_ value: Int64?) -> String { value.map(String.init) ?? "null" }
        let entry: LedgerEntry
        do {
            entry = try LedgerEntry(canonicalBytes: bytes)
        } catch {
            return [EntryColumnMismatch(device: device, sequence: sequence, column: "bytes", stored: "\(bytes.count) bytes", expected: "an entry (\(error))")]
        }
        var out: [EntryColumnMismatch] = []
        if Int64(entry.deviceID.rawValue) != self.device {
            out.append(EntryColumnMismatch(device: device, sequence: sequence, column: "device_id", stored: String(self.device), expected: String(entry.deviceID.rawValue)))
        }
        if Int64(bitPattern: entry.sequence) != self.sequence {
            out.append(EntryColumnMismatch(device: device, sequence: sequence, column: "sequence", stored: String(self.sequence), expected: String(entry.sequence)))
        }
        if entry.hash.bytes != hash {
            out.append(EntryColumnMismatch(device: device, sequence: sequence, column: "hash", stored: Hex.encode(hash), expected: entry.hash.hex))
        }
        let expected = EntryColumns(entry.record).values
        for (index, name) in EntryColumns.names.enumerated() where columns[index] != expected[index] {
            out.append(EntryColumnMismatch(device: device, sequence: sequence, column: name, stored: show(columns[index]), expected: show(expected[index])))
        }
        return out
    }
}

import Entitlements
import Identifiers
import LedgerCore

/// A card's trip record as a pending entry names it: the validator that wrote it, the card's
/// own tap counter (wrapping at 65536) and the tap's time (docs/ledger-format.md, "Pending").
struct TripStamp: Hashable, Sendable, BitwiseCopyable {
    var device: DeviceID
    var cardSequence: UInt16
    var time: UnixTime
}

/// The parts of a pending entry's detail text: `ride trip=D/S/T charges=a,b` or `block trip=-`.
///
/// Read here rather than through the validator's own type, which lives in an adapter target;
/// the text is specified in docs/ledger-format.md, so an independent reader is what an auditor
/// would write too.
struct PendingDetail: Hashable, Sendable {
    /// `ride` or `block`.
    var purpose: String
    /// The trip record the tap writes, if any.
    var trip: TripStamp?
    /// The charge kinds the tap is recorded as once committed.
    var charges: [LedgerEntryKind]

    static let kindsByName = Dictionary(uniqueKeysWithValues: LedgerEntryKind.allCases.map { ($0.name, $0) })

    init?(_ detail: String) {
        // Every tap writes one, and validators write ASCII: such a detail is read from the
        // text's own bytes in place (no generic walk over a string view, no array made), which
        // reads the same parts as the general reading below at a fraction of its cost.
        var text = detail
        switch text.withUTF8({ PendingDetail.readASCII($0) }) {
        case .read(let parsed):
            self = parsed
            return
        case .refused:
            return nil
        case .notASCII:
            break
        }
        var purpose: String?
        var trip: TripStamp?
        var charges: [LedgerEntryKind] = []
        for part in detail.split(separator: " ") {
            if part == "ride" || part == "block" {
                purpose = String(part)
            } else if part.hasPrefix("trip=") {
                let fields = part.dropFirst(5).split(separator: "/")
                if fields.count == 3, let device = UInt32(fields[0]), let sequence = UInt16(fields[1]), let time = Int64(fields[2]) {
                    trip = TripStamp(device: DeviceID(device), cardSequence: sequence, time: UnixTime(time))
                }
            } else if part.hasPrefix("charges=") {
                for name in part.dropFirst(8).split(separator: ",") {
                    guard let kind = PendingDetail.kindsByName[String(name)] else { return nil }
                    charges.append(kind)
                }
            }
        }
        guard let purpose else { return nil }
        self.init(purpose: purpose, trip: trip, charges: charges)
    }

    private init(purpose: String, trip: TripStamp?, charges: [LedgerEntryKind]) {
        self.purpose = purpose
        self.trip = trip
        self.charges = charges
    }

    /// What reading a detail's bytes gave.
    private enum ByteReading {
        case read(PendingDetail)
        /// Not a pending detail: no purpose, or a charge of no known kind.
        case refused
        /// A byte outside ASCII: the general reading decides.
        case notASCII
    }

    /// The charges of one kind, each array made once and shared: a tap charges one kind, or
    /// two (a ride and its purse debit), so reading a detail then allocates nothing.
    private static let oneKind: [[LedgerEntryKind]] = (0...Int(UInt8.max)).map { raw in
        LedgerEntryKind(rawValue: UInt8(raw)).map { [$0] } ?? []
    }

    /// The kinds a tap charges, whose pairs are shared too (`chargePairs`).
    private static let chargeKinds: [LedgerEntryKind] = [.rideAccepted, .benefitUse, .purseDebit]
    private static let chargePairs: [[LedgerEntryKind]] = chargeKinds.flatMap { first in chargeKinds.map { [first, $0] } }

    /// `[first, second]`, shared when both are kinds a tap charges.
    private static func pair(_ first: LedgerEntryKind, _ second: LedgerEntryKind) -> [LedgerEntryKind] {
        guard let one = chargeKinds.firstIndex(of: first), let other = chargeKinds.firstIndex(of: second) else { return [first, second] }
        return chargePairs[one * chargeKinds.count + other]
    }

    /// The same reading over an ASCII text's bytes (a space, `/` and `,` are single bytes there,
    /// so splitting bytes splits the same parts as splitting characters).
    private static func readASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> ByteReading {
        for byte in bytes where byte >= 0x80 { return .notASCII }
        var purpose: String?
        var trip: TripStamp?
        // The first two charges are kept aside; an array is made only for a third.
        var firstCharge: LedgerEntryKind?
        var secondCharge: LedgerEntryKind?
        var charges: [LedgerEntryKind] = []
        var unknownCharge = false
        forEachPart(of: bytes, separatedBy: UInt8(ascii: " ")) { part in
            if matches(part, "ride") {
                purpose = "ride"
            } else if matches(part, "block") {
                purpose = "block"
            } else if hasPrefix(part, "trip=") {
                // The non-empty `/`-separated fields; a stamp has exactly three.
                var count = 0
                var fields = (UnsafeBufferPointer<UInt8>(start: nil, count: 0), UnsafeBufferPointer<UInt8>(start: nil, count: 0),
                    UnsafeBufferPointer<UInt8>(start: nil, count: 0))
                forEachPart(of: UnsafeBufferPointer(rebasing: part.dropFirst(5)), separatedBy: UInt8(ascii: "/")) { field in
                    count += 1
                    switch count {
                    case 1: fields.0 = field
                    case 2: fields.1 = field
                    case 3: fields.2 = field
                    default: break
                    }
                }
                if count == 3, let device = integer(fields.0, as: UInt32.self), let sequence = integer(fields.1, as: UInt16.self),
                    let time = integer(fields.2, as: Int64.self)
                {
                    trip = TripStamp(device: DeviceID(device), cardSequence: sequence, time: UnixTime(time))
                }
            } else if hasPrefix(part, "charges=") {
                forEachPart(of: UnsafeBufferPointer(rebasing: part.dropFirst(8)), separatedBy: UInt8(ascii: ",")) { name in
                    guard let kind = kind(named: name) else {
                        unknownCharge = true
                        return
                    }
                    if !charges.isEmpty {
                        charges.append(kind)
                    } else if firstCharge == nil {
                        firstCharge = kind
                    } else if secondCharge == nil {
                        secondCharge = kind
                    } else if let first = firstCharge, let second = secondCharge {
                        charges = [first, second, kind]
                    }
                }
            }
        }
        guard !unknownCharge, let purpose else { return .refused }
        if charges.isEmpty, let first = firstCharge {
            charges = secondCharge.map { pair(first, $0) } ?? oneKind[Int(first.rawValue)]
        }
        return .read(PendingDetail(purpose: purpose, trip: trip, charges: charges))
    }

    /// Calls `body` with each non-empty part of `bytes` between `separator`s, in order.
    private static func forEachPart(
        of bytes: UnsafeBufferPointer<UInt8>, separatedBy separator: UInt8, _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != separator { end += 1 }
            if end > start { body(UnsafeBufferPointer(rebasing: bytes[start..<end])) }
            start = end + 1
        }
    }

    /// Whether `part` is exactly `literal`'s bytes.
    private static func matches(_ part: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        part.count == literal.utf8CodeUnitCount && hasPrefix(part, literal)
    }

    /// Whether `part` starts with `literal`'s bytes.
    private static func hasPrefix(_ part: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard part.count >= count else { return false }
        for index in 0..<count where part[index] != literal.utf8Start[index] { return false }
        return true
    }

    /// The kind a charge name names, compared as bytes (no string is made for the kinds a tap charges).
    private static func kind(named name: UnsafeBufferPointer<UInt8>) -> LedgerEntryKind? {
        if matches(name, "benefit-use") { return .benefitUse }
        if matches(name, "ride-accepted") { return .rideAccepted }
        if matches(name, "purse-debit") { return .purseDebit }
        return kindsByName[String(decoding: name, as: UTF8.self)]
    }

    /// The decimal integer `field` spells, as `T(String)` reads it: plain digits are read here,
    /// anything else (a sign) by that reading itself, so both readings agree on every text.
    private static func integer<T: FixedWidthInteger>(_ field: UnsafeBufferPointer<UInt8>, as _: T.Type) -> T? {
        var value: T = 0
        for byte in field {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return T(String(decoding: field, as: UTF8.self)) }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = shifted.addingReportingOverflow(T(digit))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }
}

/// What later evidence says about a pending transaction nobody confirmed or abandoned.
enum PendingOutcome: String, Hashable, Sendable {
    case committed
    case notCommitted = "not-committed"
    case unknown
}

/// A card's tap as its trip counter shows it, wherever it happened.
struct CardTap: Hashable, Sendable, BitwiseCopyable {
    var reference: EntryReference
    var stamp: TripStamp
}

/// Settles a pending tap from the card's later taps on any validator.
///
/// Every tap numbers its trip record one after the card's newest record. So if a later tap of
/// the same card carries the pending tap's counter again, the pending tap never reached the
/// card (not committed); if none does and the card's next tap carries the counter after it,
/// the pending tap's record was on the card (committed). Anything else (no later tap, or a
/// later tap numbered further on, meaning taps we do not hold came between) is unknown.
func resolvePending(_ pending: CardTap, laterTapsOfCard later: [CardTap]) -> (PendingOutcome, CardTap?) {
    let after = later.filter { tapOrder($0, after: pending) }.sorted { tapOrder($1, after: $0) }
    if let reuse = after.first(where: { $0.stamp.cardSequence == pending.stamp.cardSequence }) {
        return (.notCommitted, reuse)
    }
    guard let next = after.first else { return (.unknown, nil) }
    if next.stamp.cardSequence == pending.stamp.cardSequence &+ 1 { return (.committed, next) }
    return (.unknown, next)
}

/// Whether `tap` comes after `other`: by tap time, then device, then sequence (a total order).
func tapOrder(_ tap: CardTap, after other: CardTap) -> Bool {
    (tap.stamp.time, tap.reference) > (other.stamp.time, other.reference)
}

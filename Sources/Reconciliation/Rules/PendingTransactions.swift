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
        // Every tap writes one: an ASCII detail (what validators write) is read byte by byte,
        // which reads the same parts as the general reading below at a fraction of its cost.
        if detail.utf8.allSatisfy({ $0 < 0x80 }) {
            guard let parsed = PendingDetail(ascii: detail) else { return nil }
            self = parsed
            return
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
        self.purpose = purpose
        self.trip = trip
        self.charges = charges
    }

    /// The same reading over an ASCII text's bytes (a space, `/` and `,` are single bytes there,
    /// so splitting bytes splits the same parts as splitting characters).
    private init?(ascii detail: String) {
        var purpose: String?
        var trip: TripStamp?
        var charges: [LedgerEntryKind] = []
        // Parts are found by scanning for the separators, without making arrays of them.
        let bytes = detail.utf8
        var start = bytes.startIndex
        while start != bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: " ")) ?? bytes.endIndex
            let part = bytes[start..<end]
            start = end == bytes.endIndex ? end : bytes.index(after: end)
            if part.isEmpty { continue }
            if part.elementsEqual("ride".utf8) || part.elementsEqual("block".utf8) {
                purpose = String(Substring(part))
            } else if part.starts(with: "trip=".utf8) {
                let fields = part.dropFirst(5)
                // The non-empty `/`-separated fields; a stamp has exactly three.
                var values: (Substring.UTF8View.SubSequence?, Substring.UTF8View.SubSequence?, Substring.UTF8View.SubSequence?)
                var fieldStart = fields.startIndex
                var count = 0
                while fieldStart != fields.endIndex {
                    let fieldEnd = fields[fieldStart...].firstIndex(of: UInt8(ascii: "/")) ?? fields.endIndex
                    if fieldStart != fieldEnd {
                        count += 1
                        switch count {
                        case 1: values.0 = fields[fieldStart..<fieldEnd]
                        case 2: values.1 = fields[fieldStart..<fieldEnd]
                        case 3: values.2 = fields[fieldStart..<fieldEnd]
                        default: break
                        }
                    }
                    fieldStart = fieldEnd == fields.endIndex ? fieldEnd : fields.index(after: fieldEnd)
                }
                if count == 3, let first = values.0, let second = values.1, let third = values.2, let device = UInt32(Substring(first)),
                    let sequence = UInt16(Substring(second)), let time = Int64(Substring(third))
                {
                    trip = TripStamp(device: DeviceID(device), cardSequence: sequence, time: UnixTime(time))
                }
            } else if part.starts(with: "charges=".utf8) {
                let names = part.dropFirst(8)
                var nameStart = names.startIndex
                while nameStart != names.endIndex {
                    let nameEnd = names[nameStart...].firstIndex(of: UInt8(ascii: ",")) ?? names.endIndex
                    if nameStart != nameEnd {
                        guard let kind = PendingDetail.kind(named: names[nameStart..<nameEnd]) else { return nil }
                        charges.append(kind)
                    }
                    nameStart = nameEnd == names.endIndex ? nameEnd : names.index(after: nameEnd)
                }
            }
        }
        guard let purpose else { return nil }
        self.purpose = purpose
        self.trip = trip
        self.charges = charges
    }

    /// The kind a charge name names, compared as bytes (no string is made for the common kinds).
    private static func kind(named name: Substring.UTF8View.SubSequence) -> LedgerEntryKind? {
        for kind in [LedgerEntryKind.benefitUse, .rideAccepted, .purseDebit] where name.elementsEqual(kind.name.utf8) { return kind }
        return kindsByName[String(Substring(name))]
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

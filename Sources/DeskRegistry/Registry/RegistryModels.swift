import Entitlements
import Identifiers

/// A holder's number in the registry. Pseudonymous: it means nothing outside this database.
public typealias HolderID = Int64

/// A person's consent to the processing of their data, as the clerk records it.
public struct ConsentRecord: Hashable, Sendable {
    /// The row id.
    public var id: Int64
    /// When it was given.
    public var givenAt: UnixTime
    /// When it was withdrawn, if it was.
    public var withdrawnAt: UnixTime?
    /// The clerk who recorded it.
    public var clerk: String
    /// The signed form's reference (personal: erasure clears it).
    public var formReference: String?
}

/// One step of a card's status history.
public struct CardStatusRecord: Hashable, Sendable {
    /// What happened.
    public var event: CardStatusEvent
    /// When.
    public var at: UnixTime
    /// Who recorded it.
    public var clerk: String
}

/// A purse credit made at the desk.
public struct PurseCreditRecord: Hashable, Sendable {
    /// Kopecks credited.
    public var kopecks: Int64
    /// When.
    public var at: UnixTime
    /// The receipt number given to the citizen (unique).
    public var receipt: String
    /// Who made it.
    public var clerk: String
}

/// A card as the registry knows it: pseudonymous, kept after the person is erased.
public struct CardRecord: Hashable, Sendable {
    /// The community's card serial.
    public var serial: CardSerial
    /// SHA-256 of the chip's UID (the UID itself is never stored).
    public var uidDigest: [UInt8]
    /// The layout version it was personalized with.
    public var layout: LayoutVersion
    /// The random holder pseudonym the card carries.
    public var pseudonym: [UInt8]
    /// Whose card it is.
    public var holder: HolderID
    /// Its status history, oldest first.
    public var history: [CardStatusRecord]
    /// Entitlements written on it, oldest first (a renewal adds a row).
    public var entitlements: [WrittenEntitlement]
    /// Purse credits, oldest first.
    public var credits: [PurseCreditRecord]

    /// The latest status, or nil if none was recorded.
    public var status: CardStatusEvent? { history.last?.event }
}

/// A card just personalized, as the lifecycle reports it to the registry.
public struct IssuedCard: Hashable, Sendable {
    /// The card serial.
    public var serial: CardSerial
    /// The chip's UID: only its SHA-256 is stored.
    public var uid: [UInt8]
    /// The layout version.
    public var layout: LayoutVersion
    /// The random holder pseudonym written on the card.
    public var pseudonym: [UInt8]
    /// The entitlements written.
    public var entitlements: [WrittenEntitlement]

    /// Creates a record of an issued card.
    public init(serial: CardSerial, uid: [UInt8], layout: LayoutVersion, pseudonym: [UInt8], entitlements: [WrittenEntitlement]) {
        self.serial = serial
        self.uid = uid
        self.layout = layout
        self.pseudonym = pseudonym
        self.entitlements = entitlements
    }
}

/// Everything the registry holds about one holder.
public struct HolderRecord: Hashable, Sendable {
    /// The holder's id.
    public var id: HolderID
    /// The person, or nil once erased.
    public var details: HolderDetails?
    /// When registered.
    public var createdAt: UnixTime
    /// When last changed.
    public var updatedAt: UnixTime
    /// When erased, if erased.
    public var erasedAt: UnixTime?
    /// Consents, oldest first.
    public var consents: [ConsentRecord]
    /// Eligibilities, oldest first.
    public var eligibilities: [HeldEligibility]
    /// Cards, oldest first.
    public var cards: [CardRecord]
}

/// One search result.
public struct HolderSummary: Hashable, Sendable {
    /// The holder's id.
    public var id: HolderID
    /// Full name.
    public var fullName: String
    /// Date of birth.
    public var dateOfBirth: CivilDate
    /// Their cards' serials.
    public var cards: [CardSerial]
}

/// What to search for; every given part must match.
public struct HolderQuery: Hashable, Sendable {
    /// Words of the name, each a prefix of a word of the holder's name (case, apostrophes and
    /// letter composition ignored; `NameKey`).
    public var name: String?
    /// Exact date of birth.
    public var dateOfBirth: CivilDate?
    /// A card serial the holder has or had.
    public var cardSerial: CardSerial?
    /// The identity document (found through the keyed index, never compared in clear).
    public var document: IdentityDocument?

    /// Creates a query.
    public init(name: String? = nil, dateOfBirth: CivilDate? = nil, cardSerial: CardSerial? = nil, document: IdentityDocument? = nil) {
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.cardSerial = cardSerial
        self.document = document
    }

    /// Whether nothing is asked (such a query is refused: it would list everyone).
    public var isEmpty: Bool {
        (name.map { NameKey.tokens($0).isEmpty } ?? true) && dateOfBirth == nil && cardSerial == nil && document == nil
    }
}

/// One page of search results.
public struct SearchPage: Hashable, Sendable {
    /// The holders on this page, by name.
    public var holders: [HolderSummary]
    /// The position of the first one in the whole result.
    public var offset: Int
    /// Whether more results follow.
    public var hasMore: Bool
}

/// An entry of the append-only action journal. Summaries name fields, categories, dates and
/// serials, never a person's name, birth date, address or document number.
public struct JournalEntry: Hashable, Sendable {
    /// Its number.
    public var id: Int64
    /// When.
    public var at: UnixTime
    /// Who.
    public var clerk: String
    /// What (`holder.add`, `card.block`, …).
    public var action: String
    /// Which record (`holder 42`, `card 0123-…`, `import 3`).
    public var subject: String
    /// The state before, summarized.
    public var before: String
    /// The state after, summarized.
    public var after: String
}

/// An eligibility import worked out: what it would change, before it is applied.
public struct ImportPreview: Hashable, Sendable {
    /// The changes.
    public var diff: ImportDiff
    /// The lines read.
    public var lines: Int
}

/// One line of the renewal worklist with the person to contact (nil once erased).
public struct WorklistLine: Hashable, Sendable {
    /// The rule's item.
    public var item: WorklistItem
    /// The holder's name.
    public var fullName: String?
    /// The holder's phone, if given.
    public var phone: String?
}

/// Whether a card event changed the registry or had been recorded already (a re-run after a
/// tear or a crash records nothing twice).
public enum RecordOutcome: Hashable, Sendable {
    /// Recorded now.
    case recorded
    /// Already recorded the same way; nothing changed.
    case alreadyRecorded
}

/// What the card lifecycle tells the registry, one call per event that changed a card. Each
/// call is one transaction with its journal entry, and idempotent: the same call again (the
/// lifecycle resuming after a tear) answers `.alreadyRecorded` and changes nothing; a call
/// contradicting what is recorded (another UID for a serial, another amount for a receipt)
/// throws `RegistryError.refused`.
public protocol CardEventRecorder: Sendable {
    /// A card personalized for `holder`: its digest, layout, pseudonym and entitlements; status
    /// `issued`.
    func recordIssued(_ card: IssuedCard, holder: HolderID, clerk: String, at time: UnixTime) async throws -> RecordOutcome
    /// Entitlements (re)written on a card (a renewal, an added or ended benefit).
    func recordEntitlements(_ entitlements: [WrittenEntitlement], on serial: CardSerial, clerk: String, at time: UnixTime) async throws -> RecordOutcome
    /// A purse credit, under the receipt number printed for the citizen.
    func recordCredit(kopecks: Int64, on serial: CardSerial, receipt: String, clerk: String, at time: UnixTime) async throws -> RecordOutcome
    /// A status change: `active`, `blocked(reason)`, `expired`, `returned`.
    func recordStatus(_ event: CardStatusEvent, of serial: CardSerial, clerk: String, at time: UnixTime) async throws -> RecordOutcome
    /// A replacement: `old` becomes `replaced(by: new.serial)`, `new` is recorded issued to the
    /// same holder.
    func recordReplacement(of old: CardSerial, by new: IssuedCard, clerk: String, at time: UnixTime) async throws -> RecordOutcome
}

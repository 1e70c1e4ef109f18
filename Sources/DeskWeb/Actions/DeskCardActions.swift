import Desk
import DeskOffice
import DeskRegistry
import Entitlements
import Identifiers
import Tariff

/// What one card action did, for the clerk's page: the Desk's own summary (both languages), a
/// printable document for the citizen when there is one, and whether it had been done before.
public struct DeskActionOutcome: Sendable {
    /// The card the page is about (for a replacement: the new card).
    public var serial: CardSerial
    /// The Desk's summary of the action, Ukrainian then English.
    public var summary: String
    /// The printable receipt or statement, when the action gives the citizen one.
    public var printable: String?
    /// Whether an earlier run had done it all (nothing was written now).
    public var wasAlreadyDone: Bool

    /// Creates an outcome.
    public init(serial: CardSerial, summary: String, printable: String? = nil, wasAlreadyDone: Bool) {
        self.serial = serial
        self.summary = summary
        self.printable = printable
        self.wasAlreadyDone = wasAlreadyDone
    }
}

/// Why a card is handed back (deregistration).
public enum ReturnReason: String, Sendable, CaseIterable {
    /// The holder died.
    case death
    /// The holder moved out of the community.
    case movedAway = "moved-away"
    /// The holder no longer needs it.
    case noLongerNeeded = "no-longer-needed"

    /// For the clerk.
    public func text(_ language: WebLanguage) -> String {
        switch self {
        case .death: language.text("смерть власника", "the holder died")
        case .movedAway: language.text("переїзд з громади", "moved away")
        case .noLongerNeeded: language.text("більше не потрібна", "no longer needed")
        }
    }
}

/// What the card on the desk reader holds right now, for the live view.
public struct PlacedCardView: Sendable, Codable, Hashable {
    /// Whether a card is on the reader.
    public var present: Bool
    /// Its serial when it could be read as one of ours.
    public var serial: String?
    /// The Desk's reading of it (entitlements with verdicts, purse), or why it could not be read.
    public var text: String

    /// Creates a view.
    public init(present: Bool, serial: String?, text: String) {
        self.present = present
        self.serial = serial
        self.text = text
    }
}

/// The card actions the web app offers: each performs the action on the card in the desk
/// reader through the Desk library and records it in the registry, restartable as the Desk's
/// actions are (the same request again after a tear resumes and records nothing twice).
///
/// The web app only calls this; the orchestration is `DeskOffice`'s (``OfficeCardActions``),
/// shared with the command line; tests may put a fake behind it.
public protocol DeskCardActions: Sendable {
    /// Personalizes the card on the reader for the order's holder, a benefit for each of their
    /// current eligibilities.
    func issue(_ order: HolderIssueOrder, clerk: String, now: UnixTime) async throws -> DeskActionOutcome
    /// Renews the card on the reader (which must be `serial`).
    func renew(_ serial: CardSerial, clerk: String, now: UnixTime) async throws -> DeskActionOutcome
    /// Credits the purse once under `receipt`; the outcome's printable is the citizen's receipt.
    func topUp(_ serial: CardSerial, kopecks: Int32, receipt: UInt32, clerk: String, now: UnixTime) async throws -> DeskActionOutcome
    /// Blocks `serial`: on the card when `cardAtDesk`, and for the deny list.
    func block(_ serial: CardSerial, reason: DenyList.Reason, cardAtDesk: Bool, clerk: String, now: UnixTime) async throws -> DeskActionOutcome
    /// Step 1 of a replacement: reads and blocks the old card on the reader (or, `oldCardLost`,
    /// takes its balance from the accounting service and its benefits from the registry).
    func prepareReplacement(_ order: ReplacementOrder, oldCardLost: Bool, clerk: String, now: UnixTime) async throws -> DeskActionOutcome
    /// Step 2: issues the new card on the reader from what step 1 read, records the replacement.
    func finishReplacement(_ order: ReplacementOrder, clerk: String, now: UnixTime) async throws -> DeskActionOutcome
    /// Takes back the card on the reader (deregistration).
    func returnCard(_ serial: CardSerial, reason: ReturnReason, clerk: String, now: UnixTime) async throws -> DeskActionOutcome
    /// Deregisters a holder (death, moving away): every live card recorded as returned and
    /// reported for the deny list, without the card.
    func deregister(_ holder: HolderID, reason: ReturnReason, clerk: String, now: UnixTime) async throws -> [DeskActionOutcome]
    /// Reads the card on the reader for a dispute: the printable statement.
    func readForDispute(deskName: String, now: UnixTime) async throws -> DeskActionOutcome
    /// What is on the reader now (no card is not a failure).
    func placedCard(now: UnixTime) async -> PlacedCardView
}

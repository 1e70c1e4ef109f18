import Desk
import DeskRecords
import DeskRegistry
import Entitlements
import Identifiers
import LedgerCore
import SocialCard
import Tariff

/// The desk's one path for card-affecting actions, shared by `hromada-desk` and the web app:
/// each action is done on the card through the `Desk` library, then recorded in the holder
/// registry (``CardEventRecorder``), then reported where it must be (the deny list).
///
/// Recovery rule: the card is the truth. Every step is restartable on its own — the card action
/// recognises a card already done (``CardActionResult/wasAlreadyDone``), every registry record is
/// idempotent (``RecordOutcome/alreadyRecorded``), a deny-list report is made once — so an
/// action torn after the card was written and before the registry took the record is completed
/// by running the same action again: the card is found done and the record is made. A failure
/// after the card write is thrown as ``DeskOfficeError`` `record-incomplete`, which says exactly
/// that to the clerk.
///
/// The clock and the randomness come in as parameters, as in `Desk`; the clerk's name is
/// recorded with every registry event.
public struct DeskOffice: Sendable {
    /// The desk: its setup (keys, layout, categories) and its reader.
    public let desk: IssuanceDesk
    /// The holder registry, or nil for a desk that keeps none (the card is then only written).
    public let registry: HolderRegistry?
    /// Where card events are recorded: the registry unless a test puts something in between.
    let recorder: (any CardEventRecorder)?
    /// The accounting service's deny-list interface, or nil when the desk is offline.
    public let denyList: (any DenyListService)?
    /// The desk's own ledger of card-affecting actions, or nil for a desk that keeps none.
    public let ledger: DeskLedger?

    /// A desk office over `desk`, recording in `registry` (nil: no records) and reporting blocks
    /// to `denyList` (nil: the clerk is told the block was not reported). `recorder` replaces the
    /// registry as the place events are recorded (tests interpose a failing one; nil: the registry).
    /// `ledger` receives one entry per card-affecting action, durable before the action returns.
    public init(
        desk: IssuanceDesk, registry: HolderRegistry?, denyList: (any DenyListService)? = nil, ledger: DeskLedger? = nil,
        recorder: (any CardEventRecorder)? = nil
    ) {
        self.desk = desk
        self.registry = registry
        self.recorder = recorder ?? registry
        self.denyList = denyList
        self.ledger = ledger
    }

    /// The benefit categories of the desk's community.
    public var categories: [BenefitCategory] { desk.setup.categories }
}

/// One registry record an action made (or found made by an earlier run).
public struct RegistryRecord: Hashable, Sendable {
    /// What was recorded.
    public enum Event: Hashable, Sendable {
        /// A card issued to a holder.
        case issued(holder: HolderID)
        /// Entitlements written on the card.
        case entitlements
        /// A purse credit under a receipt number.
        case credit(receipt: String)
        /// A status change.
        case status(CardStatusEvent)
        /// The card replacing `old`.
        case replacement(of: CardSerial)
    }

    /// What was recorded.
    public var event: Event
    /// The card it is about.
    public var serial: CardSerial
    /// Whether this run recorded it or found it recorded already.
    public var outcome: RecordOutcome

    /// Creates a record.
    public init(event: Event, serial: CardSerial, outcome: RecordOutcome) {
        self.event = event
        self.serial = serial
        self.outcome = outcome
    }
}

/// What one desk-office action did: to the card, and to the registry.
public struct DeskOfficeOutcome: Hashable, Sendable {
    /// What the card action did (the words for the clerk: `CardActionText.summary`).
    public var card: CardActionResult
    /// The registry records made or found, in order; empty when the desk keeps no registry.
    public var recorded: [RegistryRecord]
    /// The desk-ledger entries this run appended (none when an earlier run had, or no ledger is kept).
    public var ledgerEntries: [LedgerEntry]

    /// Creates an outcome.
    public init(card: CardActionResult, recorded: [RegistryRecord] = [], ledgerEntries: [LedgerEntry] = []) {
        self.card = card
        self.recorded = recorded
        self.ledgerEntries = ledgerEntries
    }

    /// Whether anything was recorded in this run (false when every record was already there).
    public var recordedNow: Bool { recorded.contains { $0.outcome == .recorded } }
}

/// What a dispute read gives back: the printable statement and the registry's record of the card.
public struct DisputeReading: Hashable, Sendable {
    /// The statement, Ukrainian with English beside (`CardSummary.dispute`).
    public var statement: String
    /// The registry's record of the card (status history, credits), when the desk keeps one and
    /// knows the card.
    public var record: CardRecord?
}

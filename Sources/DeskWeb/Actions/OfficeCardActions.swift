import Desk
import DeskOffice
import DeskRegistry
import Entitlements
import Identifiers
import PCSC
import SocialCard
import Tariff

/// The web app's card actions through `DeskOffice` (the card through the Desk library, the
/// record in the registry, the deny-list report), one card action at a time at the desk's
/// reader: the live view's reads and the clerk's actions never interleave on the card.
public final class OfficeCardActions: DeskCardActions {
    let office: DeskOffice
    let lock = ReaderTurns()
    /// What step 1 of each replacement read, until step 2 issues the new card.
    let sources = ReplacementSources()

    /// The desk's name printed on receipts.
    let deskName: String

    /// Actions through `office`; `deskName` is printed on the citizen's receipts.
    public init(office: DeskOffice, deskName: String = "ЦНАП") {
        self.office = office
        self.deskName = deskName
    }

    var categories: [BenefitCategory] { office.categories }

    func outcome(_ result: DeskOfficeOutcome, printable: String? = nil) -> DeskActionOutcome {
        DeskActionOutcome(
            serial: result.card.serial, summary: CardActionText.summary(result.card, categories: categories), printable: printable,
            wasAlreadyDone: result.card.wasAlreadyDone && !result.recordedNow)
    }

    public func issue(_ order: HolderIssueOrder, clerk: String, now: UnixTime) async throws -> DeskActionOutcome {
        try await lock.turn {
            var random = SystemRandomNumberGenerator()
            return outcome(try await office.issue(order, clerk: clerk, now: now, waiting: {}, using: &random))
        }
    }

    public func renew(_ serial: CardSerial, clerk: String, now: UnixTime) async throws -> DeskActionOutcome {
        try await lock.turn {
            var random = SystemRandomNumberGenerator()
            return outcome(try await office.renew(serial: serial, validUntil: nil, clerk: clerk, now: now, waiting: {}, using: &random))
        }
    }

    public func topUp(_ serial: CardSerial, kopecks: Int32, receipt: UInt32, clerk: String, now: UnixTime) async throws -> DeskActionOutcome {
        try await lock.turn {
            var random = SystemRandomNumberGenerator()
            let result = try await office.topUp(amountKopecks: kopecks, receipt: receipt, serial: serial, clerk: clerk, now: now, waiting: {}, using: &random)
            return outcome(result, printable: CardActionText.topUpReceipt(result.card, desk: deskName))
        }
    }

    public func block(_ serial: CardSerial, reason: DenyList.Reason, cardAtDesk: Bool, clerk: String, now: UnixTime) async throws -> DeskActionOutcome {
        try await lock.turn {
            var random = SystemRandomNumberGenerator()
            var result = outcome(try await office.block(serial, reason: reason, cardAtDesk: cardAtDesk, clerk: clerk, now: now, waiting: {}, using: &random))
            if office.denyList == nil {
                result.summary += "увага: картку не передано до стоп-списку (сервіс обліку не під'єднано)\nwarning: the card was not reported for the deny list (no accounting service)\n"
            }
            return result
        }
    }

    public func prepareReplacement(_ order: ReplacementOrder, oldCardLost: Bool, clerk: String, now: UnixTime) async throws -> DeskActionOutcome {
        try await lock.turn {
            let source: ReplacementSource
            if oldCardLost {
                source = try await office.lostCardSource(order, entitlements: nil, now: now)
            } else {
                var random = SystemRandomNumberGenerator()
                source = try await office.replacementSource(order, now: now, waiting: {}, using: &random).source
            }
            await sources.keep(source, for: order)
            return DeskActionOutcome(
                serial: order.oldSerial,
                summary: """
                    Стару картку \(order.oldSerial.printed) прочитано\(oldCardLost ? " (втрачена: залишок за даними сервісу обліку)" : " і заблоковано на картці"); залишок \(Self.money(source.purseKopecks)) грн перейде на нову.
                    Old card \(order.oldSerial.printed) read\(oldCardLost ? " (lost: the balance from the accounting service)" : " and blocked on the card"); the balance \(Self.money(source.purseKopecks)) UAH moves to the new card.

                    """, wasAlreadyDone: false)
        }
    }

    public func finishReplacement(_ order: ReplacementOrder, clerk: String, now: UnixTime) async throws -> DeskActionOutcome {
        try await lock.turn {
            guard let source = await sources.source(for: order) else {
                throw DeskError(
                    .invalidRequest, ukrainian: "спершу крок 1: покладіть стару картку й прочитайте її (або позначте її втраченою)",
                    english: "do step 1 first: put the old card on the reader and read it (or mark it lost)")
            }
            var random = SystemRandomNumberGenerator()
            let result = try await office.issueReplacement(order, from: source, clerk: clerk, now: now, waiting: {}, using: &random)
            await sources.forget(order)
            return outcome(result)
        }
    }

    public func returnCard(_ serial: CardSerial, reason: ReturnReason, clerk: String, now: UnixTime) async throws -> DeskActionOutcome {
        try await lock.turn {
            var random = SystemRandomNumberGenerator()
            return outcome(try await office.returnCard(serial: serial, clerk: clerk, now: now, waiting: {}, using: &random))
        }
    }

    public func deregister(_ holder: HolderID, reason: ReturnReason, clerk: String, now: UnixTime) async throws -> [DeskActionOutcome] {
        try await lock.turn { try await office.deregister(holder, reason: reason.rawValue, clerk: clerk, now: now).map { outcome($0) } }
    }

    public func readForDispute(deskName: String, now: UnixTime) async throws -> DeskActionOutcome {
        try await lock.turn {
            let setup = office.desk.setup
            var random = SystemRandomNumberGenerator()
            let contents = try await readPlaced(setup: setup, using: &random)
            let reading = try await office.readForDispute(serial: contents.info.serial, deskName: deskName, now: now, waiting: {}, using: &random)
            var summary = CardSummary.read(contents, verdicts: try verdicts(contents, setup: setup, now: now), categories: setup.categories)
            if let record = reading.record, let status = record.status {
                summary += "Реєстр: \(status.ukrainian)\nRegistry: \(status.english)\n"
            }
            return DeskActionOutcome(serial: contents.info.serial, summary: summary, printable: reading.statement, wasAlreadyDone: false)
        }
    }

    public func placedCard(now: UnixTime) async -> PlacedCardView {
        let reader = office.desk.reader
        guard (try? PCSCClient().status(of: reader.name))?.cardPresent == true else {
            return PlacedCardView(present: false, serial: nil, text: "")
        }
        do {
            return try await lock.turn {
                let setup = office.desk.setup
                var random = SystemRandomNumberGenerator()
                let contents = try await readPlaced(setup: setup, using: &random)
                let text = CardSummary.read(contents, verdicts: try verdicts(contents, setup: setup, now: now), categories: setup.categories)
                return PlacedCardView(present: true, serial: contents.info.serial.printed, text: text)
            }
        } catch {
            let failure = DeskError(error)
            if failure.code == .cardRemoved { return PlacedCardView(present: false, serial: nil, text: "") }
            return PlacedCardView(present: true, serial: nil, text: "\(failure.ukrainian)\n\(failure.reason)")
        }
    }

    func readPlaced(setup: DeskSetup, using random: inout SystemRandomNumberGenerator) async throws -> SocialCardContents {
        let cardReader = SocialCardReader(layout: setup.layout, keyring: setup.keyring)
        let reader = PlacedCardReader(name: office.desk.reader.name, wait: .zero)
        return try await reader.withPlacedCard(waiting: {}) { channel in
            try await cardReader.read(from: channel, purpose: .desk, trips: .all, using: &random)
        }
    }

    /// Each entitlement's verdict today, as the Desk's own read gives it.
    func verdicts(_ contents: SocialCardContents, setup: DeskSetup, now: UnixTime) throws -> [EntitlementVerdict?] {
        let trust = try setup.trustStore()
        let layoutVersion = LayoutVersion(UInt16(setup.layout.layout.version))
        return contents.slots.map { slot in
            slot.entitlement.map { trust.verify($0, for: contents.info.serial, layoutVersion: layoutVersion, categories: setup.categories, now: now) }
        }
    }

    static func money(_ kopecks: Int) -> String { Pages.money(Int64(kopecks)) }
}

/// One card action at a time at the reader, in the order they came.
actor ReaderTurns {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func turn<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        }
        busy = true
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}

/// What step 1 of a replacement read, kept in memory for step 2 (the old card is blocked on the
/// card by then, so a lost note only means reading it again, which finds it blocked and reads
/// the same balance).
actor ReplacementSources {
    private var sources: [ReplacementOrder: ReplacementSource] = [:]

    func keep(_ source: ReplacementSource, for order: ReplacementOrder) { sources[order] = source }
    func source(for order: ReplacementOrder) -> ReplacementSource? { sources[order] }
    func forget(_ order: ReplacementOrder) { sources[order] = nil }
}

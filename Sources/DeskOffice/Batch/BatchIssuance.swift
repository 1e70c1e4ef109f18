import Desk
import DeskRecords
import DeskRegistry
import Entitlements
import Identifiers
import SocialCard

/// What happened to one card of a batch.
public struct BatchProgress: Hashable, Sendable {
    /// What became of the card.
    public enum Status: Hashable, Sendable {
        /// Issued (and recorded) in this run.
        case issued
        /// Skipped: the registry records this card issued to this person already (a re-run).
        case alreadyIssued
        /// Not issued; the reason, for the clerk (the batch goes on with the next card).
        case failed(String)
    }

    /// Which card of the batch, from 1.
    public var index: Int
    /// How many cards the batch has.
    public var total: Int
    /// The line of the file.
    public var line: Int
    /// The card's serial.
    public var serial: CardSerial
    /// What became of it.
    public var status: Status
}

/// Issuing a whole file of cards (a school's students): each person found by their document or
/// registered (with the batch's consent reference), their eligibility recorded when it is not
/// already, then their card issued through ``DeskOffice/issue(_:clerk:now:waiting:using:)``.
///
/// Resumable: a card the registry records as issued to the person is skipped, so the same
/// command run again after an interruption (or after failed cards were sorted out) issues only
/// what is left; a card torn mid-way is finished by the issue itself.
extension DeskOffice {
    /// Runs the batch `rows`; `placeCard` is awaited before each card that needs the reader (the
    /// clerk takes the last card away and places the next blank one), `progress` is called after
    /// each card. Returns every card's
    /// progress, in order. Personal data stays in the registry: the progress names lines and
    /// serials only.
    public func issueBatch(
        _ rows: [BatchIssueRow], product: Product, purseKopecks: Int32 = 0, defaultAddress: String, consentFormReference: String?,
        evidence: String, clerk: String, now: UnixTime, placeCard: (BatchIssueRow, Int) async throws -> Void, progress: (BatchProgress) -> Void,
        using generator: inout some RandomNumberGenerator
    ) async throws -> [BatchProgress] {
        guard let registry else {
            throw DeskOfficeError(.refused, ukrainian: "пакетна видача потребує реєстру", english: "batch issuance needs the registry")
        }
        let today = IssuancePolicy.timeZone.local(at: now).date
        var results: [BatchProgress] = []
        for (offset, row) in rows.enumerated() {
            var status: BatchProgress.Status
            do {
                let holder = try await batchHolder(row, registry: registry, defaultAddress: defaultAddress, consent: consentFormReference, clerk: clerk, now: now, today: today)
                if let card = try await registry.card(row.serial) {
                    guard card.holder == holder else { throw DeskOfficeError(.refused, ukrainian: "картку \(row.serial) видано іншій особі", english: "card \(row.serial) is issued to someone else") }
                    status = .alreadyIssued
                } else {
                    try await batchEligibility(row, holder: holder, registry: registry, evidence: evidence, clerk: clerk, now: now, today: today)
                    try await placeCard(row, offset + 1)
                    _ = try await issue(
                        HolderIssueOrder(holder: holder, serial: row.serial, product: product, purseKopecks: purseKopecks), clerk: clerk, now: now, waiting: {},
                        using: &generator)
                    status = .issued
                }
            } catch {
                status = .failed(Self.clerkReason(error))
            }
            let step = BatchProgress(index: offset + 1, total: rows.count, line: row.line, serial: row.serial, status: status)
            results.append(step)
            progress(step)
        }
        return results
    }

    /// The failure in the clerk's words (Ukrainian / English), without personal data.
    static func clerkReason(_ error: any Error) -> String {
        switch error {
        case let error as DeskOfficeError: return "\(error.ukrainian) / \(error.reason)"
        case let error as RegistryError: return "\(error.ukrainian) / \(error.reason)"
        case let error as RegistryRuleError: return "\(error.ukrainian) / \(error.reason)"
        default:
            let desk = DeskError(error)
            return "\(desk.ukrainian) / \(desk.reason)"
        }
    }

    /// The holder of `row`: found by document, or registered.
    func batchHolder(
        _ row: BatchIssueRow, registry: HolderRegistry, defaultAddress: String, consent: String?, clerk: String, now: UnixTime, today: CivilDate
    ) async throws -> HolderID {
        if let found = try await registry.search(HolderQuery(document: row.document), limit: 1).holders.first { return found.id }
        let details = try HolderDetails(
            fullName: row.fullName, dateOfBirth: row.dateOfBirth, address: row.address ?? defaultAddress, document: row.document, today: today)
        return try await registry.addHolder(details, consentFormReference: consent, clerk: clerk, at: now)
    }

    /// Records the row's eligibility unless the holder has one of that category covering today.
    func batchEligibility(
        _ row: BatchIssueRow, holder: HolderID, registry: HolderRegistry, evidence: String, clerk: String, now: UnixTime, today: CivilDate
    ) async throws {
        let category = try IssuancePolicy.category(row.category, in: categories).code
        let held = try await registry.holder(holder)?.eligibilities ?? []
        if held.contains(where: { $0.terms.category == category && $0.terms.covers(today) }) { return }
        let terms = try EligibilityTerms(category: category, evidence: evidence, validFrom: today, validUntil: row.validUntil)
        _ = try await registry.addEligibility(terms, to: holder, clerk: clerk, at: now)
    }
}

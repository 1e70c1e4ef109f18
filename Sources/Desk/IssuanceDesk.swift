import CommunityKeys
import Entitlements
import Identifiers
import SocialCard

/// The issuance desk: issues a card to an order, reads a card back, each as the text the
/// operator is shown.
///
/// The clock and the randomness come in as parameters, so the program decides what they are.
public struct IssuanceDesk: Sendable {
    /// The key directory, layout, keyring and categories.
    public let setup: DeskSetup
    /// The reader cards are placed on.
    public let reader: PlacedCardReader

    /// A desk with `setup` at `reader`.
    public init(setup: DeskSetup, reader: PlacedCardReader) {
        self.setup = setup
        self.reader = reader
    }

    /// Personalizes the card on the reader for `order` at `now` (or finishes a card whose
    /// personalization was interrupted) and returns the summary of what was issued.
    ///
    /// `waiting` is called if the desk has to wait for a card to be placed; `generator` gives the
    /// holder's pseudonym and the authentication challenges (the system's CSPRNG outside tests).
    public func issue(
        _ order: IssueOrder, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> String {
        let (report, plan) = try await issueReport(order, now: now, waiting: waiting, using: &generator)
        return CardSummary.issued(report, plan: plan, categories: setup.categories)
    }

    /// Personalizes the card on the reader for `order` as ``issue(_:now:waiting:using:)`` does
    /// and returns what the run did and the plan it carried out.
    public func issueReport(
        _ order: IssueOrder, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> (report: PersonalizationReport, plan: PersonalizationPlan) {
        let today = IssuancePolicy.timeZone.local(at: now).date
        let category = try IssuancePolicy.category(order.category, in: setup.categories)
        let dates = IssuancePolicy.dates(for: order.product, requestedUntil: order.validUntil, today: today)
        let issuerKey = try setup.directory.issuerKey(order.issuer, now: now)
        let terms = EntitlementTerms(
            id: IssuancePolicy.firstEntitlementID, cardSerial: order.serial,
            layoutVersion: LayoutVersion(UInt16(setup.layout.layout.version)), category: category.code, product: order.product,
            validFrom: dates.validFrom, validUntil: dates.validUntil, issuerKeyID: issuerKey.keyID)
        let entitlement = try terms.signed(with: issuerKey.privateKey, encoding: setup.layout.entitlementEncoding)
        let request = IssuanceRequest(
            serial: order.serial, issueDate: today, expiryDate: dates.cardExpiry,
            holderPseudonym: IssuanceRequest.randomPseudonym(length: setup.layout.pseudonymLength, using: &generator),
            entitlements: [entitlement], purseKopecks: order.purseKopecks, issuedAt: now, issuerDeviceID: issuerKey.keyID.rawValue)
        let plan = try PersonalizationPlan(layout: setup.layout, request: request)
        let personalization = Personalization(plan: plan, keyring: setup.keyring)
        let report = try await reader.withPlacedCard(waiting: waiting) { channel in
            try await personalization.run(on: channel, using: &generator)
        }
        return (report, plan)
    }

    /// Moves the card on the reader from the `former` layout to the desk's layout in one visit
    /// (or finishes a move that was interrupted), keeping its serial, pseudonym, dates, purse
    /// balance, usage counter and trip log; its entitlements are re-signed for the new layout
    /// version with the directory's issuer key valid at `now`. See ``LayoutUpgrade``.
    public func upgrade(
        from former: SocialCardLayout, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> String {
        let target = setup.layout
        let upgrade = LayoutUpgrade(from: former, to: target, keyring: setup.keyring)
        let issuerKey = try setup.directory.issuerKey(nil, now: now)
        let version = LayoutVersion(UInt16(target.layout.version))
        let (report, contents): (PersonalizationReport?, SocialCardContents) = try await reader.withPlacedCard(waiting: waiting) { channel in
            switch try await upgrade.progress(of: channel, using: &generator) {
            case .upgraded(let contents):
                return (nil, contents)
            case .completeBesideFormer(let contents):
                return (try await upgrade.run(nil, on: channel, using: &generator), contents)
            case .former(let contents):
                let entitlements = try contents.entitlements.map { entitlement in
                    var terms = entitlement.terms
                    terms.layoutVersion = version
                    terms.issuerKeyID = issuerKey.keyID
                    return try terms.signed(with: issuerKey.privateKey, encoding: target.entitlementEncoding)
                }
                let plan = try LayoutUpgradePlan(from: former, to: target, source: contents, entitlements: entitlements)
                return (try await upgrade.run(plan, on: channel, using: &generator), contents)
            }
        }
        return CardSummary.upgraded(report, contents: contents, from: former, to: target)
    }

    /// Reads the card on the reader and returns what is on it, with each entitlement's verdict
    /// at `now`.
    public func read(now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator) async throws -> String {
        try await read(now: now, dispute: nil, waiting: waiting, using: &generator)
    }

    /// Reads the card as ``read(now:waiting:using:)`` does; with `dispute` (the desk's name) the
    /// result is the printable dispute statement (``CardSummary/dispute(_:verdicts:categories:printedAt:desk:timeZone:)``).
    public func read(
        now: UnixTime, dispute desk: String?, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> String {
        let cardReader = SocialCardReader(layout: setup.layout, keyring: setup.keyring)
        let contents = try await reader.withPlacedCard(waiting: waiting) { channel in
            try await cardReader.read(from: channel, purpose: .desk, trips: .all, using: &generator)
        }
        let trust = try setup.trustStore()
        let layoutVersion = LayoutVersion(UInt16(setup.layout.layout.version))
        let verdicts: [EntitlementVerdict?] = contents.slots.map { slot in
            slot.entitlement.map {
                trust.verify($0, for: contents.info.serial, layoutVersion: layoutVersion, categories: setup.categories, now: now)
            }
        }
        if let desk {
            return CardSummary.dispute(
                contents, verdicts: verdicts, categories: setup.categories, printedAt: now, desk: desk, timeZone: IssuancePolicy.timeZone)
        }
        return CardSummary.read(contents, verdicts: verdicts, categories: setup.categories)
    }
}

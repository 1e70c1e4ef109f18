import Entitlements
import Identifiers
import LedgerCore
import SmartCard
import Synchronization
import Tariff

/// The rules a tap is decided under: where the validator is, the tariff, the trust anchors and
/// the deny list (all from verified bundles).
public struct TapRules: Sendable {
    /// The validator, vehicle, route and zone.
    public var context: TapContext
    /// The tariff.
    public var tariff: Tariff
    /// Issuer certificates and revocations.
    public var trust: TrustStore
    /// Cards refused on sight.
    public var denyList: DenyList

    /// Creates the rules.
    public init(context: TapContext, tariff: Tariff, trust: TrustStore, denyList: DenyList) {
        self.context = context
        self.tariff = tariff
        self.trust = trust
        self.denyList = denyList
    }
}

/// One tap, from the card in the field to the ledger and the passenger's message.
///
/// The order is what keeps the invariant "every change committed on a card has a ledger entry,
/// and every charge in the ledger happened on the card":
/// 1. read; resolve this card's pending transactions from its trip log (no extra APDU, unless an
///    open pending entry's record lies behind the newest: then the log is read back that far);
/// 2. decide;
/// 3. stage the writes in the card's transaction (a card pulled now rolls back: a declined tap);
/// 4. append the pending entry durably — if the ledger cannot, stop: never commit unrecorded;
///    this is the tap's one fsync, and it also carries every deferred entry before it;
/// 5. send CommitTransaction;
/// 6. answered: write the charges and the confirmation, deferred (on disk with the next fsync;
///    a power loss before then leaves the pending entry open, which the card's next tap
///    settles). Not answered: leave the pending entry open; the card's next tap (or
///    reconciliation) says which way it went.
public struct TapPipeline: Sendable {
    /// The ledger.
    public let ledger: TapLedger
    private let liveRules: LiveRules

    /// Creates a pipeline.
    public init(ledger: TapLedger, rules: TapRules) {
        self.ledger = ledger
        self.liveRules = LiveRules(rules)
    }

    /// The rules taps are decided under now. A tap's decision reads one snapshot of them, so a
    /// bundle installed meanwhile never mixes two tariffs (or deny lists) in one decision.
    public var rules: TapRules { liveRules.current }

    /// Replaces the rules for the taps that start from now on (a newer verified bundle arrived).
    public func install(_ change: (inout TapRules) -> Void) {
        liveRules.update(change)
    }

    /// Runs one tap on `card` (already in the field of `reader`) at `now`.
    ///
    /// Never throws: every failure becomes a declined or uncertain `TapResult` with a reason and,
    /// when the ledger can record, a ledger entry. `shouldStop` is asked just before the commit:
    /// a tap that has run out of time commits nothing.
    public func process<Card: TapCard>(
        _ card: inout Card, reader: String, now: UnixTime, shouldStop: @Sendable () -> Bool = { false }
    ) async -> TapResult {
        var result = TapResult(time: now, reader: reader, verdict: .declined, reason: "", message: .tapAgain)
        let rules = self.rules
        guard await ledger.isInService else {
            return declined(result, code: ValidatorError.Code.outOfService.name, message: .outOfService, card: card)
        }

        var reading: TapReading
        do {
            reading = try await card.read()
        } catch {
            return await failedBeforeCommit(result, error: error, serial: nil, layout: nil, card: card, shouldStop: shouldStop)
        }
        let serial = reading.state.serial
        result.cardSerial = serial
        // An open pending entry whose record rides elsewhere pushed back from the newest: read
        // the log back that far (only then: an ordinary tap sends nothing more).
        if let behind = await ledger.tripRecordsBehindNewestNeeded(for: reading) {
            do {
                let skipped = reading.trips.count
                let older = try await card.readOlderTrips(skippingNewest: skipped, count: behind - skipped + 1)
                reading.trips = older + reading.trips
            } catch {
                return await failedBeforeCommit(
                    result, error: error, serial: serial, layout: reading.state.layoutVersion, card: card, shouldStop: shouldStop)
            }
        }
        do {
            result.resolvedPending = try await ledger.resolveOpenTransactions(with: reading, at: now)
        } catch {
            return declined(result, code: ValidatorError.Code.outOfService.name, message: .outOfService, card: card)
        }

        let outcome = verifyAndDecide(
            card: reading.state, entitlements: reading.entitlements, trust: rules.trust, context: rules.context,
            tariff: rules.tariff, denyList: rules.denyList, now: now)

        switch outcome.decision {
        case .deny(let denial):
            return await decline(result, denial: denial, reading: reading, card: &card, now: now, shouldStop: shouldStop)
        case .accept(let acceptance) where acceptance.kind == .repeatTap || acceptance.tripRecord == nil:
            result.verdict = .repeated
            result.reason = acceptance.message.key.rawValue
            result.message = TapMessage(acceptance.message)
            result.fareKopecks = 0
            result.purseBalanceKopecks = reading.state.purseKopecks
            result.apduCount = card.apduCount
            return result
        case .accept(let acceptance):
            return await accept(result, acceptance: acceptance, reading: reading, card: &card, now: now, shouldStop: shouldStop)
        }
    }

    // MARK: Accepting

    private func accept<Card: TapCard>(
        _ start: TapResult, acceptance: Acceptance, reading: TapReading, card: inout Card, now: UnixTime,
        shouldStop: @Sendable () -> Bool
    ) async -> TapResult {
        let rules = self.rules
        var result = start
        let context = rules.context
        let identity = TripIdentity(deviceID: context.deviceID, cardSequence: reading.nextCardSequence, time: now)
        let slot = acceptance.entitlement.flatMap { reading.slot(of: $0.id) }
        var write = TapWrite(purseDebitKopecks: acceptance.purseDebitKopecks)
        if let counter = acceptance.counterUpdate {
            guard let counterSlot = reading.slot(of: counter.entitlementID) else {
                return await failedBeforeCommit(
                    result, error: ValidatorError(.malformedCard, "no slot holds entitlement \(counter.entitlementID)"),
                    serial: reading.state.serial, layout: reading.state.layoutVersion, card: card, shouldStop: shouldStop)
            }
            write.counter = .init(slot: counterSlot, counter: counter)
        }
        if let record = acceptance.tripRecord {
            write.trip = .init(record: record, identity: identity, slot: slot)
        }
        let transaction = PendingTransaction(
            ride: acceptance, trip: identity, card: reading.state.serial, layout: reading.state.layoutVersion,
            context: context, time: now)

        switch await commit(write, transaction: transaction, card: &card, shouldStop: shouldStop) {
        case .failedBeforeCommit(let error):
            return await failedBeforeCommit(
                result, error: error, serial: reading.state.serial, layout: reading.state.layoutVersion, card: card,
                shouldStop: shouldStop)
        case .uncertain(let pending):
            result.verdict = .uncertain
            result.reason = "commit-unconfirmed"
            result.message = .tapAgainToConfirm
            result.ledgerSequence = pending.sequence
            result.apduCount = card.apduCount
            return result
        case .committed(let pending):
            do {
                result.ledgerSequence = try await ledger.confirm(pending, at: now, mayHaveCharges: false)
            } catch {
                // The ride is on the card and the pending entry says so; the confirmation follows
                // at the card's next tap or at reconciliation.
                result.ledgerSequence = pending.sequence
            }
            result.verdict = .accepted
            result.reason = acceptance.message.key.rawValue
            result.message = TapMessage(acceptance.message)
            result.fareKopecks = acceptance.fareKopecks
            result.category = acceptance.entitlement?.category
            result.ridesLeft = acceptance.ridesLeft
            result.purseBalanceKopecks = acceptance.purseBalanceAfterKopecks
            result.apduCount = card.apduCount
            return result
        }
    }

    private enum CommitOutcome {
        case failedBeforeCommit(any Error)
        case uncertain(PendingTransaction)
        case committed(PendingTransaction)
    }

    /// Stages, records the pending entry, commits.
    private func commit<Card: TapCard>(
        _ write: TapWrite, transaction: PendingTransaction, card: inout Card, shouldStop: @Sendable () -> Bool
    ) async -> CommitOutcome {
        do {
            try await card.stage(write)
        } catch {
            return .failedBeforeCommit(error)
        }
        if shouldStop() {
            return .failedBeforeCommit(ValidatorError(.timeout, "the tap ran out of time before its commit"))
        }
        let pending: PendingTransaction
        do {
            pending = try await ledger.appendPending(transaction)
        } catch {
            return .failedBeforeCommit(error)
        }
        do {
            try await card.commit()
        } catch let error as ValidatorError {
            // Not a card failure: the commit was not sent.
            try? await ledger.abandon(pending, why: error.code.name, at: transaction.time)
            return .failedBeforeCommit(error)
        } catch {
            return .uncertain(pending)
        }
        return .committed(pending)
    }

    // MARK: Declining

    private func decline<Card: TapCard>(
        _ start: TapResult, denial: Denial, reading: TapReading, card: inout Card, now: UnixTime,
        shouldStop: @Sendable () -> Bool
    ) async -> TapResult {
        let rules = self.rules
        var result = start
        let state = reading.state
        let context = rules.context
        result.verdict = .declined
        result.reason = denial.reason.code
        result.message = TapMessage(denial.message)
        result.purseBalanceKopecks = state.purseKopecks
        if case .rideLimitReached = denial.reason { result.ridesLeft = 0 }
        if shouldStop() {
            // Too late: the passenger was already told to tap again, and that was recorded.
            result.apduCount = card.apduCount
            return result
        }
        do {
            // Deferred: a decline changes nothing on the card, so no tearing rule needs it on disk
            // before the passenger's answer; the next pending entry's fsync takes it along.
            if case .denyListed(let listing) = denial.reason {
                try await ledger.append(
                    .denyListHit(
                        at: now, card: state.serial, layout: state.layoutVersion, listingReason: listing.rawValue,
                        route: context.route, vehicle: context.vehicleID),
                    durability: .deferred)
            }
            result.ledgerSequence = try await ledger.append(
                .tapDeclined(
                    at: now, card: state.serial, layout: state.layoutVersion, reasonCode: denial.reason.code, route: context.route,
                    vehicle: context.vehicleID),
                durability: .deferred)
        } catch {
            result.reason = ValidatorError.Code.outOfService.name
            result.message = .outOfService
            result.apduCount = card.apduCount
            return result
        }
        if denial.markCardBlocked && !state.isBlocked {
            var reason: DenyList.Reason?
            if case .denyListed(let listing) = denial.reason { reason = listing }
            let write = TapWrite(block: .init(date: rules.tariff.timeZone.local(at: now).date, reason: reason))
            let transaction = PendingTransaction(block: state.serial, layout: state.layoutVersion, context: context, time: now)
            if case .committed(let pending) = await commit(write, transaction: transaction, card: &card, shouldStop: shouldStop) {
                _ = try? await ledger.confirm(pending, at: now, mayHaveCharges: false)
            }
        }
        result.apduCount = card.apduCount
        return result
    }

    private func declined<Card: TapCard>(_ start: TapResult, code: String, message: TapMessage, card: Card) -> TapResult {
        var result = start
        result.verdict = .declined
        result.reason = code
        result.message = message
        result.apduCount = card.apduCount
        return result
    }

    /// A tap that ended before any commit: nothing changed on the card. Recorded as declined
    /// with the reason, when the ledger can record.
    private func failedBeforeCommit<Card: TapCard>(
        _ start: TapResult, error: any Error, serial: CardSerial?, layout: LayoutVersion?, card: Card,
        shouldStop: @Sendable () -> Bool
    ) async -> TapResult {
        let rules = self.rules
        let (code, message) = Self.classify(error)
        var result = declined(start, code: code, message: message, card: card)
        // A tap that ran out of time was recorded as timed out when it did; not twice.
        if code != ValidatorError.Code.outOfService.name && !shouldStop() {
            let context = rules.context
            result.ledgerSequence = try? await ledger.append(
                .tapDeclined(
                    at: start.time, card: serial, layout: layout, reasonCode: code, route: context.route, vehicle: context.vehicleID),
                durability: .deferred)
        }
        return result
    }

    /// The reason code and passenger message for a failure.
    static func classify(_ error: any Error) -> (String, TapMessage) {
        switch error {
        case let error as ValidatorError:
            switch error.code {
            case .malformedCard: return (error.code.name, .cardDamaged)
            case .outOfService, .readerFailed: return (error.code.name, .outOfService)
            case .timeout, .cardFailed: return (error.code.name, .tapAgain)
            default: return (error.code.name, .cardNotSupported)
            }
        case let error as CardError:
            // `card-removed`, `card-unresponsive`, `card-malformed-response`, …
            let name = error.code.name
            return (name.hasPrefix("card-") ? name : "card-\(name)", .tapAgain)
        case is ReaderError:
            return (ValidatorError.Code.readerFailed.name, .outOfService)
        default:
            return (ValidatorError.Code.cardFailed.name, .tapAgain)
        }
    }
}

/// The pipeline's rules behind a lock: read once per tap, replaced when a bundle is installed.
final class LiveRules: Sendable {
    private let rules: Mutex<TapRules>

    init(_ rules: TapRules) { self.rules = Mutex(rules) }

    var current: TapRules { rules.withLock { $0 } }

    func update(_ change: (inout TapRules) -> Void) { rules.withLock { change(&$0) } }
}

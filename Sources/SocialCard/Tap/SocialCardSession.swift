import CardLayout
import DESFire
import SmartCard

/// One validator tap on a social card: read what the decision needs, then write the decided
/// outcome inside the card's transaction and commit it.
///
/// The card format stays here: which layout the card has, which key opens what, which file and
/// offset each change goes to and how its record is encoded. A caller speaks in the tariff's
/// terms (``SocialCardWrite``) and never sees a file number.
///
/// Reading is ``SocialCardReader``'s validator read (the fewest APDUs the layout allows).
/// Writing goes on in the read's session: the read authenticated with the card's diversified
/// `validate` key, which the layout gives read&write on every file a tap changes, so no second
/// authentication is needed (it is made only when the read's session ended early, e.g. on a
/// card whose trip log answered a boundary error). The writes send the usage
/// counter of the slot used (backup file), the purse debit (value file), the trip record
/// (record file) and the blocked flag (backup file), as the write asks; nothing of it is
/// visible on the card until ``commit()`` is answered, so a card pulled earlier rolls back.
///
/// Failures pass through as they are: `SocialCardError` for a card that is not ours or does not
/// decode, `DESFireError` when the card says no, `CardError` when it leaves the field (the
/// tearing domain).
public struct SocialCardSession<Channel: CardChannel> {
    private let channel: Channel
    private let layouts: [SocialCardLayout]
    // Internal, not private: reading older trips (TripLogReadBack.swift) goes on in this session.
    let keyring: CardKeyring
    var client: DESFireCard<Channel>
    private var readAPDUs = 0
    /// The client's count when the read handed it over (those APDUs are in `readAPDUs`).
    private var handedOverAPDUs = 0
    /// The trip record staged last, whose state a further write in the same transaction carries on.
    private var staged: TripLogRecord?

    /// What the read found, once it succeeded.
    public private(set) var contents: SocialCardContents?
    /// The layout the card was read with, once the read succeeded.
    public private(set) var layout: SocialCardLayout?

    /// A session with the card behind `channel`, of one of `layouts` (tried in order), with keys
    /// from `keyring`.
    public init(channel: Channel, layouts: [SocialCardLayout], keyring: CardKeyring) {
        self.channel = channel
        self.layouts = layouts
        self.keyring = keyring
        self.client = DESFireCard(channel: channel)
    }

    /// APDUs of the successful read plus those of the writes and the commit.
    public var apduCount: Int { readAPDUs + client.apduCount - handedOverAPDUs }

    /// Reads the card as a validator does, trying each layout in turn while the card says it is
    /// of another layout version or has not the layout's application (v2 has an AID of its own).
    ///
    /// A card whose upgrade at the desk was torn may hold two applications. Until the new one's
    /// card info is written it is not complete and is passed over (`personalization-incomplete`);
    /// just before that write the desk marks the former one by writing the new layout's version
    /// into its card info (``LayoutUpgrade``). A marked former application is the card only if
    /// the layout it names is held and its application was found not complete; otherwise the
    /// new one is, whichever of the two the order tries first. So at every instant of an upgrade
    /// exactly one application is the card. A card never upgraded reads as before, without an
    /// APDU more: the mark is in the card info every read fetches.
    public mutating func read(
        trips: SocialCardReader.TripLogRead = .newest(1), using generator: inout some RandomNumberGenerator
    ) async throws -> SocialCardContents {
        var lastError: SocialCardError?
        // The former application of an upgrade marked as moved on (LayoutUpgrade), and the version it names.
        var superseded: (layout: SocialCardLayout, successor: Int)?
        // Versions whose application is absent or not complete.
        var notComplete: Set<Int> = []
        for candidate in layouts {
            let reader = SocialCardReader(layout: candidate, keyring: keyring)
            do {
                let (read, card) = try await reader.readKeepingSession(
                    from: channel, purpose: .validator, trips: trips, superseded: .stop, using: &generator)
                return adopt(read, card, candidate)
            } catch let found as SocialCardReader.SupersededApplication {
                // Decided below, once the layout it moves to has been tried.
                readAPDUs += found.apduCount
                superseded = superseded ?? (candidate, found.successorVersion)
            } catch let error as SocialCardError
                where [.layoutVersionUnknown, .noApplication, .personalizationIncomplete, .notOurCard].contains(error.code) {
                // Another layout's card: a layout of another AID costs the failed select, one APDU.
                // An application not complete (keys not yet set, card info not written) is an
                // upgrade torn at the desk: the card's former layout is still the card.
                readAPDUs += error.code == .noApplication ? 1 : 0
                if error.code != .layoutVersionUnknown { notComplete.insert(candidate.layout.version) }
                lastError = error
            }
        }
        if let superseded {
            guard notComplete.contains(superseded.successor) else {
                throw SocialCardError(
                    .layoutVersionUnknown,
                    "the card's \(superseded.layout.layout.id) application was upgraded to layout version \(superseded.successor), which this reader does not hold")
            }
            // The upgrade was torn before the new application was complete: the former one is
            // still the card. Read it whole this time.
            let reader = SocialCardReader(layout: superseded.layout, keyring: keyring)
            let (read, card) = try await reader.readKeepingSession(
                from: channel, purpose: .validator, trips: trips, superseded: .read, using: &generator)
            return adopt(read, card, superseded.layout)
        }
        throw lastError ?? SocialCardError(.layoutUnsupported, "no card layout is configured")
    }

    /// Takes over the successful read's contents and session.
    private mutating func adopt(_ read: SocialCardContents, _ card: DESFireCard<Channel>, _ layout: SocialCardLayout) -> SocialCardContents {
        readAPDUs += read.apduCount
        client = card
        handedOverAPDUs = card.apduCount
        contents = read
        self.layout = layout
        return read
    }

    /// Sends the changes of `write` inside the card's open transaction, without committing.
    /// The writes go on in the read's session when it is still authenticated with the `validate`
    /// key; otherwise the first call authenticates, `generator` supplying its challenge.
    public mutating func stage(_ write: SocialCardWrite, using generator: inout some RandomNumberGenerator) async throws {
        guard let contents, let layout else { throw SocialCardError(.invalidRequest, "a write was staged before the card was read") }
        try await authenticateToValidate(contents: contents, layout: layout, using: &generator)
        guard let counterFile = layout.usageCounters, let statusFile = layout.status else {
            try await stageStateRecord(write, contents: contents, layout: layout)
            return
        }
        if let counter = write.counter {
            let bytes = try layout.encode(
                UsageCounterRecord(
                    entitlementID: counter.counter.entitlementID, periodStart: counter.counter.periodStart,
                    ridesUsed: Int(counter.counter.rides)))
            try await client.writeData(
                file: SocialCardLayout.fileNumber(counterFile), offset: layout.counterOffset(slot: counter.slot),
                data: bytes, mode: SocialCardLayout.communicationMode(counterFile))
        }
        if write.purseDebitKopecks > 0 {
            guard let amount = Int32(exactly: write.purseDebitKopecks) else {
                throw SocialCardError(.invalidRequest, "a debit of \(write.purseDebitKopecks) kopecks does not fit the purse")
            }
            try await client.debit(
                file: SocialCardLayout.fileNumber(layout.purse), amount: amount, mode: SocialCardLayout.communicationMode(layout.purse))
        }
        if let trip = write.trip {
            let bytes = try layout.encode(layout.tripLogRecord(for: trip.ride, sequence: trip.sequence, slot: trip.slot))
            try await client.writeRecord(
                file: SocialCardLayout.fileNumber(layout.tripLog), data: bytes, mode: SocialCardLayout.communicationMode(layout.tripLog))
        }
        if let blockedOn = write.blockedOn {
            let bytes = try layout.encode(CardStatus(isBlocked: true, blockedOn: blockedOn, blockReason: Self.denyListReason))
            try await client.writeData(
                file: SocialCardLayout.fileNumber(statusFile), data: bytes, mode: SocialCardLayout.communicationMode(statusFile))
        }
    }

    /// Authenticates with the card's `validate` key unless the session already is (the read's
    /// session is handed on; it ends early only when the card answered an error).
    mutating func authenticateToValidate(
        contents: SocialCardContents, layout: SocialCardLayout, using generator: inout some RandomNumberGenerator
    ) async throws {
        let validateKey = layout.keyNumber(.validate)
        guard client.session.authenticatedKeyNumber != validateKey || client.session.selectedApplication != layout.applicationID else { return }
        let key = try keyring.cardKeys(uid: contents.uid, application: layout.applicationID, version: contents.keyVersion)
            .applicationKey(.validate)
        try await client.authenticateAES(keyNumber: validateKey, key: key, using: &generator)
    }

    /// A layout keeping the card's state in its trip records: the debit, then one record with the
    /// trip (or, for a block alone, a `blocked` record) and the state after the transaction — the
    /// newest record's balance less the debit, its counter or the new one, the blocked flag kept
    /// or set. One WriteRecord replaces v1's counter, status and trip writes.
    private mutating func stageStateRecord(_ write: SocialCardWrite, contents: SocialCardContents, layout: SocialCardLayout) async throws {
        guard let newest = staged ?? contents.trips.last, var state = newest.state else {
            throw SocialCardError(.malformedFile, "the card holds no trip record to carry its state forward")
        }
        if let counter = write.counter {
            guard counter.slot == layout.countedSlot(contents.slots) else {
                throw SocialCardError(.invalidRequest, "\(layout.layout.id) counts rides of one entitlement slot; slot \(counter.slot) is not it")
            }
            state.counterPeriodStart = counter.counter.periodStart
            state.counterRides = Int(counter.counter.rides)
        }
        if write.purseDebitKopecks > 0 {
            guard let amount = Int32(exactly: write.purseDebitKopecks) else {
                throw SocialCardError(.invalidRequest, "a debit of \(write.purseDebitKopecks) kopecks does not fit the purse")
            }
            state.balanceKopecks -= write.purseDebitKopecks
            try await client.debit(
                file: SocialCardLayout.fileNumber(layout.purse), amount: amount, mode: SocialCardLayout.communicationMode(layout.purse))
        }
        let blocked = write.blockedOn != nil || newest.flags.contains("cardBlocked")
        var record: TripLogRecord
        if let trip = write.trip {
            record = layout.tripLogRecord(for: trip.ride, sequence: trip.sequence, slot: trip.slot)
        } else if let blockedOn = write.blockedOn {
            record = TripLogRecord(
                time: blockedOn.utcMidnight, deviceID: 0, sequence: Int(UInt16(truncatingIfNeeded: newest.sequence) &+ 1), route: 0,
                vehicle: 0, fareKopecks: 0, category: 0, entitlementSlot: nil, kind: "blocked", flags: [], zone: 0)
        } else if write.isEmpty {
            return
        } else {
            throw SocialCardError(.invalidRequest, "\(layout.layout.id) records a counter or a debit only with the trip it pays for")
        }
        if blocked { record.flags.insert("cardBlocked") }
        record.state = state
        try await client.writeRecord(
            file: SocialCardLayout.fileNumber(layout.tripLog), data: try layout.encode(record), mode: SocialCardLayout.communicationMode(layout.tripLog))
        staged = record
    }

    /// Sends CommitTransaction. If this throws a `CardError`, whether the card committed is unknown.
    public mutating func commit() async throws {
        try await client.commitTransaction()
    }

    /// The layout's name of the block reason a validator writes: only the deny list blocks a card
    /// at a tap.
    static var denyListReason: String { SocialCardLayout.denyListReason }
}

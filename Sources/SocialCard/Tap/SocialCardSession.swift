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
    private let keyring: CardKeyring
    private var client: DESFireCard<Channel>
    private var readAPDUs = 0
    /// The client's count when the read handed it over (those APDUs are in `readAPDUs`).
    private var handedOverAPDUs = 0

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
    /// of another layout version.
    public mutating func read(
        trips: SocialCardReader.TripLogRead = .newest(1), using generator: inout some RandomNumberGenerator
    ) async throws -> SocialCardContents {
        var lastError: SocialCardError?
        for candidate in layouts {
            let reader = SocialCardReader(layout: candidate, keyring: keyring)
            do {
                let (read, card) = try await reader.readKeepingSession(from: channel, purpose: .validator, trips: trips, using: &generator)
                readAPDUs += read.apduCount
                client = card
                handedOverAPDUs = card.apduCount
                contents = read
                layout = candidate
                return read
            } catch let error as SocialCardError where error.code == .layoutVersionUnknown && candidate != layouts.last {
                lastError = error
            }
        }
        throw lastError ?? SocialCardError(.layoutUnsupported, "no card layout is configured")
    }

    /// Sends the changes of `write` inside the card's open transaction, without committing.
    /// The writes go on in the read's session when it is still authenticated with the `validate`
    /// key; otherwise the first call authenticates, `generator` supplying its challenge.
    public mutating func stage(_ write: SocialCardWrite, using generator: inout some RandomNumberGenerator) async throws {
        guard let contents, let layout else { throw SocialCardError(.invalidRequest, "a write was staged before the card was read") }
        let validateKey = layout.keyNumber(.validate)
        if client.session.authenticatedKeyNumber != validateKey || client.session.selectedApplication != layout.applicationID {
            let key = try keyring.cardKeys(uid: contents.uid, application: layout.applicationID, version: contents.keyVersion)
                .applicationKey(.validate)
            try await client.authenticateAES(keyNumber: validateKey, key: key, using: &generator)
        }
        if let counter = write.counter {
            let bytes = try layout.encode(
                UsageCounterRecord(
                    entitlementID: counter.counter.entitlementID, periodStart: counter.counter.periodStart,
                    ridesUsed: Int(counter.counter.rides)))
            try await client.writeData(
                file: SocialCardLayout.fileNumber(layout.usageCounters), offset: layout.counterOffset(slot: counter.slot),
                data: bytes, mode: SocialCardLayout.communicationMode(layout.usageCounters))
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
                file: SocialCardLayout.fileNumber(layout.status), data: bytes, mode: SocialCardLayout.communicationMode(layout.status))
        }
    }

    /// Sends CommitTransaction. If this throws a `CardError`, whether the card committed is unknown.
    public mutating func commit() async throws {
        try await client.commitTransaction()
    }

    /// The layout's name of the block reason a validator writes: only the deny list blocks a card
    /// at a tap.
    static var denyListReason: String { "denyList" }
}

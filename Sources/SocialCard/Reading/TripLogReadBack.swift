import CardLayout
import DESFire
import SmartCard

/// Reads trip records older than the newest ones a tap read: how a validator settles a torn tap
/// after the card rode other buses.
///
/// A tap reads only the newest trip record. A validator that still holds an open pending entry
/// for the card (its CommitTransaction was sent but never answered) needs the record with that
/// entry's card sequence, which rides elsewhere have pushed back from the newest. This reads just
/// the records between: ReadRecords with an offset from the newest, one command (DESFire chains
/// the frames of several records), using nothing but the layout's trip-log description (file
/// number, record size, how many records the file keeps readable, communication mode).
///
/// It is meant to be sent only when a pending entry needs it, so ordinary taps pay no APDU.
public struct TripLogReadBack: Sendable {
    /// The card's layout.
    public let layout: SocialCardLayout

    /// A read-back for cards of `layout`.
    public init(layout: SocialCardLayout) {
        self.layout = layout
    }

    /// How many records the trip log keeps readable (a cyclic file keeps one slot for the next
    /// write): the newest is 0 back, the oldest `readableRecords − 1`.
    public var readableRecords: Int { SocialCardLayout.readableRecords(layout.tripLog) }

    /// The window of records `skippingNewest ..< skippingNewest + count` back from the newest,
    /// cut to what the file keeps readable; `nil` when nothing of it is readable.
    public func window(skippingNewest: Int, count: Int) -> (offset: Int, count: Int)? {
        guard skippingNewest >= 0, count > 0, skippingNewest < readableRecords else { return nil }
        return (skippingNewest, min(count, readableRecords - skippingNewest))
    }

    /// Reads the records `skippingNewest ..< skippingNewest + count` back from the newest, oldest
    /// first, through `card`, whose session must already allow reading the trip log (the caller
    /// authenticates; the layout says with which key).
    ///
    /// A log holding fewer records answers a boundary error; then this returns the records it
    /// can tell exist, none, and the card's authentication is gone (DESFire ends the session on
    /// an error), which `sessionLost` reports. The card's other failures pass through.
    public func read<Channel: CardChannel>(
        from card: inout DESFireCard<Channel>, skippingNewest: Int, count: Int
    ) async throws -> (records: [TripLogRecord], sessionLost: Bool) {
        guard let window = window(skippingNewest: skippingNewest, count: count) else { return ([], false) }
        let bytes: [[UInt8]]
        do {
            bytes = try await card.readRecords(
                file: SocialCardLayout.fileNumber(layout.tripLog), offset: window.offset, count: window.count,
                recordSize: SocialCardLayout.recordSize(layout.tripLog), mode: SocialCardLayout.communicationMode(layout.tripLog))
        } catch let error as DESFireError where error.code == .boundaryError {
            return ([], true)
        }
        return (try layout.decodeTrips(bytes), false)
    }
}

extension SocialCardSession {
    /// Reads trip records older than those the read brought back (see ``TripLogReadBack``):
    /// `skippingNewest` records back from the newest, `count` of them, oldest first.
    ///
    /// Authenticates with the `validate` key first unless the session already is (the write
    /// half then reuses that authentication, so settling costs the ReadRecords alone beyond it).
    public mutating func readOlderTrips(
        skippingNewest: Int, count: Int, using generator: inout some RandomNumberGenerator
    ) async throws -> [TripLogRecord] {
        guard let contents, let layout else { throw SocialCardError(.invalidRequest, "older trips were asked for before the card was read") }
        let readBack = TripLogReadBack(layout: layout)
        guard readBack.window(skippingNewest: skippingNewest, count: count) != nil else { return [] }
        try await authenticateToValidate(contents: contents, layout: layout, using: &generator)
        let (records, _) = try await readBack.read(from: &client, skippingNewest: skippingNewest, count: count)
        return records
    }
}

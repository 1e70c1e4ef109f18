import Crypto
import DESFire
import Entitlements
import Identifiers
import PCSC
import SmartCard
import SocialCard
import Tariff

/// A community social card as the tap pipeline uses it: an adapter from `TapCard` to
/// `SocialCardSession`, which alone knows the card's files, keys and records.
///
/// It translates in both directions: what the session read into the decision's `TapReading`,
/// the pipeline's `TapWrite` into the card's `SocialCardWrite`, and the card's failures into
/// `ValidatorError` reasons (the tearing domain, `CardError`, passes through unchanged).
public struct SocialTapCard<Channel: CardChannel>: TapCard {
    private var session: SocialCardSession<Channel>

    /// A card behind `channel`, of one of `layouts` (tried in order), with keys from `keyring`.
    public init(channel: Channel, layouts: [SocialCardLayout], keyring: CardKeyring) {
        self.session = SocialCardSession(channel: channel, layouts: layouts, keyring: keyring)
    }

    /// APDUs of the read plus those of the writes.
    public var apduCount: Int { session.apduCount }

    /// Reads the card and translates what was read into the decision's terms.
    public mutating func read() async throws -> TapReading {
        var generator = SystemRandomNumberGenerator()
        do {
            return Self.reading(try await session.read(trips: .newest(1), using: &generator))
        } catch {
            throw Self.translate(error)
        }
    }

    /// Reads back older trip records (to settle a pending entry; see `TripLogReadBack`).
    public mutating func readOlderTrips(skippingNewest: Int, count: Int) async throws -> [TripIdentity] {
        var generator = SystemRandomNumberGenerator()
        do {
            return try await session.readOlderTrips(skippingNewest: skippingNewest, count: count, using: &generator).map(Self.identity)
        } catch {
            throw Self.translate(error)
        }
    }

    static func identity(_ record: TripLogRecord) -> TripIdentity {
        TripIdentity(deviceID: DeviceID(record.deviceID), cardSequence: UInt16(truncatingIfNeeded: record.sequence), time: record.time)
    }

    static func reading(_ read: SocialCardContents) -> TapReading {
        let trips = read.trips.map(identity)
        return TapReading(
            uid: read.uid, state: read.cardState, entitlements: read.entitlements,
            slotEntitlements: read.slots.map { $0.entitlement?.id }, trips: trips)
    }

    /// Stages the tap's changes in the card's transaction.
    public mutating func stage(_ write: TapWrite) async throws {
        var generator = SystemRandomNumberGenerator()
        do {
            try await session.stage(Self.cardWrite(write), using: &generator)
        } catch {
            throw Self.translate(error)
        }
    }

    /// Sends CommitTransaction.
    public mutating func commit() async throws {
        try await session.commit()
    }

    // MARK: Translation

    /// The pipeline's write in the card's terms. The trip record carries the identity the
    /// pending ledger entry names (device and time), so that the card's next read resolves it.
    static func cardWrite(_ write: TapWrite) -> SocialCardWrite {
        var trip: SocialCardWrite.Trip?
        if let written = write.trip {
            var ride = written.record
            ride.deviceID = written.identity.deviceID
            ride.time = written.identity.time
            trip = SocialCardWrite.Trip(ride: ride, sequence: written.identity.cardSequence, slot: written.slot)
        }
        return SocialCardWrite(
            counter: write.counter.map { SocialCardWrite.Counter(slot: $0.slot, counter: $0.counter) },
            purseDebitKopecks: write.purseDebitKopecks, trip: trip, blockedOn: write.block?.date)
    }

    /// The validator's name for a failure of the card or of its data.
    static func translate(_ error: any Error) -> any Error {
        switch error {
        case let error as SocialCardError:
            switch error.code {
            case .notOurCard: return ValidatorError(.authenticationFailed, error.reason)
            case .noApplication: return ValidatorError(.noApplication, error.reason)
            case .layoutVersionUnknown, .otherCommunity, .layoutMismatch, .layoutUnsupported:
                return ValidatorError(.foreignLayout, error.reason)
            case .unknownKeyVersion: return ValidatorError(.unknownKeyVersion, error.reason)
            case .missingKey: return ValidatorError(.invalidKeyMaterial, error.reason)
            default: return ValidatorError(.malformedCard, "\(error.code): \(error.reason)")
            }
        case let error as DESFireError:
            switch error.code {
            case .authenticationError, .cardAuthenticationFailed, .permissionDenied, .noSuchKey:
                return ValidatorError(.authenticationFailed, "\(error)")
            case .applicationNotFound: return ValidatorError(.noApplication, "\(error)")
            case .fileNotFound: return ValidatorError(.foreignLayout, "\(error)")
            default: return ValidatorError(.cardFailed, "the card answered garbage: \(error)")
            }
        default:
            return error
        }
    }
}

/// Taps social cards through PC/SC: the daemon's `CardTapper`.
public struct SocialCardTapper: CardTapper {
    /// The accepted layouts, newest first (each tap reads them in `readingOrder(under:)`).
    public let layouts: [SocialCardLayout]
    /// The card master keys held (read and validate).
    public let keyring: CardKeyring

    /// A tapper for cards of `layouts` with keys from `keyring`.
    public init(layouts: [SocialCardLayout], keyring: CardKeyring) {
        self.layouts = layouts
        self.keyring = keyring
    }

    /// Builds the tapper from a loaded setup: its layouts and its card master keys.
    public init(setup: ValidatorSetup) throws {
        let layouts = try setup.layouts.sorted { $0.version > $1.version }.map { layout in
            do {
                return try SocialCardLayout(layout)
            } catch {
                throw ValidatorError(.invalidConfiguration, "layout \(layout.id) is not a social card layout: \(error)")
            }
        }
        guard let community = layouts.first?.layout.community else {
            throw ValidatorError(.invalidConfiguration, "no card layout is configured")
        }
        // Key files of a role this program does not know are left out, as they always were.
        let masterKeys = setup.cardKeys.compactMap { file in
            CardMasterRole(rawValue: file.role).map { (role: $0, version: file.version, key: file.key) }
        }
        do {
            self.init(layouts: layouts, keyring: try CardKeyring(community: community, masterKeys: masterKeys))
        } catch {
            throw ValidatorError(.invalidKeyMaterial, "card master keys: \(error)")
        }
    }

    /// The held layouts in the order a card of unknown layout is read by under `tariff`: its
    /// `cardLayoutOrder` (the community's card population, most common first), else newest first.
    ///
    /// Each layout tried before the card's own costs one refused select, so the order is the
    /// community's to set from what its cards are, not the validator's guess.
    public func readingOrder(under tariff: Tariff) -> [SocialCardLayout] {
        let order = tariff.layoutReadingOrder(of: layouts.map { LayoutVersion(UInt16(clamping: $0.layout.version)) })
        return order.compactMap { version in layouts.first { $0.layout.version == Int(version.rawValue) } }
    }

    /// Runs the pipeline on the social card behind `channel`, trying the layouts in the order
    /// of the tariff in force (`readingOrder(under:)`).
    public func tap(
        channel: PCSCCardChannel, atr: [UInt8], reader: String, pipeline: TapPipeline, now: UnixTime,
        shouldStop: @escaping @Sendable () -> Bool
    ) async -> TapResult {
        var card = SocialTapCard(channel: channel, layouts: readingOrder(under: pipeline.rules.tariff), keyring: keyring)
        return await pipeline.process(&card, reader: reader, now: now, shouldStop: shouldStop)
    }
}

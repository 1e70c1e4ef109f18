import CardLayout
import Crypto
import DESFire
import Entitlements
import Identifiers
import PCSC
import SmartCard
import SocialCard

/// A community social card (`SocialCard` layout) as the tap pipeline uses it.
///
/// Reading is `SocialCardReader`'s validator read (the fewest APDUs the layout allows, the newest
/// trip record only). Writing authenticates with the card's diversified `validate` key and sends,
/// inside the card's transaction: the usage counter of the slot used (backup file), the purse
/// debit (value file), the trip record (cyclic record file) or the blocked flag (backup file);
/// then CommitTransaction.
public struct SocialTapCard<Channel: CardChannel>: TapCard {
    private let channel: Channel
    private let layouts: [SocialCardLayout]
    private let keyring: CardKeyring
    private var client: DESFireCard<Channel>
    private var readAPDUs = 0
    private var contents: SocialCardContents?
    private var layout: SocialCardLayout?
    private var authenticated = false

    /// A card behind `channel`, of one of `layouts` (tried in order), with keys from `keyring`.
    public init(channel: Channel, layouts: [SocialCardLayout], keyring: CardKeyring) {
        self.channel = channel
        self.layouts = layouts
        self.keyring = keyring
        self.client = DESFireCard(channel: channel)
    }

    /// APDUs of the read plus those of the writes.
    public var apduCount: Int { readAPDUs + client.apduCount }

    /// Reads the card and translates what was read into the decision's terms.
    public mutating func read() async throws -> TapReading {
        var generator = SystemRandomNumberGenerator()
        var lastError: (any Error)?
        for candidate in layouts {
            let reader = SocialCardReader(layout: candidate, keyring: keyring)
            do {
                let read = try await reader.read(from: channel, purpose: .validator, trips: .newest(1), using: &generator)
                readAPDUs += read.apduCount
                contents = read
                layout = candidate
                return Self.reading(read)
            } catch let error as SocialCardError where error.code == .layoutVersionUnknown && candidate != layouts.last {
                lastError = error
                continue
            } catch {
                throw Self.translate(error)
            }
        }
        throw Self.translate(lastError ?? ValidatorError(.foreignLayout, "no card layout is configured"))
    }

    static func reading(_ read: SocialCardContents) -> TapReading {
        let trips = read.trips.map {
            TripIdentity(deviceID: DeviceID($0.deviceID), cardSequence: UInt16(truncatingIfNeeded: $0.sequence), time: $0.time)
        }
        return TapReading(
            uid: read.uid, state: read.cardState, entitlements: read.entitlements,
            slotEntitlements: read.slots.map { $0.entitlement?.id }, trips: trips)
    }

    /// Stages the tap's changes in the card's transaction.
    public mutating func stage(_ write: TapWrite) async throws {
        guard let contents, let layout else { throw ValidatorError(.malformedCard, "stage before read") }
        if !authenticated {
            var generator = SystemRandomNumberGenerator()
            let key: DESFireKey
            do {
                key = try keyring.cardKeys(uid: contents.uid, application: layout.applicationID, version: contents.keyVersion)
                    .applicationKey(.validate)
            } catch {
                throw Self.translate(error)
            }
            do {
                try await client.authenticateAES(keyNumber: layout.keyNumber(.validate), key: key, using: &generator)
            } catch {
                throw Self.translate(error)
            }
            authenticated = true
        }
        do {
            if let counter = write.counter {
                let file = layout.usageCounters
                let format = try Self.format(layout, file)
                let bytes = try format.encode(
                    LayoutRecord([
                        "entitlementId": .unsigned(UInt64(counter.counter.entitlementID.rawValue)),
                        "periodStart": .date(try Self.cardDate(counter.counter.periodStart)),
                        "ridesUsed": .unsigned(UInt64(counter.counter.rides)),
                    ]))
                try await client.writeData(
                    file: SocialCardLayout.fileNumber(file), offset: counter.slot * format.size, data: bytes,
                    mode: SocialCardLayout.communicationMode(file))
            }
            if write.purseDebitKopecks > 0 {
                let file = layout.purse
                try await client.debit(
                    file: SocialCardLayout.fileNumber(file), amount: Int32(write.purseDebitKopecks),
                    mode: SocialCardLayout.communicationMode(file))
            }
            if let trip = write.trip {
                let file = layout.tripLog
                let format = try Self.format(layout, file)
                let record = trip.record
                var flags: Set<String> = []
                if record.category != nil && record.fareKopecks < record.fullFareKopecks { flags.insert("benefitRide") }
                if record.category != nil && record.fareKopecks > 0 && record.fareKopecks < record.fullFareKopecks { flags.insert("discounted") }
                if record.fareKopecks > 0 { flags.insert("purseUsed") }
                flags.insert("offlineDecision")
                guard let time = CardDateTime(unixSeconds: trip.identity.time.rawValue) else {
                    throw ValidatorError(.malformedCard, "the tap time cannot be written to a card")
                }
                let bytes = try format.encode(
                    LayoutRecord([
                        "time": .dateTime(time),
                        "deviceId": .unsigned(UInt64(trip.identity.deviceID.rawValue)),
                        "sequence": .unsigned(UInt64(trip.identity.cardSequence)),
                        "routeId": .unsigned(UInt64(record.route.rawValue)),
                        "vehicleId": .unsigned(UInt64(record.vehicleID.rawValue & 0xFFFF)),
                        "fare": .unsigned(UInt64(max(0, record.fareKopecks))),
                        "categoryCode": .unsigned(UInt64(record.category?.rawValue ?? 0)),
                        "entitlementSlot": .unsigned(UInt64(trip.slot ?? 255)),
                        "kind": .enumeration(record.kind == .transfer ? "transfer" : "entry"),
                        "flags": .flags(flags),
                        "zoneId": .unsigned(UInt64(record.zone.rawValue)),
                    ]))
                try await client.writeRecord(
                    file: SocialCardLayout.fileNumber(file), data: bytes, mode: SocialCardLayout.communicationMode(file))
            }
            if let block = write.block {
                let file = layout.status
                let format = try Self.format(layout, file)
                let bytes = try format.encode(
                    LayoutRecord([
                        "flags": .flags(["blocked"]),
                        "blockedOn": .date(try Self.cardDate(block.date)),
                        "blockReason": .enumeration("denyList"),
                    ]))
                try await client.writeData(
                    file: SocialCardLayout.fileNumber(file), data: bytes, mode: SocialCardLayout.communicationMode(file))
            }
        } catch let error as CardLayoutError {
            throw ValidatorError(.malformedCard, "cannot encode the tap for this layout: \(error)")
        } catch {
            throw Self.translate(error)
        }
    }

    /// Sends CommitTransaction.
    public mutating func commit() async throws {
        try await client.commitTransaction()
    }

    // MARK: Helpers

    static func format(_ layout: SocialCardLayout, _ file: FileSpec) throws -> RecordFormat {
        guard let format = layout.layout.format(of: file) else {
            throw ValidatorError(.malformedCard, "\(file.name) has no record format in \(layout.layout.id)")
        }
        return format
    }

    /// Days from 1970-01-01 to 2000-01-01, the card's date epoch.
    static var cardEpochDays: Int32 { 10_957 }

    static func cardDate(_ date: CivilDate) throws -> CardDate {
        guard date.daysSinceEpoch >= cardEpochDays else { throw ValidatorError(.malformedCard, "a date before 2000 cannot be written to a card") }
        return CardDate(daysSince2000: UInt32(date.daysSinceEpoch - cardEpochDays))
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
    /// The accepted layouts, newest first.
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
        var byVersion: [UInt8: [CardMasterRole: SymmetricKey]] = [:]
        for key in setup.cardKeys {
            guard let role = CardMasterRole(rawValue: key.role) else { continue }
            byVersion[key.version, default: [:]][role] = key.key
        }
        do {
            let sets = try byVersion.sorted { $0.key < $1.key }.map { version, keys in
                try CardMasterKeySet(version: version, keys: keys)
            }
            guard let community = layouts.first?.layout.community else {
                throw ValidatorError(.invalidConfiguration, "no card layout is configured")
            }
            self.init(layouts: layouts, keyring: try CardKeyring(community: community, sets: sets))
        } catch let error as ValidatorError {
            throw error
        } catch {
            throw ValidatorError(.invalidKeyMaterial, "card master keys: \(error)")
        }
    }

    /// Runs the pipeline on the social card behind `channel`.
    public func tap(
        channel: PCSCCardChannel, atr: [UInt8], reader: String, pipeline: TapPipeline, now: UnixTime,
        shouldStop: @escaping @Sendable () -> Bool
    ) async -> TapResult {
        var card = SocialTapCard(channel: channel, layouts: layouts, keyring: keyring)
        return await pipeline.process(&card, reader: reader, now: now, shouldStop: shouldStop)
    }
}

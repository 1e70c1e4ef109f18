import Entitlements

/// A closed month: the signed closing record, stored once and never changed.
///
/// The store keeps the record and its signature as opaque bytes; what the record holds (totals,
/// inputs, hashes) is `hromada-reconcile`'s, which writes and verifies it.
public struct PeriodClose: Hashable, Sendable, Codable {
    /// The month, `YYYY-MM` (Kyiv civil time).
    public var month: String
    /// When it was closed.
    public var closedAt: UnixTime
    /// The closing record, as signed.
    public var record: [UInt8]
    /// The finance key's signature over `record`.
    public var signature: [UInt8]

    /// Creates a closing.
    public init(month: String, closedAt: UnixTime, record: [UInt8], signature: [UInt8]) {
        self.month = month
        self.closedAt = closedAt
        self.record = record
        self.signature = signature
    }

    /// Whether `text` is a month as `YYYY-MM` (year 2000–2100, month 01–12).
    public static func isMonth(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1])
        else { return false }
        return (2000...2100).contains(year) && (1...12).contains(month)
    }

    /// Refuses a month out of form or an empty record or signature.
    public func validate() throws(ReferenceDataError) {
        guard Self.isMonth(month) else { throw .invalid(uk: "місяць: РРРР-ММ", en: "month: YYYY-MM") }
        try ReferenceText.checkTime(closedAt, field: "closedAt", fieldUK: "час закриття")
        guard !record.isEmpty, !signature.isEmpty else {
            throw .invalid(uk: "запис закриття і підпис не можуть бути порожніми", en: "the closing record and its signature must not be empty")
        }
    }
}

/// The reference data one reconciliation needs, read in one go (`ReferenceDataStorage.referenceData`).
public struct ReferenceSnapshot: Hashable, Sendable, Codable {
    /// Every carrier, by id.
    public var carriers: [Carrier]
    /// Every route, by number.
    public var routes: [RouteAssignment]
    /// The device assignments that overlap the period, by device and start.
    public var deviceAssignments: [DeviceAssignment]
    /// The programmes of the years the period touches, by year.
    public var programmes: [CompensationProgramme]
    /// Every tariff period, by effective time.
    public var tariffPeriods: [TariffPeriod]
    /// Every deny listing (those in effect before the period matter too), oldest report first.
    public var denyListings: [DenyListing]
    /// Purse credits made in the period, by time.
    public var purseCredits: [PurseCredit]
    /// Carrier payments dated in the period, by date.
    public var carrierPayments: [CarrierPayment]
    /// Issued entitlements of the cards asked for (or all), by card and number.
    public var issuedEntitlements: [IssuedEntitlement]

    /// Creates a snapshot.
    public init(
        carriers: [Carrier], routes: [RouteAssignment], deviceAssignments: [DeviceAssignment], programmes: [CompensationProgramme],
        tariffPeriods: [TariffPeriod], denyListings: [DenyListing], purseCredits: [PurseCredit], carrierPayments: [CarrierPayment],
        issuedEntitlements: [IssuedEntitlement]
    ) {
        self.carriers = carriers
        self.routes = routes
        self.deviceAssignments = deviceAssignments
        self.programmes = programmes
        self.tariffPeriods = tariffPeriods
        self.denyListings = denyListings
        self.purseCredits = purseCredits
        self.carrierPayments = carrierPayments
        self.issuedEntitlements = issuedEntitlements
    }

    /// The tariff version in force at `time`: the latest period that started at or before it.
    public func tariffVersion(at time: UnixTime) -> UInt32? {
        tariffPeriods.last { $0.effectiveFrom <= time }?.version
    }
}

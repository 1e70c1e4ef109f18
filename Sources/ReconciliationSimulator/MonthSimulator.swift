import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Tariff

/// An upload the simulated validators make: a batch, when the service receives it, and what the
/// service must answer.
public struct PlannedUpload: Sendable {
    /// What the service must do with it.
    public enum Expectation: String, Hashable, Sendable {
        /// Store it (or answer a replay).
        case accepted
        /// Refuse it with 409 `gap`: it starts after a hole.
        case refusedGap = "refused-gap"
        /// Refuse it with 409 and record a tamper alarm: it changes held entries.
        case tamperAlarm = "tamper-alarm"
    }

    /// The device.
    public var device: DeviceID
    /// The batch (entries and the device's checkpoint over the last).
    public var batch: UploadBatch
    /// When the service receives it (its clock, and the request's signature time).
    public var receivedAt: UnixTime
    /// The expected answer.
    public var expectation: Expectation
}

/// The reference data of the simulated month, as the finance officer keeps it in the store.
public struct SimulatedReference: Sendable {
    /// Carriers.
    public var carriers: [Carrier]
    /// Routes and their carriers.
    public var routes: [RouteAssignment]
    /// Validators in buses.
    public var deviceAssignments: [DeviceAssignment]
    /// The year's programme.
    public var programme: CompensationProgramme
    /// Tariff versions and when they took effect.
    public var tariffPeriods: [TariffPeriod]
    /// Deny listings with their effect times.
    public var denyListings: [DenyListing]
    /// Desk purse credits, oldest first.
    public var purseCredits: [PurseCredit]
    /// Entitlements the desk issued to the month's cards.
    public var issuedEntitlements: [IssuedEntitlement]
    /// Payments to carriers.
    public var payments: [CarrierPayment]
}

/// A whole simulated month held in memory (test sizes): community, reference data, uploads in
/// the order the service receives them, and the truth.
public struct SimulatedMonth: Sendable {
    /// The parameters.
    public var parameters: SimulationParameters
    /// Keys, certificates, tariff bundles.
    public var community: SimulatedCommunity
    /// Reference data.
    public var reference: SimulatedReference
    /// Every upload, by receive time.
    public var uploads: [PlannedUpload]
    /// What reconciliation must find.
    public var truth: SimulationTruth

    /// Puts a month together (the benchmark streams its uploads and keeps none).
    public init(parameters: SimulationParameters, community: SimulatedCommunity, reference: SimulatedReference, uploads: [PlannedUpload], truth: SimulationTruth) {
        self.parameters = parameters
        self.community = community
        self.reference = reference
        self.uploads = uploads
        self.truth = truth
    }

    /// Simulates a month.
    public static func generate(_ parameters: SimulationParameters) throws -> SimulatedMonth {
        var simulator = try MonthSimulator(parameters)
        var uploads: [PlannedUpload] = []
        while let day = try simulator.nextDay() { uploads.append(contentsOf: day) }
        uploads.sort { ($0.receivedAt, $0.device.rawValue, $0.batch.firstSequence) < ($1.receivedAt, $1.device.rawValue, $1.batch.firstSequence) }
        return SimulatedMonth(
            parameters: parameters, community: simulator.community, reference: simulator.reference, uploads: uploads, truth: simulator.truth)
    }
}

/// Generates a month of signed validator ledgers for N buses on M routes with K cards, and the
/// desk's ledger of purse credits, day by day, with planted faults of every kind and the truth
/// about them (docs/reconcile-tool.md, "The month simulator").
///
/// Streaming: `nextDay()` returns that day's uploads and keeps only each device's chain head and
/// card states, so a 10-million-entry month fits in little memory. Deterministic: the same
/// parameters give the same bytes.
public struct MonthSimulator {
    /// The parameters.
    public let parameters: SimulationParameters
    /// Keys and bundles.
    public let community: SimulatedCommunity
    /// Reference data (purse credits grow as days are generated).
    public private(set) var reference: SimulatedReference
    private var random: SeededRandom
    private var devices: [DeviceState]
    /// The desk's chain, when the community keeps a desk ledger.
    private var desk: DeskState?
    private var cards: [CardState]
    private var ordinaryCards: [Int]
    private var tariffs: [Tariff]
    private var dayIndex = 0
    private var plans: [Int: [PlannedTap]] = [:]
    private var faults: [PlantedFault] = []
    private var compensation: [CompensationKey: CompensationAmounts] = [:]
    private var excluded: [ExcludedRide] = []
    private var writtenEntries = 0
    private var heldEntries = 0
    private var roles = FaultRoles()
    /// Which compensation each pending entry of a torn ride would earn, until its card's next tap resolves it.
    private var tornRides: [Int: TornRide] = [:]
    private let lateThreshold: Int64 = 2 * 86_400
    private let silenceThreshold: Int64 = 3 * 86_400

    static let serviceStart = 6 * 3_600
    static let serviceEnd = 22 * 3_600
    static let travelSeconds: Int64 = 45 * 60
    static let layout: LayoutVersion = 1
    /// The day (index from 0) the desk starts its ledger; credits before it are an import.
    static let deskLedgerFromDay = 3

    /// Prepares the month; nothing is generated until `nextDay()`.
    public init(_ parameters: SimulationParameters) throws {
        if parameters.plantsFaults {
            guard parameters.buses >= 8, parameters.cards >= 24, parameters.days >= 28 else {
                throw SimulatorError("planting every fault needs at least 8 buses, 24 cards and a whole month")
            }
        }
        self.parameters = parameters
        random = SeededRandom(seed: parameters.seed)
        let layout = CommunityLayout(parameters)
        let first = parameters.firstDay
        let change = first.adding(days: 15)
        let categories = Self.categories
        func tariff(_ version: UInt32, raise: Int) -> Tariff {
            Tariff(
                community: "sim-hromada", version: version, acceptedLayoutVersions: [Self.layout], categories: categories.map(\.category),
                baseFareKopecks: 1_500 + raise,
                routes: layout.routes.map { route in
                    Route(
                        number: route.route, name: LocalizedText(uk: route.name, en: "Route \(route.route.rawValue)"), zones: [1],
                        fareKopecks: 1_200 + 300 * Int(route.route.rawValue % 4) + raise)
                },
                antiPassbackSeconds: 180)
        }
        tariffs = [tariff(1, raise: 0), tariff(2, raise: 300)]
        var deskRandom = parameters.hasDesk ? SeededRandom(seed: parameters.seed ^ 0x6465_736B_6C65_6467) : nil
        community = try SimulatedCommunity(name: "sim-hromada", layout: layout, tariffs: tariffs, random: &random, deskRandom: &deskRandom)
        let assignments = layout.buses.map { bus in
            DeviceAssignment(device: bus.device, vehicle: bus.vehicle, carrier: bus.carrier, validFrom: KyivTime.instant(first.adding(days: -60)), validUntil: nil)
        }
        let programme = CompensationProgramme(
            year: parameters.year,
            lines: categories.map { CompensationProgramme.Line(category: $0.category.code, budgetKopecks: Int64(parameters.buses) * 40_000_000) })
        reference = SimulatedReference(
            carriers: layout.carriers, routes: layout.routes, deviceAssignments: assignments, programme: programme,
            tariffPeriods: [
                TariffPeriod(version: 1, effectiveFrom: KyivTime.instant(first.adding(days: -90))),
                TariffPeriod(version: 2, effectiveFrom: KyivTime.instant(change)),
            ],
            denyListings: [], purseCredits: [], issuedEntitlements: [],
            payments: layout.carriers.map { carrier in
                CarrierPayment(carrier: carrier.id, paidOn: first.adding(days: 4), amountKopecks: 150_000 * Int64(carrier.id.rawValue), reference: "ПД-\(carrier.id.rawValue)")
            })
        devices = community.devices.map { DeviceState(device: $0) }
        desk = community.desk.map { DeskState(desk: $0) }
        cards = []
        ordinaryCards = []
        let yearStart = CivilDate(year: parameters.year, month: 1, day: 1)!
        let yearEnd = CivilDate(year: parameters.year, month: 12, day: 31)!
        for index in 0..<parameters.cards {
            let profile = Self.profile(index)
            let card = CardState(
                serial: CardSerial(0x5100_0000_0000_0001 + UInt64(index)), profile: profile, validFrom: yearStart, validUntil: yearEnd,
                purse: 5_000)
            cards.append(card)
            if let category = profile.category, let product = profile.product {
                reference.issuedEntitlements.append(
                    IssuedEntitlement(
                        card: card.serial, entitlement: CardState.entitlement, category: category, product: product.kind,
                        rideLimit: product.rideLimit, ridePeriod: product.ridePeriod, discountPercent: product.discountPercent,
                        validFrom: yearStart, validUntil: yearEnd))
            }
        }
        if parameters.plantsFaults { plantFaults() }
        let reserved = Set(roles.reservedCards)
        ordinaryCards = cards.indices.filter { !reserved.contains($0) }
    }

    // MARK: Categories and card profiles

    struct CategoryProfile {
        var category: BenefitCategory
        var product: Product
    }

    static let categories: [CategoryProfile] = [
        CategoryProfile(category: BenefitCategory(code: 1, id: "pensioner", name: LocalizedText(uk: "Пенсіонери за віком", en: "Old-age pensioners")), product: .free),
        CategoryProfile(category: BenefitCategory(code: 2, id: "combat-veteran", name: LocalizedText(uk: "Учасники бойових дій", en: "Combat veterans")), product: .free),
        CategoryProfile(category: BenefitCategory(code: 3, id: "large-family", name: LocalizedText(uk: "Багатодітні сім'ї", en: "Large families")), product: .discount(percent: 50)),
        CategoryProfile(category: BenefitCategory(code: 4, id: "student", name: LocalizedText(uk: "Студенти", en: "Students")), product: .rides(count: 2, per: .day)),
    ]

    /// Card index → profile: a benefit category and product, or none (pays full fare from the purse).
    static func profile(_ index: Int) -> CardProfile {
        switch index % 10 {
        case 0, 1, 2: CardProfile(category: 1, product: .free)
        case 3: CardProfile(category: 2, product: .free)
        case 4, 5: CardProfile(category: 3, product: .discount(percent: 50))
        case 6, 7: CardProfile(category: 4, product: .rides(count: 2, per: .day))
        default: CardProfile(category: nil, product: nil)
        }
    }

    /// The first card index ≥ `from` with a profile of `category` (nil: no benefit).
    func cardIndex(category: CategoryCode?, from: Int) -> Int {
        var index = from
        while Self.profile(index).category != category { index += 1 }
        return index
    }

    // MARK: Planting

    /// Which devices and cards carry which planted fault.
    struct FaultRoles {
        var gapDevice = -1
        var silentDevice = -1
        var lateDevice = -1
        var tamperDevice = -1
        var clockDevice = -1
        var duplicateDevice = -1
        var gapDay = 0
        var silentAfterDay = 0
        var lateFromDay = 0
        var lateReleaseDay = 0
        var tamperDay = 0
        var clockDay = 0
        var reservedCards: [Int] = []
        var gapWitness: Int?
        var gapLostBatchDropped = false
        var tamperPlanted = false
    }

    private mutating func plantFaults() {
        let count = devices.count
        let days = parameters.days
        roles.gapDevice = count - 1
        roles.silentDevice = count - 2
        roles.lateDevice = count - 3
        roles.tamperDevice = count - 4
        roles.clockDevice = count - 5
        roles.duplicateDevice = count - 6
        roles.gapDay = days - 2
        roles.silentAfterDay = 9
        roles.lateFromDay = 4
        roles.lateReleaseDay = 11
        roles.tamperDay = 13
        roles.clockDay = 17
        let busA = 0
        let busB = 1
        // Reserved cards: only planned taps touch them, so every fault is exactly what was planted.
        var next = 0
        func reserve(_ category: CategoryCode?) -> Int {
            let index = cardIndex(category: category, from: next)
            next = index + 1
            roles.reservedCards.append(index)
            return index
        }
        let tornCommitted = reserve(1)
        let tornNotCommitted = reserve(1)
        let tornUnknown = reserve(2)
        let denied = reserve(1)
        let overLimit = reserve(4)
        let expired = reserve(1)
        let cloneTravel = reserve(2)
        let clonePurse = reserve(3)
        let gapWitness = reserve(1)
        roles.gapWitness = gapWitness
        let duplicate = reserve(1)
        let counterClone = reserve(1)

        func plan(_ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0, device: Int, card: Int, _ action: PlannedTap.Action = .ordinary) {
            plans[day, default: []].append(PlannedTap(secondOfDay: hour * 3_600 + minute * 60 + second, device: device, card: card, action: action))
        }
        // Torn transactions on bus A, resolved (or not) on bus B.
        plan(6, 10, 0, device: busA, card: tornCommitted, .tornCommitted)
        plan(6, 14, 0, device: busB, card: tornCommitted)
        plan(6, 10, 30, device: busA, card: tornNotCommitted, .tornNotCommitted)
        plan(6, 15, 0, device: busB, card: tornNotCommitted)
        plan(7, 11, 0, device: busA, card: tornUnknown, .tornUnknown)
        // A deny listing that takes effect on day 8 at 12:00; a ride before and one after.
        plan(6, 9, 0, device: busA, card: denied)
        plan(8, 10, 0, device: busB, card: denied, .ignoresDenyList)
        reference.denyListings.append(
            DenyListing(
                card: cards[denied].serial, reason: "stolen", reportedAt: KyivTime.instant(day(7), secondOfDay: 9 * 3_600),
                effectiveAt: KyivTime.instant(day(7), secondOfDay: 12 * 3_600), bundleVersion: 2))
        // Three counted rides on a two-a-day entitlement.
        plan(10, 8, 0, device: busA, card: overLimit)
        plan(10, 12, 0, device: busB, card: overLimit)
        plan(10, 17, 0, device: busA, card: overLimit, .ignoresLimit)
        // An entitlement that ends on day 11, used on day 9 and on day 13.
        cards[expired].validUntil = day(11)
        reference.issuedEntitlements = reference.issuedEntitlements.map { issued in
            var issued = issued
            if issued.card == cards[expired].serial { issued.validUntil = day(11) }
            return issued
        }
        plan(9, 9, 0, device: busA, card: expired)
        plan(13, 9, 0, device: busB, card: expired, .ignoresExpiry)
        // The same card on two buses 30 seconds apart (a copy: the same trip counter).
        plan(15, 9, 0, device: busA, card: cloneTravel)
        plan(15, 9, 0, 30, device: busB, card: cloneTravel, .cloneCopy)
        // A purse that goes up between two taps without a credit: with a desk ledger, a credit
        // written on the card that no desk recorded; without one, a copy's balance.
        plan(16, 8, 0, device: busA, card: clonePurse)
        plan(16, 13, 0, device: busB, card: clonePurse, desk == nil ? .purseBackwards : .forgedCredit)
        // The gap's witness: held tap the day before the gap, a tap on the gap device after it,
        // then a tap elsewhere whose trip counter skips the unheld one.
        plan(roles.gapDay - 1, 9, 0, device: busA, card: gapWitness)
        plan(roles.gapDay, 10, 0, device: roles.gapDevice, card: gapWitness)
        plan(days - 1, 9, 0, device: busB, card: gapWitness)
        // An older copy of a card, hours after the card's own taps: its tap counter goes back.
        plan(18, 8, 0, device: busA, card: counterClone)
        plan(18, 9, 0, device: busA, card: counterClone)
        plan(18, 15, 0, device: busB, card: counterClone, .counterReplay)
        // A charge entry written twice.
        plan(12, 10, 0, device: roles.duplicateDevice, card: duplicate, .duplicateCharge)
    }

    func day(_ index: Int) -> CivilDate { parameters.firstDay.adding(days: index) }

    // MARK: Generation

    /// Generates the next day; returns its uploads, or nil after the last day.
    public mutating func nextDay() throws -> [PlannedUpload]? {
        guard dayIndex < parameters.days else { return nil }
        let date = day(dayIndex)
        if parameters.plantsFaults, dayIndex >= roles.gapDay {
            // From the lost batch on, nothing of the gap device reaches the service.
            devices[roles.gapDevice].holds = false
        }
        var taps: [PlannedTap] = plans[dayIndex] ?? []
        for device in devices.indices where isActive(device, on: dayIndex) {
            for _ in 0..<parameters.tapsPerBusPerDay {
                let second = Self.serviceStart + Int(random.next() % UInt64(Self.serviceEnd - Self.serviceStart))
                taps.append(PlannedTap(secondOfDay: second, device: device, card: nil, action: .ordinary))
            }
        }
        taps.sort { ($0.secondOfDay, $0.device) < ($1.secondOfDay, $1.device) }
        if desk != nil, dayIndex == Self.deskLedgerFromDay {
            // The desk's software starts its ledger before the desk opens.
            try sealOnDesk(.startUp(at: KyivTime.instant(date, secondOfDay: 5 * 3_600 + 1_800), software: "hromada-desk sim"))
        }
        if parameters.plantsFaults, dayIndex == roles.clockDay {
            // The clock of the clock device runs 15 minutes fast until noon, when it is stepped back.
            devices[roles.clockDevice].clockSkew = 900
            taps.append(PlannedTap(secondOfDay: 12 * 3_600, device: roles.clockDevice, card: nil, action: .clockStep))
            taps.sort { ($0.secondOfDay, $0.device) < ($1.secondOfDay, $1.device) }
        }
        for tap in taps {
            let time = KyivTime.instant(date, secondOfDay: tap.secondOfDay)
            try process(tap, at: time, on: date)
        }
        var uploads: [PlannedUpload] = []
        for device in devices.indices { try flush(device, dayIndex: dayIndex, into: &uploads) }
        try flushDesk(into: &uploads)
        dayIndex += 1
        return uploads
    }

    /// Everything known once every day is generated.
    public var truth: SimulationTruth {
        var faults = self.faults
        for index in tornRides.keys.sorted() {
            guard let torn = tornRides[index], torn.held else { continue }
            faults.append(
                PlantedFault(kind: .tornUnknown, device: torn.device.rawValue, card: torn.card, entries: [torn.pending], amountKopecks: torn.amount.fullFareKopecks - torn.amount.paidKopecks, detail: "no later tap"))
        }
        var excluded = self.excluded
        for torn in tornRides.values where torn.held { excluded.append(ExcludedRide(entry: torn.pending, reason: .tornUnknown)) }
        if parameters.plantsFaults {
            let silent = devices[roles.silentDevice]
            faults.append(
                PlantedFault(
                    kind: .silentDevice, device: silent.device.id.rawValue, entries: [EntryPosition(device: silent.device.id.rawValue, sequence: silent.head.sequence)],
                    detail: "last entry at \(silent.lastTime.rawValue)"))
        }
        var heads: [UInt32: UInt64] = [:]
        for device in devices { heads[device.device.id.rawValue] = device.heldHead }
        if let desk { heads[desk.desk.id.rawValue] = desk.head.sequence }
        return SimulationTruth(
            faults: faults.sorted(), compensation: compensation, excluded: excluded.sorted(), heldHeads: heads, heldEntries: heldEntries,
            writtenEntries: writtenEntries, lateThresholdSeconds: lateThreshold, silenceThresholdSeconds: silenceThreshold)
    }

    private func isActive(_ device: Int, on day: Int) -> Bool {
        !(parameters.plantsFaults && device == roles.silentDevice && day > roles.silentAfterDay)
    }

    private func tariff(at time: UnixTime) -> Tariff {
        let period = reference.tariffPeriods.last { $0.effectiveFrom <= time }!
        return tariffs.first { $0.version == period.version }!
    }

    /// Picks an ordinary card free to tap at `time` (not seen for the travel time), or nil.
    private mutating func pickCard(at time: UnixTime) -> Int? {
        for _ in 0..<6 {
            let index = ordinaryCards[Int(random.next() % UInt64(ordinaryCards.count))]
            if let last = cards[index].lastTap, time.seconds(since: last) < Self.travelSeconds { continue }
            return index
        }
        return nil
    }

    private mutating func process(_ tap: PlannedTap, at trueTime: UnixTime, on date: CivilDate) throws {
        let deviceIndex = tap.device
        let time = trueTime.adding(seconds: devices[deviceIndex].clockSkew)
        let bus = devices[deviceIndex].device
        if tap.action == .clockStep {
            let entry = try seal(.clockAdjusted(from: time, to: trueTime, source: "ntp"), on: deviceIndex)
            devices[deviceIndex].clockSkew = 0
            faults.append(
                PlantedFault(kind: .clockAdjustment, device: bus.id.rawValue, entries: [reference(entry)], detail: "correction -900 s"))
            return
        }
        guard let cardIndex = tap.card ?? pickCard(at: trueTime) else { return }
        var card = cards[cardIndex]
        let tariff = tariff(at: time)
        let fullFare = Int64(tariff.fullFare(on: bus.route))
        defer { cards[cardIndex] = card }

        // Resolve this card's torn ride on another bus from what its trip counter now shows.
        if let torn = tornRides.removeValue(forKey: cardIndex) {
            let evidence = "next tap on device \(bus.id.rawValue)"
            if torn.committed {
                if torn.held {
                    compensation[torn.key, default: CompensationAmounts()].add(fullFare: torn.amount.fullFareKopecks, fare: torn.amount.paidKopecks)
                }
                faults.append(PlantedFault(kind: .tornCommitted, device: torn.device.rawValue, card: card.serial, entries: [torn.pending], amountKopecks: torn.amount.compensationKopecks, detail: evidence))
            } else {
                faults.append(PlantedFault(kind: .tornNotCommitted, device: torn.device.rawValue, card: card.serial, entries: [torn.pending], amountKopecks: torn.amount.compensationKopecks, detail: evidence))
            }
        }

        let listed = reference.denyListings.first { $0.card == card.serial }
        if let listed, let effective = listed.effectiveAt, trueTime >= effective, tap.action != .ignoresDenyList {
            try seal(.denyListHit(at: time, card: card.serial, layout: Self.layout, listingReason: listed.reason, route: bus.route, vehicle: bus.vehicle), on: deviceIndex)
            card.lastTap = trueTime
            return
        }

        // What the ride costs and how it is charged.
        var benefit: (category: CategoryCode, fare: Int64)?
        if let category = card.profile.category, let product = card.profile.product {
            let valid = date >= card.validFrom && (date <= card.validUntil || tap.action == .ignoresExpiry)
            if valid {
                switch product {
                case .free: benefit = (category, 0)
                case .discount(let percent): benefit = (category, Int64(tariff.discountRounding.discounted(Int(fullFare), percent: Int(percent))))
                case .rides(let count, _):
                    let used = card.ridesOn == date ? card.ridesUsed : 0
                    if used < Int(count) || tap.action == .ignoresLimit {
                        benefit = (category, 0)
                    } else {
                        try seal(.tapDeclined(at: time, card: card.serial, layout: Self.layout, reasonCode: "ride-limit-reached", route: bus.route, vehicle: bus.vehicle), on: deviceIndex)
                        card.lastTap = trueTime
                        return
                    }
                default: break
                }
            }
        }
        let fare = benefit?.fare ?? fullFare
        if fare > card.purse {
            // A desk credit before the tap, between the card's taps: an entry on the desk's
            // chain once it keeps one, an imported row before.
            let amount: Int64 = 10_000
            let creditedAt = trueTime.adding(seconds: -300)
            if desk != nil, dayIndex >= Self.deskLedgerFromDay {
                desk!.receipts += 1
                try sealOnDesk(
                    .purseCredit(
                        at: creditedAt, card: card.serial, layout: Self.layout, amountKopecks: amount, receipt: desk!.receipts,
                        balanceAfterKopecks: card.purse + amount))
            } else {
                reference.purseCredits.append(
                    PurseCredit(card: card.serial, amountKopecks: amount, creditedAt: creditedAt, source: "import", reference: "каса-\(reference.purseCredits.count + 1)"))
            }
            card.purse += amount
        }
        var balanceAfter = card.purse - fare
        if tap.action == .purseBackwards { balanceAfter = card.purse + 700 }
        // A top-up written on the card with a stolen key: the money of a credit, no desk entry.
        if tap.action == .forgedCredit { balanceAfter = card.purse + Self.forgedCreditKopecks - fare }
        // A copy taps with the counter the card had when it was copied: the same as the card's
        // last tap (cloneCopy, made just before), or one behind it (counterReplay, an older copy).
        let tripNumber: UInt16
        switch tap.action {
        case .cloneCopy: tripNumber = card.tripCounter
        case .counterReplay: tripNumber = card.tripCounter &- 1
        default: tripNumber = card.tripCounter &+ 1
        }
        let trip = "\(bus.id.rawValue)/\(tripNumber)/\(time.rawValue)"
        var charges: [LedgerEntryKind] = [benefit == nil ? .rideAccepted : .benefitUse]
        if fare > 0 { charges.append(.purseDebit) }
        var pending = LedgerRecord.cardTransactionPending(
            at: time, card: card.serial, layout: Self.layout, entitlement: benefit == nil ? nil : CardState.entitlement, category: benefit?.category,
            fareKopecks: fare, route: bus.route, vehicle: bus.vehicle)
        pending.fullFareKopecks = fullFare
        pending.purseBalanceAfterKopecks = balanceAfter
        pending.detail = "ride trip=\(trip) charges=\(charges.map(\.name).joined(separator: ","))"
        let pendingEntry = try seal(pending, on: deviceIndex)
        let held = devices[deviceIndex].holds
        // A ride the service never holds leaves a hole in the card's trip numbers, which its
        // next held ride shows: evidence of the device's gap (docs/reconcile-tool.md).
        if held {
            if card.missedSinceHeld, let earlier = card.lastHeldPending {
                faults.append(
                    PlantedFault(kind: .sequenceGap, card: card.serial, entries: [earlier, reference(pendingEntry)], detail: "trip number skipped: a ride on a device whose entries are not held"))
            }
            card.missedSinceHeld = false
            card.lastHeldPending = reference(pendingEntry)
        } else if card.lastHeldPending != nil, tap.action != .tornNotCommitted {
            card.missedSinceHeld = true
        }
        let key = benefit.map { CompensationKey(carrier: bus.carrier, route: bus.route, category: $0.category, day: KyivTime.date(of: time)) }
        let amount = CompensationAmounts(rides: 1, fullFareKopecks: fullFare, paidKopecks: fare)
        card.lastTap = trueTime

        switch tap.action {
        case .tornCommitted, .tornNotCommitted, .tornUnknown:
            // The card was pulled after CommitTransaction (or before): the validator wrote no more.
            let committed = tap.action == .tornCommitted
            if committed {
                card.tripCounter = tripNumber
                card.purse = balanceAfter
            }
            if let key {
                tornRides[cardIndex] = TornRide(device: bus.id, card: card.serial, pending: reference(pendingEntry), committed: committed, held: held, key: key, amount: amount)
            }
            return
        default: break
        }

        var chargeSequence: EntryPosition?
        for kind in charges {
            var record: LedgerRecord
            switch kind {
            case .benefitUse:
                record = .benefitUse(
                    at: time, card: card.serial, layout: Self.layout, entitlement: CardState.entitlement, category: benefit!.category, fareKopecks: fare,
                    fullFareKopecks: fullFare, route: bus.route, vehicle: bus.vehicle)
            case .rideAccepted:
                record = .rideAccepted(at: time, card: card.serial, layout: Self.layout, fareKopecks: fare, route: bus.route, vehicle: bus.vehicle)
            default:
                record = .purseDebit(at: time, card: card.serial, layout: Self.layout, amountKopecks: fare, balanceAfterKopecks: balanceAfter, route: bus.route, vehicle: bus.vehicle)
            }
            record.relatedSequence = pendingEntry.sequence
            // Today's validator writes the card's tap counter on its charges (format 2).
            record.cardCounters = CardCounters(tripSequence: UInt32(tripNumber))
            let entry = try seal(record, on: deviceIndex)
            if kind == .benefitUse { chargeSequence = reference(entry) }
            if kind == .purseDebit, tap.action == .purseBackwards {
                faults.append(
                    PlantedFault(kind: .clonePurse, card: card.serial, entries: [card.lastDebit!, reference(entry)], detail: "balance up by \(balanceAfter - card.purse) kop without a credit"))
            }
            if kind == .purseDebit, tap.action == .forgedCredit {
                faults.append(
                    PlantedFault(
                        kind: .forgedCredit, card: card.serial, entries: [card.lastDebit!, reference(entry)], amountKopecks: Self.forgedCreditKopecks,
                        detail: "balance up by \(Self.forgedCreditKopecks) kop with no credit on the desk's ledger"))
            }
            if kind == .purseDebit { card.lastDebit = reference(entry) }
        }
        try seal(.cardTransactionConfirmed(at: time, card: card.serial, pending: pendingEntry.sequence), on: deviceIndex)
        if tap.action == .duplicateCharge, let benefit {
            var again = LedgerRecord.benefitUse(
                at: time, card: card.serial, layout: Self.layout, entitlement: CardState.entitlement, category: benefit.category, fareKopecks: fare,
                fullFareKopecks: fullFare, route: bus.route, vehicle: bus.vehicle)
            again.relatedSequence = pendingEntry.sequence
            let duplicate = try seal(again, on: deviceIndex)
            faults.append(PlantedFault(kind: .duplicate, device: bus.id.rawValue, card: card.serial, entries: [chargeSequence!, reference(duplicate)]))
            if devices[deviceIndex].holds { excluded.append(ExcludedRide(entry: reference(duplicate), reason: .duplicate)) }
        }
        if tap.action != .cloneCopy, tap.action != .counterReplay { card.tripCounter = tripNumber }
        card.purse = balanceAfter
        if card.ridesOn != date {
            card.ridesOn = date
            card.ridesUsed = 0
        }
        if benefit != nil { card.ridesUsed += 1 }
        if tap.action == .cloneCopy, let previous = card.previousRide {
            faults.append(PlantedFault(kind: .cloneTravel, card: card.serial, entries: [previous, chargeSequence!], detail: "two vehicles 30 s apart"))
            // The copy's counter repeats the card's: the counter rule sees the same copy.
            faults.append(PlantedFault(kind: .cloneCounter, card: card.serial, entries: [previous, chargeSequence!], detail: "the copy's tap counter repeats the card's"))
        }
        if tap.action == .counterReplay, let previous = card.previousRide {
            faults.append(PlantedFault(kind: .cloneCounter, card: card.serial, entries: [previous, chargeSequence!], detail: "tap counter one behind the card's last tap, hours later"))
        }
        if let charge = chargeSequence { card.previousRide = charge }

        guard let key, let charge = chargeSequence, held else { return }
        switch tap.action {
        case .ignoresDenyList:
            excluded.append(ExcludedRide(entry: charge, reason: .denyListedUse))
            faults.append(PlantedFault(kind: .denyListedUse, device: bus.id.rawValue, card: card.serial, entries: [charge], amountKopecks: amount.compensationKopecks))
        case .ignoresLimit:
            excluded.append(ExcludedRide(entry: charge, reason: .overLimit))
            faults.append(PlantedFault(kind: .overLimit, device: bus.id.rawValue, card: card.serial, entries: [charge], amountKopecks: amount.compensationKopecks))
        case .ignoresExpiry:
            excluded.append(ExcludedRide(entry: charge, reason: .afterExpiry))
            faults.append(PlantedFault(kind: .afterExpiry, device: bus.id.rawValue, card: card.serial, entries: [charge], amountKopecks: amount.compensationKopecks))
        default:
            compensation[key, default: CompensationAmounts()].add(fullFare: fullFare, fare: fare)
        }
    }

    /// What the forged credit puts on the card: a top-up's worth.
    static let forgedCreditKopecks: Int64 = 10_000

    /// Appends `record` to the desk's chain.
    private mutating func sealOnDesk(_ record: LedgerRecord) throws {
        let entry = try desk!.head.seal(record)
        desk!.head = ChainHead(after: entry)
        desk!.buffer.append(entry)
        writtenEntries += 1
        heldEntries += 1
    }

    /// Uploads the desk's entries of the day in batches, each received ten minutes after its
    /// last entry (the desk is online: none of the planted faults touch it).
    private mutating func flushDesk(into uploads: inout [PlannedUpload]) throws {
        guard let state = desk, !state.buffer.isEmpty else { return }
        desk!.buffer.removeAll(keepingCapacity: true)
        var start = 0
        while start < state.buffer.count {
            let end = min(start + parameters.batchSize, state.buffer.count)
            let slice = Array(state.buffer[start..<end])
            start = end
            uploads.append(
                PlannedUpload(
                    device: state.desk.id, batch: try state.desk.batch(slice), receivedAt: slice[slice.count - 1].record.deviceTime.adding(seconds: 600),
                    expectation: .accepted))
        }
    }

    private func reference(_ entry: LedgerEntry) -> EntryPosition {
        EntryPosition(device: entry.deviceID.rawValue, sequence: entry.sequence)
    }

    @discardableResult
    private mutating func seal(_ record: LedgerRecord, on device: Int) throws -> LedgerEntry {
        let entry = try devices[device].head.seal(record)
        devices[device].head = ChainHead(after: entry)
        devices[device].buffer.append(entry)
        devices[device].lastTime = record.deviceTime
        writtenEntries += 1
        if devices[device].holds {
            heldEntries += 1
            devices[device].heldHead = entry.sequence
        }
        return entry
    }

    /// Cuts the day's entries of `device` into batches and plans their uploads.
    private mutating func flush(_ device: Int, dayIndex: Int, into uploads: inout [PlannedUpload]) throws {
        let entries = devices[device].buffer
        devices[device].buffer.removeAll(keepingCapacity: true)
        let simulated = devices[device].device
        var start = 0
        while start < entries.count {
            let end = min(start + parameters.batchSize, entries.count)
            let slice = Array(entries[start..<end])
            start = end
            let batch = try simulated.batch(slice)
            var receivedAt = slice[slice.count - 1].record.deviceTime.adding(seconds: 600)
            var expectation = PlannedUpload.Expectation.accepted
            if parameters.plantsFaults {
                if device == roles.lateDevice, dayIndex >= roles.lateFromDay, dayIndex < roles.lateReleaseDay {
                    // The bus was out of reach: everything waits for the release morning, in order.
                    devices[device].lateBatches += 1
                    receivedAt = KyivTime.instant(day(roles.lateReleaseDay), secondOfDay: 5 * 3_600).adding(seconds: Int64(devices[device].lateBatches))
                    recordLateness(of: slice, receivedAt: receivedAt, device: simulated)
                }
                if device == roles.gapDevice, dayIndex >= roles.gapDay {
                    if !roles.gapLostBatchDropped {
                        // This batch is lost for good; the device goes on and offers the next ones.
                        roles.gapLostBatchDropped = true
                        continue
                    }
                    expectation = .refusedGap
                }
                if device == roles.tamperDevice, dayIndex == roles.tamperDay, !roles.tamperPlanted, slice.count >= 3 {
                    roles.tamperPlanted = true
                    uploads.append(PlannedUpload(device: simulated.id, batch: batch, receivedAt: receivedAt, expectation: .accepted))
                    uploads.append(try tamperedCopy(of: slice, device: simulated, receivedAt: receivedAt.adding(seconds: 1_800)))
                    continue
                }
            }
            uploads.append(PlannedUpload(device: simulated.id, batch: batch, receivedAt: receivedAt, expectation: expectation))
        }
        if parameters.plantsFaults, device == roles.gapDevice, dayIndex == parameters.days - 1 {
            let held = devices[device].heldHead
            faults.append(
                PlantedFault(
                    kind: .sequenceGap, device: simulated.id.rawValue, entries: [EntryPosition(device: simulated.id.rawValue, sequence: held)],
                    detail: "held up to \(held) of \(devices[device].head.sequence); later batches refused with gap; a card's trip counter skips a tap"))
        }
        if parameters.plantsFaults, device == roles.lateDevice, dayIndex == parameters.days - 1, let first = devices[device].lateFirst, let last = devices[device].lateLast {
            faults.append(
                PlantedFault(kind: .lateUpload, device: simulated.id.rawValue, entries: [first, last], detail: "entries \(first.sequence)-\(last.sequence) received more than \(lateThreshold) s after their device time"))
        }
    }

    private mutating func recordLateness(of entries: [LedgerEntry], receivedAt: UnixTime, device: SimulatedDevice) {
        for entry in entries where receivedAt.seconds(since: entry.record.deviceTime) > lateThreshold {
            let reference = EntryPosition(device: device.id.rawValue, sequence: entry.sequence)
            if devices[roles.lateDevice].lateFirst == nil { devices[roles.lateDevice].lateFirst = reference }
            devices[roles.lateDevice].lateLast = reference
        }
    }

    /// The same entries with the second one changed (its full fare raised), rechained and signed
    /// by the device: what a tampered ledger offers for entries the service already holds.
    private mutating func tamperedCopy(of entries: [LedgerEntry], device: SimulatedDevice, receivedAt: UnixTime) throws -> PlannedUpload {
        var head = ChainHead(deviceID: device.id, sequence: entries[0].sequence - 1, hash: entries[0].previousHash)
        var forged: [LedgerEntry] = []
        for (index, original) in entries.enumerated() {
            var record = original.record
            if index == 1 {
                record.fullFareKopecks = (record.fullFareKopecks ?? 0) + 500
                record.detail += " "
            }
            let entry = try head.seal(record)
            forged.append(entry)
            head = ChainHead(after: entry)
        }
        faults.append(
            PlantedFault(kind: .tamper, device: device.id.rawValue, entries: [EntryPosition(device: device.id.rawValue, sequence: entries[1].sequence)], detail: "batch \(entries[0].sequence)-\(entries[entries.count - 1].sequence)"))
        return PlannedUpload(device: device.id, batch: try device.batch(forged), receivedAt: receivedAt, expectation: .tamperAlarm)
    }
}

/// A tap the day's schedule holds.
struct PlannedTap {
    enum Action: Equatable {
        case ordinary
        case tornCommitted
        case tornNotCommitted
        case tornUnknown
        case ignoresDenyList
        case ignoresLimit
        case ignoresExpiry
        case cloneCopy
        case counterReplay
        case purseBackwards
        case forgedCredit
        case duplicateCharge
        case clockStep
    }

    var secondOfDay: Int
    var device: Int
    var card: Int?
    var action: Action
}

/// A card's benefit, if any.
struct CardProfile {
    var category: CategoryCode?
    var product: Product?
}

extension Product {
    var rideLimit: UInt16? { if case .rides(let count, _) = self { count } else { nil } }
    var ridePeriod: RidePeriod? { if case .rides(_, let period) = self { period } else { nil } }
    var discountPercent: UInt8? { if case .discount(let percent) = self { percent } else { nil } }
}

/// What the simulator remembers about a card between taps.
struct CardState {
    static let entitlement: EntitlementID = 1
    var serial: CardSerial
    var profile: CardProfile
    var validFrom: CivilDate
    var validUntil: CivilDate
    var purse: Int64
    var tripCounter: UInt16 = 0
    var lastTap: UnixTime?
    var ridesOn: CivilDate?
    var ridesUsed = 0
    var lastDebit: EntryPosition?
    var previousRide: EntryPosition?
    var lastHeldPending: EntryPosition?
    var missedSinceHeld = false
}

/// What the simulator remembers about a validator between days.
struct DeviceState {
    var device: SimulatedDevice
    var head: ChainHead
    var heldHead: UInt64 = 0
    var buffer: [LedgerEntry] = []
    var clockSkew: Int64 = 0
    var lastTime = UnixTime(0)
    var holds = true
    var lateBatches = 0
    var lateFirst: EntryPosition?
    var lateLast: EntryPosition?

    init(device: SimulatedDevice) {
        self.device = device
        head = .genesis(for: device.id)
    }
}

/// The desk's chain between days.
struct DeskState {
    var desk: SimulatedDesk
    var head: ChainHead
    var buffer: [LedgerEntry] = []
    /// The last receipt number printed.
    var receipts: UInt64 = 0

    init(desk: SimulatedDesk) {
        self.desk = desk
        head = .genesis(for: desk.id)
    }
}

/// A torn ride waiting for its card's next tap.
struct TornRide {
    var device: DeviceID
    var card: CardSerial
    var pending: EntryPosition
    var committed: Bool
    var held: Bool
    var key: CompensationKey
    var amount: CompensationAmounts
}

/// A simulation that cannot be made as asked.
public struct SimulatorError: Error, CustomStringConvertible {
    /// Why.
    public var description: String
    init(_ description: String) { self.description = description }
}

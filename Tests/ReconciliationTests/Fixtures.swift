import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Tariff

@testable import Reconciliation

/// A small hromada for hand-built scenarios: two carriers, three buses, one tariff.
enum Town {
    static let period = try! ReportingPeriod(month: "2026-11")
    /// 1 November 2026, 08:00 Kyiv time (EET, UTC+2).
    static let morning = period.start.adding(seconds: 8 * 3600)

    static let pensioner = BenefitCategory(code: 1, id: "pensioner", name: LocalizedText(uk: "Пенсіонери", en: "Pensioners"))
    static let veteran = BenefitCategory(code: 2, id: "veteran", name: LocalizedText(uk: "УБД", en: "Veterans"))

    /// 15.00 on route 1, 20.00 on route 2; transfers within an hour at half price.
    static let tariff = Tariff(
        community: "test", version: 1, acceptedLayoutVersions: [1], categories: [pensioner, veteran], baseFareKopecks: 1500,
        routes: [
            Route(number: 1, name: LocalizedText(uk: "Центр", en: "Centre"), zones: [1]),
            Route(number: 2, name: LocalizedText(uk: "Вокзал", en: "Station"), zones: [1], fareKopecks: 2000),
        ],
        antiPassbackSeconds: 180, transfer: TransferRule(windowSeconds: 3600, farePercent: 50))

    static let carrierA = Carrier(id: 1, name: "ТОВ «Автобус»", edrpou: "12345678", contract: "К-1/2026")
    static let carrierB = Carrier(id: 2, name: "ФОП Петренко", edrpou: "87654321", contract: "К-2/2026")

    static let busA1: DeviceID = 101
    static let busA2: DeviceID = 102
    static let busB1: DeviceID = 201
    static func vehicle(of device: DeviceID) -> VehicleID { VehicleID(device.rawValue * 10) }

    static let since = UnixTime(1_760_000_000)  // October 2025, before every month the tests reconcile

    static func reference(tariffs: [TariffVersion]? = nil) -> ReferenceSet {
        ReferenceSet(
            carriers: [carrierA, carrierB],
            routes: [RouteAssignment(route: 1, name: "Центр", carrier: 1), RouteAssignment(route: 2, name: "Вокзал", carrier: 2)],
            deviceAssignments: [
                DeviceAssignment(device: busA1, vehicle: vehicle(of: busA1), carrier: 1, validFrom: since, validUntil: nil),
                DeviceAssignment(device: busA2, vehicle: vehicle(of: busA2), carrier: 1, validFrom: since, validUntil: nil),
                DeviceAssignment(device: busB1, vehicle: vehicle(of: busB1), carrier: 2, validFrom: since, validUntil: nil),
            ],
            tariffs: tariffs ?? [TariffVersion(period: TariffPeriod(version: 1, effectiveFrom: since), tariff: tariff)])
    }

    /// Scenarios span a few days, so a device is silent only after 40 days unless a test says so.
    static let options = ReconciliationOptions(silentDeviceDays: 40)

    static func input(
        _ devices: [Bus], reference: ReferenceSet = Town.reference(), claims: [ClaimLine] = [], options: ReconciliationOptions = Town.options
    ) -> ReconciliationInput {
        ReconciliationInput(period: period, devices: devices.map(\.ledger), reference: reference, claims: claims, options: options)
    }
}

/// A validator writing a real chain: every record sealed with `ChainHead`, received by the
/// service an hour after it was written unless said otherwise.
struct Bus {
    let device: DeviceID
    var head: ChainHead
    var entries: [HeldEntry] = []
    var refusedBatches: [RefusedBatch] = []
    var tamperAlarms: [TamperAlarmRecord] = []
    var receiptSequence: UInt64?
    /// How long after writing an entry the service receives it, unless a call says otherwise.
    var receiveDelay: Int64 = 3600
    /// What the device is registered as (a desk's ledger is built with the same calls).
    var role: DeviceRole = .validator
    /// Whether its charges carry the card's tap counter (format 2), as today's validator writes them.
    var writesCounters = false

    init(_ device: DeviceID) {
        self.device = device
        self.head = .genesis(for: device)
    }

    var vehicle: VehicleID { Town.vehicle(of: device) }

    @discardableResult
    mutating func append(_ record: LedgerRecord, receivedAt: UnixTime? = nil) -> EntryReference {
        let entry = try! head.seal(record)
        head = ChainHead(after: entry)
        entries.append(HeldEntry(entry, receivedAt: receivedAt ?? record.deviceTime.adding(seconds: receiveDelay)))
        return EntryReference(device: device, sequence: entry.sequence)
    }

    /// A benefit ride charged directly (no pending step, as an older validator writes).
    @discardableResult
    mutating func benefit(
        _ card: CardSerial, at time: UnixTime, category: CategoryCode = 1, entitlement: EntitlementID = 1, fare: Int64 = 0, fullFare: Int64 = 1500,
        route: RouteNumber = 1, receivedAt: UnixTime? = nil
    ) -> EntryReference {
        append(
            .benefitUse(
                at: time, card: card, layout: 1, entitlement: entitlement, category: category, fareKopecks: fare, fullFareKopecks: fullFare,
                route: route, vehicle: vehicle), receivedAt: receivedAt)
    }

    /// A full-fare ride from the purse, charged directly.
    @discardableResult
    mutating func paidRide(_ card: CardSerial, at time: UnixTime, fare: Int64 = 1500, route: RouteNumber = 1) -> EntryReference {
        append(.rideAccepted(at: time, card: card, layout: 1, fareKopecks: fare, route: route, vehicle: vehicle))
    }

    /// A tap the way today's validator writes it: pending (with its trip counter), the charges,
    /// the confirmation. `outcome` nil leaves it pending (the card was pulled, the bus died).
    @discardableResult
    mutating func tap(
        _ card: CardSerial, counter: UInt16, at time: UnixTime, category: CategoryCode? = 1, entitlement: EntitlementID? = 1, fare: Int64 = 0,
        fullFare: Int64 = 1500, balanceAfter: Int64 = 0, route: RouteNumber = 1, confirm: Bool? = true
    ) -> EntryReference {
        var charges: [LedgerEntryKind] = [category == nil ? .rideAccepted : .benefitUse]
        if fare > 0 { charges.append(.purseDebit) }
        var pending = LedgerRecord.cardTransactionPending(
            at: time, card: card, layout: 1, entitlement: entitlement, category: category, fareKopecks: fare, route: route, vehicle: vehicle)
        pending.fullFareKopecks = fullFare
        pending.purseBalanceAfterKopecks = balanceAfter
        pending.detail = "ride trip=\(device.rawValue)/\(counter)/\(time.rawValue) charges=\(charges.map(\.name).joined(separator: ","))"
        let reference = append(pending)
        switch confirm {
        case true?:
            for charge in charges {
                var record: LedgerRecord
                switch charge {
                case .benefitUse:
                    record = .benefitUse(
                        at: time, card: card, layout: 1, entitlement: entitlement!, category: category!, fareKopecks: fare, fullFareKopecks: fullFare,
                        route: route, vehicle: vehicle)
                case .rideAccepted:
                    record = .rideAccepted(at: time, card: card, layout: 1, fareKopecks: fare, route: route, vehicle: vehicle)
                    record.fullFareKopecks = fullFare
                default:
                    record = .purseDebit(at: time, card: card, layout: 1, amountKopecks: fare, balanceAfterKopecks: balanceAfter, route: route, vehicle: vehicle)
                }
                record.relatedSequence = reference.sequence
                if writesCounters { record.cardCounters = CardCounters(tripSequence: UInt32(counter)) }
                append(record)
            }
            append(.cardTransactionConfirmed(at: time.adding(seconds: 1), card: card, pending: reference.sequence))
        case false?:
            append(.cardTransactionAbandoned(at: time.adding(seconds: 1), card: card, pending: reference.sequence, why: "card-removed"))
        case nil:
            break
        }
        return reference
    }

    var ledger: DeviceLedger {
        DeviceLedger(
            device: device, entries: entries, heldHead: head, heldHeadDeviceTime: entries.last?.entry.record.deviceTime,
            receiptSequence: receiptSequence ?? head.sequence, checkpointSequence: head.sequence, tamperAlarms: tamperAlarms,
            refusedBatches: refusedBatches, role: role)
    }
}

extension ReconciliationReport {
    func exceptions(_ kind: ExceptionKind) -> [IntegrityException] { exceptions.filter { $0.kind == kind } }
    var compensation: Int64 { total.compensationKopecks }
}

extension UnixTime {
    static func + (lhs: UnixTime, seconds: Int64) -> UnixTime { lhs.adding(seconds: seconds) }
    static func - (lhs: UnixTime, seconds: Int64) -> UnixTime { lhs.adding(seconds: -seconds) }
}

let minute: Int64 = 60
let hour: Int64 = 3600
let day: Int64 = 86_400

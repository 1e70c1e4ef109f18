import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Testing

@testable import Reconciliation

/// Exceptions about a device's chain: gaps (and their evidence), receipts, silence, tampering,
/// late uploads and clocks.
@Suite struct DeviceExceptionTests {
    let card: CardSerial = 0x00AA_0000_0000_0020

    @Test func gapFromRefusedBatches() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        bus.refusedBatches = [RefusedBatch(firstSequence: 5, lastSequence: 9, offeredAt: Town.morning + day)]
        let report = reconcile(Town.input([bus]))
        let gaps = report.exceptions(.sequenceGap)
        #expect(gaps.count == 1)
        #expect(gaps[0].device == Town.busA1)
        #expect(gaps[0].evidence == [.refusedBatch(firstSequence: 5, lastSequence: 9, offeredAt: Town.morning + day)])
        #expect(gaps[0].entries == [EntryReference(device: Town.busA1, sequence: 1)])
        #expect(gaps[0].text.en.contains("refused later batches"))
    }

    /// A batch refused before the head caught up (its range is now held) is no evidence.
    @Test func refusedBatchNowHeldIsNoGap() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        bus.benefit(card, at: Town.morning + hour)
        bus.refusedBatches = [RefusedBatch(firstSequence: 2, lastSequence: 2, offeredAt: Town.morning)]
        #expect(reconcile(Town.input([bus])).exceptions(.sequenceGap).isEmpty)
    }

    /// Bus A1 served the card at counter 3 and its held chain stops; the card shows up on bus
    /// B1 at counter 5: tap 4 happened somewhere we do not hold, and A1 is where it went on.
    @Test func gapFromCardTripNumbers() {
        var a1 = Bus(Town.busA1)
        var b1 = Bus(Town.busB1)
        a1.tap(card, counter: 3, at: Town.morning)
        let later = b1.tap(card, counter: 5, at: Town.morning + 5 * hour, fullFare: 2000, route: 2)
        b1.tap(card, counter: 6, at: Town.morning + 30 * hour, fullFare: 2000, route: 2)
        let report = reconcile(Town.input([a1, b1]))
        let gaps = report.exceptions(.sequenceGap)
        #expect(gaps.count == 1)
        #expect(gaps[0].device == Town.busA1)
        #expect(gaps[0].evidence == [.cardTripNumbers(card: card, missingCardSequence: 4, seenAfter: later)])
        #expect(gaps[0].text.en.contains("trip numbers"))
    }

    /// A jump no device's held chain explains is reported without a device.
    @Test func unattributedTripGap() {
        var a1 = Bus(Town.busA1)
        var a2 = Bus(Town.busA2)
        var b1 = Bus(Town.busB1)
        a1.tap(card, counter: 3, at: Town.morning)
        a1.tap(0x99, counter: 1, at: Town.morning + 20 * hour)  // A1 went on: its chain does not stop early
        a2.tap(0x98, counter: 1, at: Town.morning + 20 * hour)
        b1.tap(card, counter: 5, at: Town.morning + 5 * hour, fullFare: 2000, route: 2)
        b1.tap(0x97, counter: 1, at: Town.morning + 20 * hour)
        let gaps = reconcile(Town.input([a1, a2, b1])).exceptions(.sequenceGap)
        #expect(gaps.count == 1)
        #expect(gaps[0].device == nil && gaps[0].card == card)
    }

    @Test func silentDevice() {
        var a1 = Bus(Town.busA1)
        var b1 = Bus(Town.busB1)
        a1.benefit(card, at: Town.morning)
        b1.benefit(card, at: Town.period.end - day)
        var a2 = Bus(Town.busA2)
        a2.benefit(card, at: Town.period.end - 2 * day)
        let report = reconcile(Town.input([a1, a2, b1], options: ReconciliationOptions(silentDeviceDays: 3)))
        let silent = report.exceptions(.deviceSilent)
        #expect(silent.map(\.device) == [Town.busA1])
        #expect(silent[0].evidence == [.silence(lastEntryTime: Town.morning, days: 3)])
    }

    /// In a month not over yet, silence is measured up to the moment of the report.
    @Test func silenceInAMonthNotOverYetIsMeasuredToNow() {
        var a1 = Bus(Town.busA1)
        var a2 = Bus(Town.busA2)
        var b1 = Bus(Town.busB1)
        let now = Town.period.end - 20 * day
        a1.benefit(card, at: now - day)
        a2.benefit(card, at: now - 5 * day)
        b1.benefit(card, at: now - 2 * hour)
        let asOfNow = reconcile(Town.input([a1, a2, b1], options: ReconciliationOptions(silentDeviceDays: 3, asOf: now)))
        #expect(asOfNow.exceptions(.deviceSilent).map(\.device) == [Town.busA2])
        // Judged at the period's end (no report time, or a report made after the month), all three are silent.
        let atEnd = reconcile(Town.input([a1, a2, b1], options: ReconciliationOptions(silentDeviceDays: 3)))
        #expect(atEnd.exceptions(.deviceSilent).count == 3)
        let later = reconcile(Town.input([a1, a2, b1], options: ReconciliationOptions(silentDeviceDays: 3, asOf: Town.period.end + 40 * day)))
        #expect(later == atEnd)
    }

    /// Silence besides other evidence is named in the gap too.
    @Test func silenceCorroboratesAGap() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        bus.refusedBatches = [RefusedBatch(firstSequence: 3, lastSequence: 4, offeredAt: nil)]
        let report = reconcile(Town.input([bus], options: ReconciliationOptions(silentDeviceDays: 3)))
        #expect(report.exceptions(.sequenceGap).first?.evidence.last == .silence(lastEntryTime: Town.morning, days: 3))
        #expect(report.exceptions(.deviceSilent).map(\.device).contains(Town.busA1))
    }

    @Test func entriesWithoutReceipt() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        bus.benefit(card, at: Town.morning + hour)
        bus.benefit(card, at: Town.morning + 2 * hour)
        bus.receiptSequence = 1
        let report = reconcile(Town.input([bus]))
        let uncovered = report.exceptions(.notReceipted)
        #expect(uncovered.count == 1)
        #expect(uncovered[0].entries == [EntryReference(device: Town.busA1, sequence: 2), EntryReference(device: Town.busA1, sequence: 3)])
        #expect(uncovered[0].evidence == [.coverage(receiptSequence: 1, checkpointSequence: 3)])
        #expect(uncovered[0].amountAtStakeKopecks == 3000)
        // The rides still count: they are in the chain; the exception says they are unvouched.
        #expect(report.compensation == 4500)
    }

    @Test func tamperAlarm() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        bus.benefit(card, at: Town.morning + hour)
        bus.tamperAlarms = [
            TamperAlarmRecord(
                device: Town.busA1, sequence: 2, heldHash: String(repeating: "a", count: 64), offeredHash: String(repeating: "b", count: 64),
                batchFirstSequence: 2, batchLastSequence: 3, raisedAt: Town.morning + day)
        ]
        let report = reconcile(Town.input([bus]))
        let alarms = report.exceptions(.tamperAlarm)
        #expect(alarms.count == 1)
        #expect(alarms[0].entries == [EntryReference(device: Town.busA1, sequence: 2)])
        #expect(alarms[0].amountAtStakeKopecks == 1500)
        #expect(alarms[0].evidence.first?.code == "tamper-alarm")
    }

    @Test func lateUploadAndClockAhead() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning, receivedAt: Town.morning + 5 * day)
        bus.benefit(card, at: Town.morning + 2 * hour, receivedAt: Town.morning + hour)
        bus.benefit(card, at: Town.morning + 3 * hour, receivedAt: Town.morning + 3 * hour + 10)
        let report = reconcile(Town.input([bus]))
        let delayed = report.exceptions(.uploadDelayed)
        #expect(delayed.count == 1 && delayed[0].entries == [EntryReference(device: Town.busA1, sequence: 1)])
        #expect(delayed[0].evidence == [.timeDifference(deviceTime: Town.morning, receivedAt: Town.morning + 5 * day, seconds: 5 * day)])
        let ahead = report.exceptions(.clockAhead)
        #expect(ahead.count == 1 && ahead[0].entries == [EntryReference(device: Town.busA1, sequence: 2)])
        #expect(report.compensation == 4500)
    }

    @Test func clockAdjusted() {
        var bus = Bus(Town.busA1)
        bus.append(.clockAdjusted(from: Town.morning, to: Town.morning + 2 * hour, source: "gnss"))
        let report = reconcile(Town.input([bus]))
        let steps = report.exceptions(.clockAdjusted)
        #expect(steps.count == 1)
        #expect(steps[0].evidence == [.clockStep(newTime: Town.morning + 2 * hour, correctionSeconds: 2 * hour, source: "gnss")])
    }

    /// An October ride received after October was closed is November's late entry: listed,
    /// reported, and its compensation accrued to November (not to November's lines).
    @Test func lateEntriesAfterTheClose() {
        let octoberClose = Town.period.start + 3 * day
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.period.start - day, receivedAt: octoberClose - hour)  // arrived in time for October
        let late = bus.benefit(card, at: Town.period.start - day + hour, receivedAt: octoberClose + hour)
        bus.benefit(card, at: Town.morning, receivedAt: Town.morning + hour)
        var input = Town.input([bus])
        input.previousClose = octoberClose
        let report = reconcile(input)
        #expect(report.late.map(\.entry) == [late])
        #expect(report.late[0].compensationKopecks == 1500 && report.late[0].carrier == 1)
        #expect(report.compensation == 1500)
        let act = report.acts.first { $0.carrier.id == 1 }!
        #expect(act.accruedKopecks == 3000 && act.accruedLateKopecks == 1500)
        let exception = report.exceptions(.receivedAfterClose)
        #expect(exception.count == 1 && exception[0].entries == [late] && exception[0].amountAtStakeKopecks == 1500)
    }

    /// A closed period is judged from what had arrived by its close: later arrivals change nothing.
    @Test func closedPeriodIgnoresLaterArrivals() {
        let close = Town.period.end + 5 * day
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        var closed = Town.input([bus])
        closed.close = close
        let before = reconcile(closed)
        bus.benefit(card, at: Town.morning + day, receivedAt: close + hour)
        closed.devices = [bus.ledger]
        let after = reconcile(closed)
        #expect(after == before)
        #expect(after.closedAt == close)
        #expect(after.coverage[0].headSequence == 1)
    }
}

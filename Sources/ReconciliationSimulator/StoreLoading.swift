import AccountingCore
import AccountingStore
import Bundles
import Entitlements
import Identifiers
import LedgerCore

/// Writes simulated uploads straight into an accounting store, as the service would have after
/// ingesting them, without HTTP or signature checks: the fast path that fills a benchmark
/// database with millions of entries in minutes. Tests use the HTTP API instead.
public struct StoreLoader {
    private let community: SimulatedCommunity
    private var heads: [DeviceID: ChainHead] = [:]
    /// Entries written so far.
    public private(set) var storedEntries = 0

    /// A loader for `community`'s devices.
    public init(community: SimulatedCommunity) { self.community = community }

    /// Registers every device of the community, the desk with role `desk` (what
    /// `hromada-accounting register-device --role desk` stores).
    public func registerDevices(in storage: any AccountingStorage) async throws {
        for device in community.ledgerDevices {
            try await storage.register(
                DeviceRegistration(
                    deviceID: device.id, certificate: device.certificate, label: device.label, registeredAt: SimulatedCommunity.notBefore, role: device.role))
        }
    }

    /// Stores `uploads` as the service would: accepted batches with a receipt at their end,
    /// tamper alarms for the forged ones, a refused-batch row for each batch refused after a hole.
    public mutating func write(_ uploads: [PlannedUpload], into storage: any AccountingStorage) async throws {
        for upload in uploads {
            let head = heads[upload.device] ?? .genesis(for: upload.device)
            switch upload.expectation {
            case .refusedGap:
                // The service keeps the refusal as the device's word that it went on (schema 7).
                guard let first = upload.batch.entries.first else { continue }
                try await storage.recordRefusedBatch(
                    RefusedBatchRecord(
                        device: upload.device.rawValue, firstSequence: upload.batch.firstSequence, lastSequence: upload.batch.lastSequence,
                        firstPreviousHash: first.previousHash.hex, lastHash: upload.batch.checkpoint.chainHash.hex, heldSequence: head.sequence,
                        firstRefusedAt: upload.receivedAt.rawValue, lastRefusedAt: upload.receivedAt.rawValue))
            case .tamperAlarm:
                let first = upload.batch.entries.first { $0.sequence <= head.sequence }
                guard let first else { continue }
                let held = try await storage.heldHashes(of: upload.device, in: first.sequence...min(upload.batch.lastSequence, head.sequence))
                guard let differing = upload.batch.entries.first(where: { held[$0.sequence] != nil && held[$0.sequence] != $0.hash }) else { continue }
                try await storage.recordAlarm(
                    TamperAlarm(
                        device: upload.device.rawValue, sequence: differing.sequence, heldHash: held[differing.sequence]!.hex,
                        offeredHash: differing.hash.hex, batchRange: "\(upload.batch.firstSequence)-\(upload.batch.lastSequence)",
                        recordedAt: upload.receivedAt.rawValue))
            case .accepted:
                let fresh = upload.batch.entries.filter { $0.sequence > head.sequence }
                guard let last = fresh.last else { continue }
                let newHead = ChainHead(after: last)
                let receipt = try Receipt(signing: newHead, with: community.serviceKey)
                let outcome = try await storage.commit(
                    IngestCommit(expectedHead: head, entries: fresh, checkpoint: upload.batch.checkpoint, receipt: receipt, receivedAt: upload.receivedAt))
                guard outcome == .committed else { throw SimulatorError("device \(upload.device): the head moved while loading") }
                heads[upload.device] = newHead
                storedEntries += fresh.count
            }
        }
    }
}

extension SimulatedMonth {
    /// Stores the month's reference data as the finance officer and the desk would have: carriers,
    /// routes, device assignments, the programme, tariff periods and bundles, the deny listings
    /// (reported, then carried by a deny-list bundle uploaded when they took effect), purse
    /// credits, issued entitlements and payments.
    public func storeReference(in storage: any AccountingStorage) async throws {
        let reference = self.reference
        for carrier in reference.carriers { try await storage.addCarrier(carrier) }
        for route in reference.routes { try await storage.addRoute(route) }
        for assignment in reference.deviceAssignments { try await storage.assignDevice(assignment, closingOpenSpan: false) }
        try await storage.setProgramme(reference.programme)
        for period in reference.tariffPeriods { try await storage.setTariffPeriod(period) }
        for (tariff, bundle) in community.tariffs {
            let effective = reference.tariffPeriods.first { $0.version == tariff.version }?.effectiveFrom ?? SimulatedCommunity.notBefore
            try await storage.storeBundle(StoredBundle(kind: .tariff, version: tariff.version, bytes: bundle, uploadedAt: effective))
        }
        for listing in reference.denyListings {
            _ = try await storage.addDenyListRequest(cardSerial: listing.card.printed, reason: listing.reason, reportedBy: "desk", at: listing.reportedAt)
        }
        if let effective = reference.denyListings.compactMap(\.effectiveAt).max() {
            try await storage.storeBundle(StoredBundle(kind: .denyList, version: 2, bytes: try community.denyListBundle(reference.denyListings), uploadedAt: effective))
        }
        if !reference.purseCredits.isEmpty { try await storage.importPurseCredits(reference.purseCredits) }
        if !reference.issuedEntitlements.isEmpty { try await storage.importIssuedEntitlements(reference.issuedEntitlements) }
        for payment in reference.payments { try await storage.addCarrierPayment(payment) }
    }
}

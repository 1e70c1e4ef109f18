import AccountingCore
import AccountingStore
import Bundles
import Entitlements
import Identifiers
import LedgerCore
import Reconciliation

// Foundation, not FoundationEssentials alone: FileHandle writes and reads a device's file in
// pieces, so neither the export nor its reading holds a device's whole history as one text.
import Foundation

/// An auditor's directory: every device's ledger exported as JSON lines (docs/ledger-format.md,
/// "Export"), the service's tamper alarms and closings, and the reference data; with a directory
/// of signed bundles beside it, it reproduces the database's report without database access
/// (docs/reconcile-tool.md, "An auditor's directory").
///
/// Layout: `ledgers/device-N.jsonl` (the export format; entry lines read from the service add
/// `receivedAt`, Unix seconds), `alarms.json`, `refused-batches.json` (batches refused after a
/// hole, the evidence of gaps), `devices.json` (each device's role: which are desks),
/// `closings.json`, `reference.json` (the period's reference snapshot). Files absent are empty. A device's own export, without `receivedAt`, is read too: its entries
/// are then never late.
public enum ExportDirectory {
    /// Writes the directory for `period` from `storage`, and the tariff bundles to `bundles`.
    public static func write(from storage: any AccountingStorage, period: ReportingPeriod, to directory: String, bundles: String) async throws {
        let files = FileManager.default
        try files.createDirectory(atPath: "\(directory)/ledgers", withIntermediateDirectories: true)
        try files.createDirectory(atPath: bundles, withIntermediateDirectories: true)
        let registrations = Dictionary(uniqueKeysWithValues: try await storage.registrations().map { ($0.deviceID, $0) })
        let everything = DeviceTimeWindow(from: UnixTime(Int64.min / 4), to: UnixTime(Int64.max / 4))
        for state in try await storage.deviceLedgerStates() {
            // Written a page at a time: memory holds one page of one device, never its history.
            let path = "\(directory)/ledgers/device-\(state.device.rawValue).jsonl"
            guard files.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
                throw ReconcileToolError("cannot write \(path)")
            }
            defer { try? file.close() }
            try file.write(
                contentsOf: Data(
                    (LedgerExport.jsonHeader(start: .genesis(for: state.device), devicePublicKey: registrations[state.device]?.certificate.publicKey.rawRepresentation)
                        + "\n").utf8))
            var next: UInt64 = 1
            while state.head.sequence >= next {
                let page = try await storage.entries(of: state.device, sequences: next...state.head.sequence, in: everything, limit: StoreInput.pageSize)
                var text = ""
                for stored in page {
                    var line = LedgerExport.jsonLine(stored.entry)
                    line.removeLast()
                    text += line + ",\"receivedAt\":\(stored.receivedAt.rawValue)}\n"
                }
                try file.write(contentsOf: Data(text.utf8))
                guard let last = page.last else { break }
                next = last.entry.sequence + 1
            }
            if let receipt = state.latestReceipt {
                try file.write(contentsOf: Data((LedgerExport.jsonLine(receipt, servicePublicKey: []) + "\n").utf8))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(try await storage.alarms()).write(to: URL(fileURLWithPath: "\(directory)/alarms.json"))
        try encoder.encode(try await storage.refusedBatches()).write(to: URL(fileURLWithPath: "\(directory)/refused-batches.json"))
        let roles = registrations.values.sorted { $0.deviceID < $1.deviceID }.map { ExportedDeviceRole(device: $0.deviceID.rawValue, role: $0.role) }
        try encoder.encode(roles).write(to: URL(fileURLWithPath: "\(directory)/devices.json"))
        try encoder.encode(try await storage.periodCloses()).write(to: URL(fileURLWithPath: "\(directory)/closings.json"))
        let snapshot = try await storage.referenceData(for: period.start..<period.end, dates: period.firstDay...period.lastDay, cards: nil)
        try encoder.encode(snapshot).write(to: URL(fileURLWithPath: "\(directory)/reference.json"))
        let paid = try await storage.carrierPayments(from: nil, through: period.firstDay.adding(days: -1))
        try encoder.encode(paid).write(to: URL(fileURLWithPath: "\(directory)/payments-before.json"))
        for bundle in try await (storage as? any BundleHistoryStorage)?.bundles(.tariff) ?? [] {
            try Data(bundle.bytes).write(to: URL(fileURLWithPath: "\(bundles)/tariff-v\(bundle.version).bundle"))
        }
        for bundle in try await (storage as? any BundleHistoryStorage)?.bundles(.denyList) ?? [] {
            try Data(bundle.bytes).write(to: URL(fileURLWithPath: "\(bundles)/denylist-v\(bundle.version).bundle"))
        }
    }

    /// The input of `period` from the directory and the bundles beside it, read by the same
    /// rules as `StoreInput`, every device's entries in memory (`reconcile(directory:…)` streams).
    public static func load(
        directory: String, bundles bundleDirectory: String, period: ReportingPeriod, options: ReconciliationOptions = ReconciliationOptions(),
        claims: [ClaimLine] = []
    ) throws -> LoadedInput {
        var devices: [DeviceLedger] = []
        var loaded = try read(directory: directory, bundles: bundleDirectory, period: period, options: options, claims: claims) { devices.append($0) }
        loaded.input.devices = devices
        loaded.entriesRead = devices.reduce(0) { $0 + $1.entries.count }
        return loaded
    }

    /// Reconciles `period` from the directory one device file at a time
    /// (`ReconciliationAccumulator`), as `StoreInput.reconcile(from:…)` does from a database: the
    /// report equals `reconcile(load(…).input)`, while memory holds one device's ledger and the
    /// month's compact facts. The loaded input names what was read, without the entries.
    public static func reconcile(
        directory: String, bundles bundleDirectory: String, period: ReportingPeriod, options: ReconciliationOptions = ReconciliationOptions(),
        claims: [ClaimLine] = [], scratch: String? = nil
    ) throws -> (report: ReconciliationReport, loaded: LoadedInput) {
        var streamed = try StreamedReconciliation(scratch: scratch)
        let loaded = try read(directory: directory, bundles: bundleDirectory, period: period, options: options, claims: claims) { ledger in
            streamed.add(ledger)
        } starting: { context in
            streamed.start(context)
        }
        return try streamed.finish(loaded)
    }

    /// Reads the period's context (closings, evidence, roles, reference data, bundles), hands it
    /// to `starting`, then reads the device files in ascending device order, one at a time, and
    /// hands each device's ledger to `consume`, which may keep or drop it.
    private static func read(
        directory: String, bundles bundleDirectory: String, period: ReportingPeriod, options: ReconciliationOptions, claims: [ClaimLine],
        device consume: (DeviceLedger) throws -> Void, starting: (ReconciliationInput) -> Void = { _ in }
    ) throws -> LoadedInput {
        let decoder = JSONDecoder()
        func read<T: Decodable>(_ type: T.Type, _ name: String, default value: T) throws -> T {
            let path = "\(directory)/\(name)"
            guard FileManager.default.fileExists(atPath: path) else { return value }
            return try decoder.decode(type, from: Data(contentsOf: URL(fileURLWithPath: path)))
        }
        let closingsAll = try read([PeriodClose].self, "closings.json", default: [])
        let (thisClose, previousClose) = InputAssembly.closings(closingsAll, period: period)
        let frozen = try thisClose.map { try ClosingRecord(decoding: $0.record) }
        let previous = try previousClose.map { try ClosingRecord(decoding: $0.record) }
        let alarms = InputAssembly.alarms(try read([TamperAlarm].self, "alarms.json", default: []), until: thisClose?.closedAt)
        let refused = InputAssembly.refusedBatches(try read([RefusedBatchRecord].self, "refused-batches.json", default: []), until: thisClose?.closedAt)
        let roles = Dictionary(
            try read([ExportedDeviceRole].self, "devices.json", default: []).map { (DeviceID(rawValue: $0.device), $0.role) },
            uniquingKeysWith: { first, _ in first })
        let window = DeviceTimeWindow(from: period.start, to: period.end, marginSeconds: options.contextSeconds)

        let empty = ReferenceSnapshot(
            carriers: [], routes: [], deviceAssignments: [], programmes: [], tariffPeriods: [], denyListings: [], purseCredits: [], carrierPayments: [],
            issuedEntitlements: [])
        let snapshot = try read(ReferenceSnapshot.self, "reference.json", default: empty)
        var stored: [StoredBundle] = []
        var denyLists: [StoredBundle] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: bundleDirectory)) ?? [] where name.hasSuffix(".bundle") {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(bundleDirectory)/\(name)")))
            guard let bundle = try? SignedBundle(decoding: bytes) else { continue }
            let kept = StoredBundle(kind: bundle.header.kind, version: bundle.header.version, bytes: bytes, uploadedAt: bundle.header.issuedAt)
            if bundle.header.kind == .tariff { stored.append(kept) } else if bundle.header.kind == .denyList { denyLists.append(kept) }
        }
        let (tariffs, tariffReferences) = try InputAssembly.tariffs(bundles: stored, periods: snapshot.tariffPeriods)
        let bundles = tariffReferences + InputAssembly.references(denyLists.sorted { $0.version < $1.version }, kind: "denylist")
        let paidBefore = try read([CarrierPayment].self, "payments-before.json", default: [])
        let input = ReconciliationInput(
            period: period, devices: [], reference: InputAssembly.referenceSet(snapshot, tariffs: tariffs, year: period.firstDay.year),
            previousClose: previousClose?.closedAt, close: thisClose?.closedAt, claims: claims,
            opening: InputAssembly.opening(period: period, closings: closingsAll, paymentsBefore: paidBefore), options: options)
        starting(input)

        // Which file holds which device, from each file's header line alone.
        var files: [DeviceID: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: "\(directory)/ledgers") where name.hasSuffix(".jsonl") {
            let path = "\(directory)/ledgers/\(name)"
            let device = try ExportedLedger.device(inHeaderOf: path)
            if let other = files[device] {
                throw ReconcileToolError("two ledger files for device \(device): \(other) and \(path)")
            }
            files[device] = path
        }
        var heads: [ClosingRecord.DeviceHead] = []
        for device in files.keys.sorted() {
            let ledger = try ExportedLedger(text: String(decoding: try Data(contentsOf: URL(fileURLWithPath: files[device]!)), as: UTF8.self))
            guard ledger.device == device else { throw ReconcileToolError("\(files[device]!): the ledger names two devices") }
            let fullHead = ledger.entries.last.map { ChainHead(after: $0.entry) } ?? .genesis(for: device)
            let head = frozen.map { $0.head(of: device) ?? .genesis(for: device) } ?? fullHead
            let previousHead = previous?.head(of: device)?.sequence ?? 0
            var entries: [HeldEntry] = []
            for held in ledger.entries where held.entry.sequence <= head.sequence {
                let time = held.entry.record.deviceTime.rawValue
                let inWindow = time >= window.lowerBound && time < window.upperBound
                let lateBefore = previous != nil && held.entry.sequence > previousHead && time < window.lowerBound && window.lowerBound > 0
                if inWindow || lateBefore { entries.append(held) }
            }
            let headTime = ledger.entries.first { $0.entry.sequence == head.sequence }?.entry.record.deviceTime
            let receipt = ledger.receiptSequence.map { min($0, head.sequence) }
            try consume(
                DeviceLedger(
                    device: device, entries: entries, heldHead: head, heldHeadDeviceTime: head.sequence > 0 ? headTime : nil, receiptSequence: receipt,
                    checkpointSequence: receipt, tamperAlarms: alarms[device] ?? [],
                    refusedBatches: (refused[device] ?? []).filter { $0.lastSequence > head.sequence }, role: roles[device] ?? .validator))
            heads.append(ClosingRecord.DeviceHead(device: device.rawValue, sequence: head.sequence, hash: head.hash.hex, receiptSequence: receipt))
        }
        return LoadedInput(input: input, heads: heads, bundles: bundles, closing: thisClose)
    }
}

/// One device's exported ledger, read and its chain checked.
struct ExportedLedger {
    /// The fields of an export line this reader uses (others are for people and are ignored).
    struct Line: Decodable {
        var type: String
        var device: UInt32?
        var startSequence: UInt64?
        var startHash: String?
        var bytes: String?
        var receivedAt: Int64?
        var sequence: UInt64?
    }

    var device: DeviceID
    var entries: [HeldEntry]
    var receiptSequence: UInt64?

    /// The device a ledger file is of, from its first line (the header) alone.
    static func device(inHeaderOf path: String) throws -> DeviceID {
        guard let file = FileHandle(forReadingAtPath: path) else { throw ReconcileToolError("cannot read \(path)") }
        defer { try? file.close() }
        var head: [UInt8] = []
        while !head.contains(UInt8(ascii: "\n")), head.count < 65_536, let chunk = try file.read(upToCount: 4_096), !chunk.isEmpty {
            head += chunk
        }
        let line = head.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        guard let object = try? JSONDecoder().decode(Line.self, from: Data(line)), object.type == "ledger", let id = object.device else {
            throw ReconcileToolError("\(path): the first line is not a ledger header with a device")
        }
        return DeviceID(rawValue: id)
    }

    init(text: String) throws {
        var device: DeviceID?
        var previous: ChainHead?
        var entries: [HeldEntry] = []
        var receipt: UInt64?
        let decoder = JSONDecoder()
        for (number, line) in text.split(separator: "\n").enumerated() {
            let object: Line
            do {
                object = try decoder.decode(Line.self, from: Data(line.utf8))
            } catch {
                throw ReconcileToolError("line \(number + 1) is not a JSON object with a type")
            }
            switch object.type {
            case "ledger":
                guard let id = object.device, let sequence = object.startSequence, let hashText = object.startHash, let hash = ChainHash(hex: hashText)
                else { throw ReconcileToolError("line \(number + 1): a ledger header needs device, startSequence and startHash") }
                device = DeviceID(rawValue: id)
                previous = ChainHead(deviceID: DeviceID(rawValue: id), sequence: sequence, hash: hash)
            case "entry":
                guard let hex = object.bytes, let bytes = Hex.decode(hex) else {
                    throw ReconcileToolError("line \(number + 1): an entry needs its canonical bytes")
                }
                let entry = try LedgerEntry(canonicalBytes: bytes)
                // The chain is checked here: an export that does not chain is not evidence.
                guard let head = previous, entry.deviceID == head.deviceID, entry.sequence == head.sequence + 1, entry.previousHash == head.hash else {
                    throw ReconcileToolError("line \(number + 1): entry \(entry.deviceID)/\(entry.sequence) does not continue the chain")
                }
                previous = ChainHead(after: entry)
                entries.append(HeldEntry(entry, receivedAt: object.receivedAt.map(UnixTime.init(rawValue:))))
            case "receipt":
                receipt = object.sequence
            default:
                continue
            }
        }
        guard let device else { throw ReconcileToolError("the export has no ledger header line") }
        self.device = device
        self.entries = entries
        self.receiptSequence = receipt
    }
}

/// One line of an export directory's `devices.json`: a device and what it is registered as.
struct ExportedDeviceRole: Codable, Hashable {
    var device: UInt32
    var role: DeviceRole
}

import Identifiers
import LedgerCore
import Localization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A contiguous range of one device's ledger entries and the device's checkpoint over its last
/// entry: what the uploader sends and the service ingests.
///
/// Why the checkpoint must cover the last entry: the device key signs exactly the chain the
/// batch carries, so nobody between the bus and the service (nor a thief with the ledger file
/// but not the key) can add, drop or change an entry of the batch without the signature failing.
public struct UploadBatch: Hashable, Sendable {
    /// The device whose entries these are.
    public let deviceID: DeviceID
    /// The entries, in sequence order, contiguous.
    public let entries: [LedgerEntry]
    /// The device's signed checkpoint at the last entry.
    public let checkpoint: Checkpoint

    /// Pairs entries with their checkpoint; the checks are made by `IngestRules`.
    public init(deviceID: DeviceID, entries: [LedgerEntry], checkpoint: Checkpoint) {
        self.deviceID = deviceID
        self.entries = entries
        self.checkpoint = checkpoint
    }

    /// The first sequence number in the batch.
    public var firstSequence: UInt64 { entries.first?.sequence ?? 0 }
    /// The last sequence number in the batch.
    public var lastSequence: UInt64 { entries.last?.sequence ?? 0 }

    /// The JSON body (docs/accounting.md, "Upload a batch").
    public func jsonBody() throws -> [UInt8] {
        let wire = BatchWire(
            device: deviceID.rawValue,
            entries: entries.map { Data($0.canonicalBytes).base64EncodedString() },
            checkpoint: CheckpointWire(checkpoint))
        // Sorted keys: the same batch always has the same bytes (and so the same body hash).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(wire))
    }

    /// Decodes an untrusted JSON body; throws a named `AccountingError`, never traps.
    ///
    /// Checks only form: JSON shape, entry count against `limits`, canonical entry bytes and
    /// checkpoint field lengths. Whether the entries chain and the checkpoint verifies is
    /// `IngestRules`' business.
    public init(jsonBody body: [UInt8], limits: AccountingLimits = .standard) throws {
        guard body.count <= limits.maximumBodyBytes else {
            throw AccountingError(
                .tooLarge, uk: "тіло запиту завелике (\(UkrainianNoun.byte.counted(body.count)))",
                en: "the request body is too large (\(EnglishNoun.byte.counted(body.count)))")
        }
        // The form every uploader writes, read straight from the bytes; anything else (and every
        // refusal, with its code) through JSONDecoder.
        self = try Self.decodingCanonicalForm(body, limits: limits) ?? Self.decodingWithJSONDecoder(body, limits: limits)
    }

    /// The general decoding of a body within the size limit: any JSON form, every refusal named.
    static func decodingWithJSONDecoder(_ body: [UInt8], limits: AccountingLimits) throws -> UploadBatch {
        let wire: BatchWire
        do {
            wire = try JSONDecoder().decode(BatchWire.self, from: Data(body))
        } catch {
            throw AccountingError(
                .malformedBody, uk: "тіло не є пакетом записів у JSON", en: "the body is not a JSON batch: \(error)")
        }
        guard !wire.entries.isEmpty else {
            throw AccountingError(.emptyBatch, uk: "пакет не містить записів", en: "the batch holds no entries")
        }
        guard wire.entries.count <= limits.maximumBatchEntries else {
            throw AccountingError(
                .tooLarge, uk: "у пакеті \(UkrainianNoun.record.counted(wire.entries.count)), дозволено до \(limits.maximumBatchEntries)",
                en: "the batch holds \(EnglishNoun.entry.counted(wire.entries.count)); at most \(limits.maximumBatchEntries)")
        }
        var entries: [LedgerEntry] = []
        entries.reserveCapacity(wire.entries.count)
        for (index, text) in wire.entries.enumerated() {
            guard let data = Data(base64Encoded: text) else {
                throw AccountingError(
                    .malformedEntry, uk: "запис \(index) не є base64", en: "entry \(index) is not base64")
            }
            do {
                entries.append(try LedgerEntry(canonicalBytes: Array(data)))
            } catch {
                throw AccountingError(
                    .malformedEntry, uk: "запис \(index) не читається", en: "entry \(index) does not decode: \(error)")
            }
        }
        return UploadBatch(deviceID: DeviceID(rawValue: wire.device), entries: entries, checkpoint: try wire.checkpoint.checkpoint(device: DeviceID(rawValue: wire.device)))
    }
}

/// The JSON form of a batch.
struct BatchWire: Codable {
    var device: UInt32
    var entries: [String]
    var checkpoint: CheckpointWire
}

/// The JSON form of a checkpoint inside a batch.
struct CheckpointWire: Codable {
    var sequence: UInt64
    var chainHash: String
    var signature: String

    init(_ checkpoint: Checkpoint) {
        sequence = checkpoint.sequence
        chainHash = checkpoint.chainHash.hex
        signature = Hex.encode(checkpoint.signature)
    }

    func checkpoint(device: DeviceID) throws -> Checkpoint {
        guard let hash = ChainHash(hex: chainHash), let signatureBytes = Hex.decode(signature), signatureBytes.count == 64
        else {
            throw AccountingError(
                .invalidField, uk: "контрольна точка пакета має неправильний хеш або підпис",
                en: "the batch checkpoint's hash or signature is not hex of the right length")
        }
        do {
            return try Checkpoint(deviceID: device, sequence: sequence, chainHash: hash, signature: signatureBytes)
        } catch {
            throw AccountingError(.invalidField, uk: "контрольна точка пакета неправильна", en: "the batch checkpoint: \(error)")
        }
    }
}

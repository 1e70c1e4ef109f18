import Entitlements
import Identifiers
import LedgerCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A receipt as JSON: device, sequence, chain hash (hex) and the service's signature (hex).
public struct ReceiptWire: Codable, Hashable, Sendable {
    /// The device.
    public var device: UInt32
    /// The last entry covered.
    public var sequence: UInt64
    /// The hash of that entry, 64 hex digits.
    public var chainHash: String
    /// The service's Ed25519 signature, 128 hex digits.
    public var signature: String

    /// The JSON form of `receipt`.
    public init(_ receipt: Receipt) {
        device = receipt.deviceID.rawValue
        sequence = receipt.sequence
        chainHash = receipt.chainHash.hex
        signature = Hex.encode(receipt.signature)
    }

    /// The receipt, if the fields have the right form (its signature is checked by the receiver).
    public func receipt() throws -> Receipt {
        guard let hash = ChainHash(hex: chainHash), let signatureBytes = Hex.decode(signature), signatureBytes.count == 64
        else {
            throw AccountingError(.invalidField, uk: "квитанція має неправильну форму", en: "the receipt's hash or signature is malformed")
        }
        do {
            return try Receipt(deviceID: DeviceID(rawValue: device), sequence: sequence, chainHash: hash, signature: signatureBytes)
        } catch {
            throw AccountingError(.invalidField, uk: "квитанція неправильна", en: "the receipt: \(error)")
        }
    }
}

/// The answer to an accepted or replayed batch.
public struct UploadResponse: Codable, Hashable, Sendable {
    /// `accepted` (new entries stored) or `replayed` (everything was already held).
    public var outcome: UploadOutcome
    /// How many entries this request added.
    public var storedEntries: Int
    /// The signed receipt covering the batch's last entry.
    public var receipt: ReceiptWire

    /// Creates a response.
    public init(outcome: UploadOutcome, storedEntries: Int, receipt: ReceiptWire) {
        self.outcome = outcome
        self.storedEntries = storedEntries
        self.receipt = receipt
    }
}

/// A device's position at the service: what it holds and the latest receipt.
public struct PositionResponse: Codable, Hashable, Sendable {
    /// The device.
    public var device: UInt32
    /// The last entry held (0 when nothing is held).
    public var sequence: UInt64
    /// The hash of that entry (the device's genesis value when nothing is held).
    public var chainHash: String
    /// The next sequence the service expects.
    public var resumeSequence: UInt64
    /// The latest receipt, if the service has issued one.
    public var receipt: ReceiptWire?

    /// Creates a position.
    public init(device: UInt32, sequence: UInt64, chainHash: String, resumeSequence: UInt64, receipt: ReceiptWire?) {
        self.device = device
        self.sequence = sequence
        self.chainHash = chainHash
        self.resumeSequence = resumeSequence
        self.receipt = receipt
    }
}

/// Every 4xx/5xx body: `{"error": {"code": …, "message": {"uk": …, "en": …}, "resumeSequence": …}}`.
public struct ErrorResponse: Codable, Hashable, Sendable {
    /// The error.
    public struct Body: Codable, Hashable, Sendable {
        /// A stable code for programs.
        public var code: AccountingErrorCode
        /// The explanation for people.
        public var message: Message
        /// For `gap`: the sequence to resume from.
        public var resumeSequence: UInt64?
    }

    /// Ukrainian first, English available.
    public struct Message: Codable, Hashable, Sendable {
        /// Ukrainian.
        public var uk: String
        /// English.
        public var en: String
    }

    /// The error.
    public var error: Body

    /// Creates an error body.
    public init(code: AccountingErrorCode, uk: String, en: String, resumeSequence: UInt64? = nil) {
        error = Body(code: code, message: Message(uk: uk, en: en), resumeSequence: resumeSequence)
    }
}

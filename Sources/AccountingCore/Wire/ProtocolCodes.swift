import Bundles
import Entitlements

/// What the service did with a batch it answered 200 for: the `outcome` field of `UploadResponse`.
///
/// Why an `unrecognized` case: a service newer than the uploader may name an outcome this
/// build does not know. The receipt in the same answer is what the uploader trusts (it checks
/// it covers the batch and verifies its signature), so the outcome is information only, and an
/// unknown one must not make the answer unreadable.
public enum UploadOutcome: Hashable, Sendable {
    /// New entries were stored.
    case accepted
    /// Everything in the batch was already held; nothing was stored.
    case replayed
    /// An outcome this build does not know, kept as it was sent.
    case unrecognized(String)

    /// Every outcome this build knows.
    public static let known: [UploadOutcome] = [.accepted, .replayed]

    /// The name on the wire.
    public var wireName: String {
        switch self {
        case .accepted: "accepted"
        case .replayed: "replayed"
        case .unrecognized(let name): name
        }
    }

    /// The outcome the wire name stands for (`unrecognized` when this build does not know it).
    public init(wireName: String) {
        self = Self.known.first { $0.wireName == wireName } ?? .unrecognized(wireName)
    }
}

/// The stable code of every 4xx/5xx answer of the accounting service (`error.code` in
/// `ErrorResponse`, docs/accounting.md and docs/openapi.yaml), and of `AccountingError`.
///
/// One enum for the service, which answers with these, and the uploader, which acts on them,
/// so neither compares strings. The wire names are the contract: they never change once
/// released. Why an `unrecognized` case: a service newer than the uploader may answer with a
/// code this build does not know; decoding keeps it (for logs) instead of failing, and the
/// uploader treats it like any other refusal it cannot act on.
public enum AccountingErrorCode: Hashable, Sendable {
    // MARK: The request as bytes

    /// The body is not the JSON the endpoint expects (wrong types, missing fields).
    case malformedBody
    /// A ledger entry in the batch does not decode as canonical bytes.
    case malformedEntry
    /// The body or the batch is larger than the service accepts.
    case tooLarge
    /// The batch holds no entries.
    case emptyBatch
    /// A header, field or query parameter holds a value outside its allowed form.
    case invalidField

    // MARK: Device authentication (`DeviceAuthRefusal`)

    /// A signature header is absent.
    case missingSignatureHeader
    /// A signature header does not have its form.
    case malformedSignatureHeader
    /// The request's timestamp is outside the allowed window.
    case staleRequest
    /// The nonce was already used inside the window.
    case replayedNonce
    /// The device certificate is not signed by the community root (or otherwise unusable).
    case certificateInvalid
    /// The device certificate is revoked.
    case certificateRevoked
    /// The device certificate is for another role than validator.
    case certificateWrongRole
    /// The device certificate has expired.
    case certificateExpired
    /// The device certificate is not valid yet.
    case certificateNotYetValid
    /// No device with this id is registered.
    case unknownDevice
    /// The device is registered with another key.
    case keyNotRegistered
    /// The request signature does not verify.
    case badRequestSignature
    /// The device certificate names another device than the request (or registration) does.
    case certificateNamesAnotherDevice

    // MARK: The batch (`BatchRejection`, `IngestDecision`)

    /// The batch names another device than the one that signed the request.
    case deviceMismatch
    /// An entry belongs to another device.
    case entryFromOtherDevice
    /// The entries are not numbered one after another.
    case notContiguous
    /// An entry does not chain to the one before it inside the batch.
    case brokenLink
    /// The checkpoint is not over the batch's last entry.
    case checkpointMismatch
    /// The checkpoint's signature does not verify under the device key.
    case checkpointSignatureInvalid
    /// Sequence 0 is never an entry.
    case sequenceZero
    /// An entry's kind is not one a device of its registered role writes.
    case kindNotAllowedForDeviceRole
    /// Entries are missing before the batch; `resumeSequence` says where to resume.
    case gap
    /// The batch contradicts entries the service holds; a tamper alarm was recorded.
    case chainConflict

    // MARK: Operators

    /// No bearer token was sent.
    case missingToken
    /// The bearer token is not known.
    case unknownToken
    /// The token's role may not do this.
    case roleForbidden

    // MARK: Bundles (`BundleRefusal`)

    /// The path names no bundle kind.
    case unknownBundleKind
    /// No bundle of the kind has been uploaded yet.
    case noBundle
    /// The uploaded bytes are not a readable bundle.
    case bundleMalformed
    /// The bundle is of another kind than the path names.
    case bundleWrongKind
    /// The bundle belongs to another community.
    case bundleWrongCommunity
    /// The bundle is signed by another key than the community root.
    case bundleWrongSigner
    /// The bundle's signature does not verify.
    case bundleBadSignature
    /// The bundle is older than the one held.
    case bundleRollback
    /// The bundle's version is the one held.
    case bundleNotNewer
    /// The bundle has expired.
    case bundleExpired
    /// The bundle's issue time is in the future.
    case bundleNotYetIssued
    /// A trust bundle names another root than the pinned one.
    case bundleRootMismatch

    // MARK: Device registration (the certificate an operator registers)

    /// The certificate does not decode.
    case malformedCertificate
    /// The certificate's issuer is not the community root.
    case registrationUnknownIssuer
    /// The certificate is revoked.
    case registrationRevokedIssuer
    /// The certificate's root signature does not verify.
    case registrationBadSignature
    /// The certificate is for another role than validator.
    case registrationWrongRole
    /// The certificate is not valid yet.
    case registrationNotYetValid
    /// The certificate has expired.
    case registrationExpired
    /// A validator certificate of format 1, which names no device: re-certify it first.
    case certificateNamesNoDevice
    /// The certificate's key is already registered under another device id.
    case keyRegisteredToAnotherDevice

    // MARK: Reference data (`ReferenceDataError`)

    /// A reference field outside its form (ЄДРПОУ check digit, name length, a negative amount).
    case invalidReference
    /// The carrier, route, credit or programme line is stored already under the same key.
    case duplicateReference
    /// The row points to a carrier (or replaces a row) that is not stored.
    case unknownReference
    /// A device's assignment spans would overlap.
    case assignmentOverlap
    /// The month is closed already; a closing is stored once.
    case periodAlreadyClosed

    // MARK: Any endpoint

    /// No such path.
    case notFound
    /// The path does not take this method.
    case methodNotAllowed
    /// The storage failed; try again later.
    case storageUnavailable
    /// An unexpected failure inside the service.
    case internalError

    /// A code this build does not know, kept as it was sent.
    case unrecognized(String)

    /// Every code this build knows (every case but `unrecognized`).
    public static let known: [AccountingErrorCode] = [
        .malformedBody, .malformedEntry, .tooLarge, .emptyBatch, .invalidField,
        .missingSignatureHeader, .malformedSignatureHeader, .staleRequest, .replayedNonce, .certificateInvalid,
        .certificateRevoked, .certificateWrongRole, .certificateExpired, .certificateNotYetValid, .unknownDevice,
        .keyNotRegistered, .badRequestSignature, .certificateNamesAnotherDevice,
        .deviceMismatch, .entryFromOtherDevice, .notContiguous, .brokenLink, .checkpointMismatch,
        .checkpointSignatureInvalid, .sequenceZero, .kindNotAllowedForDeviceRole, .gap, .chainConflict,
        .missingToken, .unknownToken, .roleForbidden,
        .unknownBundleKind, .noBundle, .bundleMalformed, .bundleWrongKind, .bundleWrongCommunity, .bundleWrongSigner,
        .bundleBadSignature, .bundleRollback, .bundleNotNewer, .bundleExpired, .bundleNotYetIssued, .bundleRootMismatch,
        .malformedCertificate, .registrationUnknownIssuer, .registrationRevokedIssuer, .registrationBadSignature,
        .registrationWrongRole, .registrationNotYetValid, .registrationExpired, .certificateNamesNoDevice,
        .keyRegisteredToAnotherDevice,
        .invalidReference, .duplicateReference, .unknownReference, .assignmentOverlap, .periodAlreadyClosed,
        .notFound, .methodNotAllowed, .storageUnavailable, .internalError,
    ]

    private static let byWireName: [String: AccountingErrorCode] = Dictionary(
        known.map { ($0.wireName, $0) }, uniquingKeysWith: { first, _ in first })

    /// The code the wire name stands for (`unrecognized` when this build does not know it).
    public init(wireName: String) {
        self = Self.byWireName[wireName] ?? .unrecognized(wireName)
    }

    /// The stable kebab-case name on the wire.
    public var wireName: String {
        switch self {
        case .malformedBody: "malformed-body"
        case .malformedEntry: "malformed-entry"
        case .tooLarge: "too-large"
        case .emptyBatch: "empty-batch"
        case .invalidField: "invalid-field"
        case .missingSignatureHeader: "missing-signature-header"
        case .malformedSignatureHeader: "malformed-signature-header"
        case .staleRequest: "stale-request"
        case .replayedNonce: "replayed-nonce"
        case .certificateInvalid: "certificate-invalid"
        case .certificateRevoked: "certificate-revoked"
        case .certificateWrongRole: "certificate-wrong-role"
        case .certificateExpired: "certificate-expired"
        case .certificateNotYetValid: "certificate-not-yet-valid"
        case .unknownDevice: "unknown-device"
        case .keyNotRegistered: "key-not-registered"
        case .badRequestSignature: "bad-request-signature"
        case .certificateNamesAnotherDevice: "certificate-names-another-device"
        case .deviceMismatch: "device-mismatch"
        case .entryFromOtherDevice: "entry-from-other-device"
        case .notContiguous: "not-contiguous"
        case .brokenLink: "broken-link"
        case .checkpointMismatch: "checkpoint-mismatch"
        case .checkpointSignatureInvalid: "checkpoint-signature-invalid"
        case .sequenceZero: "sequence-zero"
        case .kindNotAllowedForDeviceRole: "kind-not-allowed-for-device-role"
        case .gap: "gap"
        case .chainConflict: "chain-conflict"
        case .missingToken: "missing-token"
        case .unknownToken: "unknown-token"
        case .roleForbidden: "role-forbidden"
        case .unknownBundleKind: "unknown-bundle-kind"
        case .noBundle: "no-bundle"
        case .bundleMalformed: "bundle-malformed"
        case .bundleWrongKind: "bundle-wrong-kind"
        case .bundleWrongCommunity: "bundle-wrong-community"
        case .bundleWrongSigner: "bundle-wrong-signer"
        case .bundleBadSignature: "bundle-bad-signature"
        case .bundleRollback: "bundle-rollback"
        case .bundleNotNewer: "bundle-not-newer"
        case .bundleExpired: "bundle-expired"
        case .bundleNotYetIssued: "bundle-not-yet-issued"
        case .bundleRootMismatch: "bundle-root-mismatch"
        case .malformedCertificate: "malformed-certificate"
        case .registrationUnknownIssuer: "certificate-unknown-issuer"
        case .registrationRevokedIssuer: "certificate-revoked-issuer"
        case .registrationBadSignature: "certificate-issuer-certificate-bad-signature"
        case .registrationWrongRole: "certificate-issuer-wrong-role"
        case .registrationNotYetValid: "certificate-issuer-certificate-not-yet-valid"
        case .registrationExpired: "certificate-issuer-certificate-expired"
        case .certificateNamesNoDevice: "certificate-names-no-device"
        case .keyRegisteredToAnotherDevice: "key-registered-to-another-device"
        case .invalidReference: "invalid-reference"
        case .duplicateReference: "duplicate-reference"
        case .unknownReference: "unknown-reference"
        case .assignmentOverlap: "assignment-overlap"
        case .periodAlreadyClosed: "period-already-closed"
        case .notFound: "not-found"
        case .methodNotAllowed: "method-not-allowed"
        case .storageUnavailable: "storage-unavailable"
        case .internalError: "internal-error"
        case .unrecognized(let name): name
        }
    }

    /// The code for a bundle the service refuses to store.
    public init(refusing refusal: BundleRefusal) {
        switch refusal {
        case .malformed: self = .bundleMalformed
        case .wrongKind: self = .bundleWrongKind
        case .wrongCommunity: self = .bundleWrongCommunity
        case .wrongSigner: self = .bundleWrongSigner
        case .badSignature: self = .bundleBadSignature
        case .rollback: self = .bundleRollback
        case .notNewer: self = .bundleNotNewer
        case .expired: self = .bundleExpired
        case .notYetIssued: self = .bundleNotYetIssued
        case .rootMismatch: self = .bundleRootMismatch
        }
    }

    /// The code for a device certificate an operator tries to register that is not usable for a
    /// validator.
    ///
    /// A certificate check yields only the issuer rejections; the others (which concern
    /// entitlements, not certificates) cannot occur here and read as `certificateInvalid`.
    public init(registering rejection: EntitlementRejection) {
        switch rejection {
        case .unknownIssuer: self = .registrationUnknownIssuer
        case .revokedIssuer: self = .registrationRevokedIssuer
        case .issuerCertificateBadSignature: self = .registrationBadSignature
        case .issuerWrongRole: self = .registrationWrongRole
        case .issuerCertificateNotYetValid: self = .registrationNotYetValid
        case .issuerCertificateExpired: self = .registrationExpired
        case .badSignature, .wrongCard, .wrongLayoutVersion, .unknownCategory, .notYetValid, .expired:
            self = .certificateInvalid
        }
    }
}

/// A protocol value that travels as its wire name and reads any name (unknown ones kept as
/// they came), so one Codable form serves every protocol enum.
public protocol WireNamed: Codable, CustomStringConvertible {
    /// The name on the wire.
    var wireName: String { get }
    /// The value the wire name stands for; never fails.
    init(wireName: String)
}

extension WireNamed {
    /// Reads the wire name; any string is accepted.
    public init(from decoder: any Decoder) throws {
        self.init(wireName: try decoder.singleValueContainer().decode(String.self))
    }

    /// Writes the wire name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wireName)
    }

    /// The wire name.
    public var description: String { wireName }
}

extension UploadOutcome: WireNamed {}

extension AccountingErrorCode: WireNamed {}

import SmartCard

/// A PC/SC return code (`SCARD_S_*`, `SCARD_E_*`, `SCARD_F_*`, `SCARD_W_*`), read as a name.
///
/// Compare with the named constants (`case .removedCard:`) rather than hex. ``error(during:)``
/// turns a failure into the project's two failure domains: ``CardError`` when the card is at
/// fault (removed, reset, mute, wrong protocol) and ``ReaderError`` when the reader or the
/// service is.
public struct PCSCReturnCode: Hashable, Sendable, CustomStringConvertible {
    /// The code as pcsc-lite defines it (the low 32 bits of its `LONG`).
    public let rawValue: UInt32

    /// Wraps a raw code.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Wraps the `LONG` a pcsc-lite call returned.
    init(_ value: Int) { self.rawValue = UInt32(truncatingIfNeeded: value) }

    /// Matches a code against a named one in `switch` and `catch` patterns.
    public static func ~= (pattern: PCSCReturnCode, value: PCSCReturnCode) -> Bool { pattern == value }

    public static let success = Self(rawValue: 0x0000_0000)
    public static let internalError = Self(rawValue: 0x8010_0001)
    public static let cancelled = Self(rawValue: 0x8010_0002)
    public static let invalidHandle = Self(rawValue: 0x8010_0003)
    public static let invalidParameter = Self(rawValue: 0x8010_0004)
    public static let invalidTarget = Self(rawValue: 0x8010_0005)
    public static let noMemory = Self(rawValue: 0x8010_0006)
    public static let waitedTooLong = Self(rawValue: 0x8010_0007)
    public static let insufficientBuffer = Self(rawValue: 0x8010_0008)
    public static let unknownReader = Self(rawValue: 0x8010_0009)
    public static let timeout = Self(rawValue: 0x8010_000A)
    public static let sharingViolation = Self(rawValue: 0x8010_000B)
    public static let noSmartCard = Self(rawValue: 0x8010_000C)
    public static let unknownCard = Self(rawValue: 0x8010_000D)
    public static let cannotDispose = Self(rawValue: 0x8010_000E)
    public static let protocolMismatch = Self(rawValue: 0x8010_000F)
    public static let notReady = Self(rawValue: 0x8010_0010)
    public static let invalidValue = Self(rawValue: 0x8010_0011)
    public static let systemCancelled = Self(rawValue: 0x8010_0012)
    public static let communicationError = Self(rawValue: 0x8010_0013)
    public static let unknownError = Self(rawValue: 0x8010_0014)
    public static let invalidATR = Self(rawValue: 0x8010_0015)
    public static let notTransacted = Self(rawValue: 0x8010_0016)
    public static let readerUnavailable = Self(rawValue: 0x8010_0017)
    public static let pciTooSmall = Self(rawValue: 0x8010_0019)
    public static let readerUnsupported = Self(rawValue: 0x8010_001A)
    public static let duplicateReader = Self(rawValue: 0x8010_001B)
    public static let cardUnsupported = Self(rawValue: 0x8010_001C)
    public static let noService = Self(rawValue: 0x8010_001D)
    public static let serviceStopped = Self(rawValue: 0x8010_001E)
    /// `SCARD_E_UNSUPPORTED_FEATURE`. pcsc-lite gives it the value of `SCARD_E_UNEXPECTED`
    /// (Windows uses 0x80100022), so the two names are one code here.
    public static let unsupportedFeature = Self(rawValue: 0x8010_001F)
    /// `SCARD_E_UNEXPECTED`: the same code as ``unsupportedFeature`` in pcsc-lite.
    public static let unexpected = unsupportedFeature
    public static let noReadersAvailable = Self(rawValue: 0x8010_002E)
    public static let communicationDataLost = Self(rawValue: 0x8010_002F)
    public static let serverTooBusy = Self(rawValue: 0x8010_0031)
    public static let unsupportedCard = Self(rawValue: 0x8010_0065)
    public static let unresponsiveCard = Self(rawValue: 0x8010_0066)
    public static let unpoweredCard = Self(rawValue: 0x8010_0067)
    public static let resetCard = Self(rawValue: 0x8010_0068)
    public static let removedCard = Self(rawValue: 0x8010_0069)
    public static let securityViolation = Self(rawValue: 0x8010_006A)

    private static let names: [UInt32: String] = [
        0x0000_0000: "SCARD_S_SUCCESS",
        0x8010_0001: "SCARD_F_INTERNAL_ERROR",
        0x8010_0002: "SCARD_E_CANCELLED",
        0x8010_0003: "SCARD_E_INVALID_HANDLE",
        0x8010_0004: "SCARD_E_INVALID_PARAMETER",
        0x8010_0005: "SCARD_E_INVALID_TARGET",
        0x8010_0006: "SCARD_E_NO_MEMORY",
        0x8010_0007: "SCARD_F_WAITED_TOO_LONG",
        0x8010_0008: "SCARD_E_INSUFFICIENT_BUFFER",
        0x8010_0009: "SCARD_E_UNKNOWN_READER",
        0x8010_000A: "SCARD_E_TIMEOUT",
        0x8010_000B: "SCARD_E_SHARING_VIOLATION",
        0x8010_000C: "SCARD_E_NO_SMARTCARD",
        0x8010_000D: "SCARD_E_UNKNOWN_CARD",
        0x8010_000E: "SCARD_E_CANT_DISPOSE",
        0x8010_000F: "SCARD_E_PROTO_MISMATCH",
        0x8010_0010: "SCARD_E_NOT_READY",
        0x8010_0011: "SCARD_E_INVALID_VALUE",
        0x8010_0012: "SCARD_E_SYSTEM_CANCELLED",
        0x8010_0013: "SCARD_F_COMM_ERROR",
        0x8010_0014: "SCARD_F_UNKNOWN_ERROR",
        0x8010_0015: "SCARD_E_INVALID_ATR",
        0x8010_0016: "SCARD_E_NOT_TRANSACTED",
        0x8010_0017: "SCARD_E_READER_UNAVAILABLE",
        0x8010_0019: "SCARD_E_PCI_TOO_SMALL",
        0x8010_001A: "SCARD_E_READER_UNSUPPORTED",
        0x8010_001B: "SCARD_E_DUPLICATE_READER",
        0x8010_001C: "SCARD_E_CARD_UNSUPPORTED",
        0x8010_001D: "SCARD_E_NO_SERVICE",
        0x8010_001E: "SCARD_E_SERVICE_STOPPED",
        0x8010_001F: "SCARD_E_UNSUPPORTED_FEATURE",
        0x8010_0022: "SCARD_E_UNSUPPORTED_FEATURE (Windows)",
        0x8010_002E: "SCARD_E_NO_READERS_AVAILABLE",
        0x8010_002F: "SCARD_E_COMM_DATA_LOST",
        0x8010_0031: "SCARD_E_SERVER_TOO_BUSY",
        0x8010_0065: "SCARD_W_UNSUPPORTED_CARD",
        0x8010_0066: "SCARD_W_UNRESPONSIVE_CARD",
        0x8010_0067: "SCARD_W_UNPOWERED_CARD",
        0x8010_0068: "SCARD_W_RESET_CARD",
        0x8010_0069: "SCARD_W_REMOVED_CARD",
        0x8010_006A: "SCARD_W_SECURITY_VIOLATION",
    ]

    /// The pcsc-lite name, e.g. `SCARD_W_REMOVED_CARD`, or the hex value if it has none here.
    public var name: String {
        if let name = Self.names[rawValue] { return name }
        let hex = String(rawValue, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    public var description: String { name }

    /// Whether the card (not the reader) is at fault: these codes raise ``CardError``.
    public var isCardFailure: Bool {
        switch self {
        case .removedCard, .noSmartCard, .resetCard, .unresponsiveCard, .unpoweredCard,
             .protocolMismatch, .unsupportedCard, .cardUnsupported, .invalidATR:
            true
        default:
            false
        }
    }

    /// Whether the code means the PC/SC service is gone (stopped, restarted or never started).
    public var isServiceLoss: Bool {
        switch self {
        case .noService, .serviceStopped, .communicationError, .invalidHandle: true
        default: false
        }
    }

    /// The error this failure raises in the caller's terms. `operation` names the PC/SC call,
    /// for the reason text.
    ///
    /// Card failures become ``CardError`` (the caller's tearing recovery decides what the
    /// interrupted command did); everything else is ``ReaderError``.
    public func error(during operation: String) -> any Error {
        let reason = "\(operation) failed: \(name)"
        switch self {
        case .removedCard, .noSmartCard: return CardError(.removed, reason)
        case .resetCard: return CardError(.reset, reason)
        case .unresponsiveCard, .unpoweredCard: return CardError(.unresponsive, reason)
        case .protocolMismatch, .unsupportedCard, .cardUnsupported, .invalidATR:
            return CardError(.protocolMismatch, reason)
        case .noService, .serviceStopped, .communicationError, .invalidHandle:
            return ReaderError(.serviceUnavailable, reason)
        case .noReadersAvailable: return ReaderError(.noReaders, reason)
        case .unknownReader: return ReaderError(.unknownReader, reason)
        case .readerUnavailable, .readerUnsupported, .notReady: return ReaderError(.readerUnavailable, reason)
        case .sharingViolation: return ReaderError(.sharingViolation, reason)
        case .cancelled, .systemCancelled: return ReaderError(.cancelled, reason)
        case .timeout: return ReaderError(.timeout, reason)
        case .unsupportedFeature, PCSCReturnCode(rawValue: 0x8010_0022): return ReaderError(.unsupportedFeature, reason)
        default: return ReaderError(.internalFailure, reason)
        }
    }
}

extension ReaderError.Code {
    /// The reader or its driver does not offer what was asked (a reader escape, a feature).
    public static var unsupportedFeature: Self { Self("unsupported-feature") }
}

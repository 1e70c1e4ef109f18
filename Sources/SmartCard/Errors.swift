// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// The card in the field failed: it was removed, torn away, went silent or answered nonsense.
///
/// This is the domain that triggers tearing recovery: whatever the card was asked to do may or
/// may not have happened, and the next tap of the same card must resolve it. Equality compares
/// the code only.
public struct CardError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<CardError>

    public let code: Code
    public let reason: String
    public let file: String
    public let line: UInt

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == CardError {
    /// The card left the field (or was never there).
    public static var removed: Self { Self("card-removed") }
    /// The card was reset by another party or by the reader during the exchange.
    public static var reset: Self { Self("card-reset") }
    /// The card stopped answering within the time allowed.
    public static var unresponsive: Self { Self("card-unresponsive") }
    /// The card's answer could not be parsed as a response APDU.
    public static var malformedResponse: Self { Self("malformed-response") }
    /// The card answered a status the caller did not expect.
    public static var unexpectedStatus: Self { Self("unexpected-status") }
    /// The card and the reader could not agree a protocol (T=0/T=1).
    public static var protocolMismatch: Self { Self("protocol-mismatch") }
}

/// The reader or the PC/SC service failed: the device is out of order, not the card.
///
/// Nothing about the card is known when this is thrown; callers stop serving taps on this reader
/// and reconnect. Equality compares the code only.
public struct ReaderError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<ReaderError>

    public let code: Code
    public let reason: String
    public let file: String
    public let line: UInt

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == ReaderError {
    /// The PC/SC service (pcscd) is not running or went away.
    public static var serviceUnavailable: Self { Self("service-unavailable") }
    /// No reader is attached.
    public static var noReaders: Self { Self("no-readers") }
    /// The named reader is not known to the service.
    public static var unknownReader: Self { Self("unknown-reader") }
    /// The reader was unplugged or stopped working.
    public static var readerUnavailable: Self { Self("reader-unavailable") }
    /// Another process holds the reader exclusively.
    public static var sharingViolation: Self { Self("sharing-violation") }
    /// A blocking wait was cancelled (shutdown).
    public static var cancelled: Self { Self("cancelled") }
    /// A wait for a reader event timed out.
    public static var timeout: Self { Self("timeout") }
    /// Any other failure of the service or the driver; the reason says which.
    public static var internalFailure: Self { Self("internal-failure") }
}

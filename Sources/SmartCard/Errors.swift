/// The card in the field failed: it was removed, torn away, went silent or answered nonsense.
///
/// This is the domain that triggers tearing recovery: whatever the card was asked to do may or
/// may not have happened, and the next tap of the same card must resolve it. Equality compares
/// the code only.
public struct CardError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The card left the field (or was never there).
        public static let removed = Code("card-removed")
        /// The card was reset by another party or by the reader during the exchange.
        public static let reset = Code("card-reset")
        /// The card stopped answering within the time allowed.
        public static let unresponsive = Code("card-unresponsive")
        /// The card's answer could not be parsed as a response APDU.
        public static let malformedResponse = Code("malformed-response")
        /// The card answered a status the caller did not expect.
        public static let unexpectedStatus = Code("unexpected-status")
        /// The card and the reader could not agree a protocol (T=0/T=1).
        public static let protocolMismatch = Code("protocol-mismatch")
    }

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

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "\(code): \(reason)" }

    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: CardError) -> Bool { error.code == pattern }
}

/// The reader or the PC/SC service failed: the device is out of order, not the card.
///
/// Nothing about the card is known when this is thrown; callers stop serving taps on this reader
/// and reconnect. Equality compares the code only.
public struct ReaderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The PC/SC service (pcscd) is not running or went away.
        public static let serviceUnavailable = Code("service-unavailable")
        /// No reader is attached.
        public static let noReaders = Code("no-readers")
        /// The named reader is not known to the service.
        public static let unknownReader = Code("unknown-reader")
        /// The reader was unplugged or stopped working.
        public static let readerUnavailable = Code("reader-unavailable")
        /// Another process holds the reader exclusively.
        public static let sharingViolation = Code("sharing-violation")
        /// A blocking wait was cancelled (shutdown).
        public static let cancelled = Code("cancelled")
        /// A wait for a reader event timed out.
        public static let timeout = Code("timeout")
        /// Any other failure of the service or the driver; the reason says which.
        public static let internalFailure = Code("internal-failure")
    }

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

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "\(code): \(reason)" }

    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: ReaderError) -> Bool { error.code == pattern }
}

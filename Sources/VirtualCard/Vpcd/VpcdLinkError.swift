/// The vpcd link could not reach the reader or the reader broke the protocol.
///
/// A closed connection is not an error (it is how a reader ends a session, see
/// ``VpcdSessionEnd``); these are the failures that leave no session to serve. Equality
/// compares the code only.
public struct VpcdLinkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The host name or address could not be resolved.
        public static let unknownHost = Code("unknown-host")
        /// Nothing listened on the port for the whole connect timeout (pcscd or vpcd not running).
        public static let connectionRefused = Code("connection-refused")
        /// The connect attempt neither succeeded nor was refused in time.
        public static let connectTimeout = Code("connect-timeout")
        /// A socket call failed; the reason names it and its errno.
        public static let socketFailure = Code("socket-failure")
        /// The reader sent a frame vpcd does not define (an empty one).
        public static let protocolViolation = Code("protocol-violation")
        /// A response is longer than a vpcd frame can carry.
        public static let payloadTooLarge = Code("payload-too-large")
        /// The options make no sense (e.g. a negative APDU count).
        public static let invalidOptions = Code("invalid-options")
    }

    public let code: Code
    public let reason: String
    public let file: String
    public let line: UInt

    /// Creates an error with a code, a human reason and where it was raised.
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
    public static func ~= (pattern: Code, error: VpcdLinkError) -> Bool { error.code == pattern }
}

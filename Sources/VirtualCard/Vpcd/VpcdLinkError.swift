// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// The vpcd link could not reach the reader or the reader broke the protocol.
///
/// A closed connection is not an error (it is how a reader ends a session, see
/// ``VpcdSessionEnd``); these are the failures that leave no session to serve. Equality
/// compares the code only.
public struct VpcdLinkError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<VpcdLinkError>

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
}

extension ErrorCode where Domain == VpcdLinkError {
    /// The host name or address could not be resolved.
    public static var unknownHost: Self { Self("unknown-host") }
    /// Nothing listened on the port for the whole connect timeout (pcscd or vpcd not running).
    public static var connectionRefused: Self { Self("connection-refused") }
    /// The connect attempt neither succeeded nor was refused in time.
    public static var connectTimeout: Self { Self("connect-timeout") }
    /// A socket call failed; the reason names it and its errno.
    public static var socketFailure: Self { Self("socket-failure") }
    /// The reader sent a frame vpcd does not define (an empty one).
    public static var protocolViolation: Self { Self("protocol-violation") }
    /// A response is longer than a vpcd frame can carry.
    public static var payloadTooLarge: Self { Self("payload-too-large") }
    /// The options make no sense (e.g. a negative APDU count).
    public static var invalidOptions: Self { Self("invalid-options") }
}

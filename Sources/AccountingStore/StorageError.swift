/// The storage failed (database unreachable, disk full, a constraint the code did not expect).
///
/// Answered as 503 with a generic message: the details go to the log, not to the client.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What happened.
    public let reason: String
    /// The source file where the error was raised.
    public let file: String
    /// The source line where the error was raised.
    public let line: UInt

    /// Creates an error; the location is filled in for you.
    public init(_ reason: String, file: String = #fileID, line: UInt = #line) {
        self.reason = reason
        self.file = file
        self.line = line
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.reason == rhs.reason }
    public func hash(into hasher: inout Hasher) { hasher.combine(reason) }
    /// The reason.
    public var description: String { "storage: \(reason)" }
}

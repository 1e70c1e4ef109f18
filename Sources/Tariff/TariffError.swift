// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// A tariff, deny list or card state that cannot be used as given.
///
/// Thrown only for inconsistent data (a negative fare, repeated routes, no layout versions).
/// A refused tap is never an error: it is `Decision.deny`. Equality compares the code only.
public struct TariffError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<TariffError>

    /// What went wrong.
    public let code: Code
    /// A human explanation naming the field at fault.
    public let reason: String
    /// The source file where the error was raised.
    public let file: String
    /// The source line where the error was raised.
    public let line: UInt

    /// Creates an error; the location is filled in for you.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == TariffError {
    /// A tariff field is out of range or contradicts another.
    public static var invalidTariff: Self { Self("invalid-tariff") }
    /// The deny list names a card twice.
    public static var invalidDenyList: Self { Self("invalid-deny-list") }
}

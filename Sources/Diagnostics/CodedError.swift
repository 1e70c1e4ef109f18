/// An error with a stable code, a human reason and, by convention, where it was raised.
///
/// One such struct per module (STYLE.md, "Errors and decisions"). Conforming gives the
/// module's error the house behaviour without restating it: equality and hashing on the code
/// only, `description` as `code: reason`, and `~=` so that `catch ItsError.Code.x` and
/// `case ItsError.Code.x` match. Equality ignores the reason and the source location on
/// purpose: two failures of the same kind are the same failure to a caller or a test, however
/// they are worded. A type that must compare more (a layout error's JSON path) declares its
/// own `==` and `hash(into:)`, which take precedence over these.
public protocol CodedError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The type of the stable code, usually `ErrorCode<Self>`.
    associatedtype Code: Hashable & Sendable & CustomStringConvertible

    /// What went wrong.
    var code: Code { get }
    /// A human explanation, for logs and operators.
    var reason: String { get }
}

extension CodedError {
    /// Equal when the codes are.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the code, which is all that equality compares.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// `code: reason`.
    public var description: String { "\(code): \(reason)" }

    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: Self) -> Bool { error.code == pattern }
}

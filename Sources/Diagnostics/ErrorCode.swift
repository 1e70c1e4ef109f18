/// A stable name for one kind of failure, tagged with the error type it belongs to.
///
/// `Domain` is never stored: it only keeps the codes of different modules apart, so a
/// `LedgerError` cannot be matched against a `BundleError` code of the same name. A module
/// declares `public typealias Code = ErrorCode<ItsError>` and lists its codes as static
/// members of `extension ErrorCode where Domain == ItsError`. Those members are computed
/// (`static var … { Self("…") }`) because Swift keeps no stored statics in generic types.
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    /// The stable, kebab-case name: what logs, tests and operators see.
    public let name: String

    /// Creates a code from its stable name; modules expose named constants instead.
    public init(_ name: String) { self.name = name }

    /// The stable name.
    public var description: String { name }
}

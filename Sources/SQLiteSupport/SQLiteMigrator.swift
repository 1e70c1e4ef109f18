/// Brings a database's schema up to date by numbered steps, one write transaction a step.
///
/// The version a database is at lives in `PRAGMA user_version` (0 for a new file), written in
/// the same transaction as the step that reaches it: a crash mid-migration leaves the database
/// at the previous version, never between two. A step is never edited once released; a change
/// of schema is a new step. A database at a version newer than the last step was written by
/// newer code and is refused, because this code would misread it.
///
/// Every store built on SQLite (the validator's ledger, the accounting service's SQLite
/// storage) uses this one migrator; only its steps differ.
public struct SQLiteMigrator: Sendable {
    /// One numbered step: the statements that take the schema from `version - 1` to `version`.
    public struct Step: Sendable {
        /// The version the database is at after this step.
        public let version: Int64
        /// Changes the schema (and data) inside the step's transaction.
        public let apply: @Sendable (SQLiteConnection) throws -> Void

        /// Creates a step that runs `apply`.
        public init(version: Int64, apply: @escaping @Sendable (SQLiteConnection) throws -> Void) {
            self.version = version
            self.apply = apply
        }

        /// Creates a step that executes `sql` (several statements allowed).
        public init(version: Int64, sql: String) {
            self.init(version: version) { try $0.execute(sql) }
        }
    }

    /// Why a database is not migrated; nothing was changed.
    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        /// The database is at `found`, newer than the newest step (`known`).
        case newerThanCode(found: Int64, known: Int64)
        /// The database has no version but holds tables, so it is not one of this store's.
        case unversionedButNotEmpty

        /// What was refused and why.
        public var description: String {
            switch self {
            case .newerThanCode(let found, let known): "the database has schema version \(found); this code knows up to \(known)"
            case .unversionedButNotEmpty: "the database holds tables but no schema version"
            }
        }
    }

    /// The steps, in order.
    public let steps: [Step]
    private let unversionedVersion: (@Sendable (SQLiteConnection) throws -> Int64?)?

    /// Creates a migrator over `steps` (numbered 1, 2, 3, … in order).
    ///
    /// `unversionedVersion` is for databases written before this migrator kept the version in
    /// `user_version`: given a database at version 0 that holds tables, it returns the version
    /// the database is really at (read the store's old way), or nil if it cannot tell.
    public init(steps: [Step], unversionedVersion: (@Sendable (SQLiteConnection) throws -> Int64?)? = nil) {
        precondition(steps.enumerated().allSatisfy { Int64($0.offset + 1) == $0.element.version }, "steps are numbered 1, 2, 3, … in order")
        self.steps = steps
        self.unversionedVersion = unversionedVersion
    }

    /// The newest version, reached after the last step.
    public var latestVersion: Int64 { steps.last?.version ?? 0 }

    /// The version `connection`'s database is at (0 for a new, empty file).
    public static func version(of connection: SQLiteConnection) throws -> Int64 {
        try connection.integer("PRAGMA user_version") ?? 0
    }

    /// Applies the steps the database lacks and returns the version it is now at.
    ///
    /// Throws a `Refusal` for a database this code must not touch, and the connection's own
    /// error when a step fails (that step is rolled back; earlier steps stay).
    @discardableResult
    public func migrate(_ connection: SQLiteConnection) throws -> Int64 {
        var version = try Self.version(of: connection)
        if version == 0, try connection.integer("SELECT count(*) FROM sqlite_schema") ?? 0 > 0 {
            guard let adopted = try unversionedVersion?(connection) else { throw Refusal.unversionedButNotEmpty }
            version = adopted
            if adopted > 0 { try connection.execute("PRAGMA user_version = \(adopted)") }
        }
        guard version <= latestVersion else { throw Refusal.newerThanCode(found: version, known: latestVersion) }
        for step in steps where step.version > version {
            try connection.write { connection in
                try step.apply(connection)
                // PRAGMA user_version is written to the database header inside the transaction.
                try connection.execute("PRAGMA user_version = \(step.version)")
            }
            version = step.version
        }
        return version
    }
}

/// A ledger store that cannot be opened, written or read.
///
/// Most codes mean the validator must stop charging cards (`isOutOfService`): without a durable
/// record a charge must not happen (DESIGN.md, decision 6). Equality compares the code only.
public struct LedgerStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name of the code.
        public let name: String
        /// Creates a code from its stable name.
        public init(_ name: String) { self.name = name }
        /// The stable name.
        public var description: String { name }

        /// The disk (or the database's page limit) is full.
        public static let diskFull = Code("disk-full")
        /// The database file or its directory cannot be written.
        public static let readOnly = Code("read-only")
        /// The file is not a database, or the database is damaged.
        public static let corrupt = Code("corrupt")
        /// The operating system reported an I/O error.
        public static let ioError = Code("io-error")
        /// The database file cannot be opened or created.
        public static let cannotOpen = Code("cannot-open")
        /// Another process holds the database locked.
        public static let busy = Code("busy")
        /// An update or delete was refused: the ledger is append-only.
        public static let appendOnly = Code("append-only")
        /// The schema version is newer than this code knows, or the schema is not a ledger's.
        public static let unsupportedSchema = Code("unsupported-schema")
        /// The database belongs to another device, or was created with another device key.
        public static let wrongDevice = Code("wrong-device")
        /// The stored entries disagree with themselves (the tail does not decode or hash).
        public static let inconsistent = Code("inconsistent")
        /// A receipt was refused: bad signature, another device, or not matching the chain.
        public static let receiptRejected = Code("receipt-rejected")
        /// The store is out of service after an earlier failure; see `LedgerStore.serviceState`.
        public static let outOfService = Code("out-of-service")
        /// The store was opened for reading only, or has been closed.
        public static let notWritable = Code("not-writable")
        /// An entry could not be encoded (a `LedgerError`).
        public static let invalidEntry = Code("invalid-entry")
        /// Any other SQLite failure.
        public static let sqlite = Code("sqlite")
    }

    /// What went wrong.
    public let code: Code
    /// A human explanation.
    public let reason: String
    /// The SQLite extended result code, when SQLite reported the failure.
    public let sqliteCode: Int32?
    /// The source file where the error was raised.
    public let file: String
    /// The source line where the error was raised.
    public let line: UInt

    /// Creates an error; the location is filled in for you.
    public init(_ code: Code, _ reason: String, sqliteCode: Int32? = nil, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.sqliteCode = sqliteCode
        self.file = file
        self.line = line
    }

    /// Whether a validator seeing this error must refuse to charge cards.
    ///
    /// Everything that says the ledger cannot durably record is out of service; a refused
    /// update or a rejected receipt is a caller's mistake, not a broken store.
    public var isOutOfService: Bool {
        switch code {
        case .appendOnly, .receiptRejected, .notWritable, .invalidEntry: false
        default: true
        }
    }

    /// The message for the driver's display and logs: Ukrainian, then English.
    public var operatorMessage: String {
        switch code {
        case .diskFull: "Диск заповнено: журнал не може записувати / Disk full: the ledger cannot record"
        case .readOnly: "Журнал лише для читання / The ledger is read-only"
        case .corrupt: "Журнал пошкоджено / The ledger database is damaged"
        case .ioError: "Помилка введення-виведення журналу / Ledger I/O error"
        case .cannotOpen: "Журнал не відкривається / The ledger cannot be opened"
        case .busy: "Журнал зайнятий іншим процесом / The ledger is locked by another process"
        case .wrongDevice: "Журнал іншого пристрою / The ledger belongs to another device"
        case .outOfService: "Валідатор не працює: журнал недоступний / Out of service: the ledger is unavailable"
        default: "Помилка журналу / Ledger error"
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    /// The code and the reason.
    public var description: String { "\(code): \(reason)" }

    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: LedgerStoreError) -> Bool { error.code == pattern }
}

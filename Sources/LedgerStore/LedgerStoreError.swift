// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// A ledger store that cannot be opened, written or read.
///
/// Most codes mean the validator must stop charging cards (`isOutOfService`): without a durable
/// record a charge must not happen (docs/architecture.md, decision 6). Equality compares the code only.
public struct LedgerStoreError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<LedgerStoreError>

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
}

extension ErrorCode where Domain == LedgerStoreError {
    /// The disk (or the database's page limit) is full.
    public static var diskFull: Self { Self("disk-full") }
    /// The database file or its directory cannot be written.
    public static var readOnly: Self { Self("read-only") }
    /// The file is not a database, or the database is damaged.
    public static var corrupt: Self { Self("corrupt") }
    /// The operating system reported an I/O error.
    public static var ioError: Self { Self("io-error") }
    /// The database file cannot be opened or created.
    public static var cannotOpen: Self { Self("cannot-open") }
    /// Another process holds the database locked.
    public static var busy: Self { Self("busy") }
    /// An update or delete was refused: the ledger is append-only.
    public static var appendOnly: Self { Self("append-only") }
    /// The schema version is newer than this code knows, or the schema is not a ledger's.
    public static var unsupportedSchema: Self { Self("unsupported-schema") }
    /// The database belongs to another device, or was created with another device key.
    public static var wrongDevice: Self { Self("wrong-device") }
    /// The stored entries disagree with themselves (the tail does not decode or hash).
    public static var inconsistent: Self { Self("inconsistent") }
    /// A receipt was refused: bad signature, another device, or not matching the chain.
    public static var receiptRejected: Self { Self("receipt-rejected") }
    /// The store is out of service after an earlier failure; see `LedgerStore.serviceState`.
    public static var outOfService: Self { Self("out-of-service") }
    /// The store was opened for reading only, or has been closed.
    public static var notWritable: Self { Self("not-writable") }
    /// An entry could not be encoded (a `LedgerError`).
    public static var invalidEntry: Self { Self("invalid-entry") }
    /// Any other SQLite failure.
    public static var sqlite: Self { Self("sqlite") }
}

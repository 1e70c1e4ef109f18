/// A DESFire application described as data: identity, keys, files and the record formats inside.
///
/// Built only by `CardLayout(json:)`, which validates against the schema and then checks every
/// rule the schema cannot express, so a value of this type is always internally consistent.
public struct CardLayout: Hashable, Sendable {
    /// Unique id, by convention `<community>-<name>-v<N>`.
    public let id: String
    /// The community (hromada) this layout belongs to.
    public let community: String
    /// Human name.
    public let name: String
    /// Layout version; a changed layout is a new version, validators accept the ones they know.
    public let version: Int
    /// Free-text description.
    public let description: String?
    /// The card product the application must fit.
    public let card: CardModel
    /// AID and keys.
    public let application: ApplicationSpec
    /// Files in document order.
    public let files: [FileSpec]
    /// The named parts of files that hold several kinds of record (`parts` in the layout), in
    /// document order; each is addressed like a file of its own at its ``FileSpec/offset``.
    public let parts: [FileSpec]
    /// Record formats by name.
    public let formats: [String: RecordFormat]

    /// The file, or the part of a file, with this name, if any.
    public func file(named name: String) -> FileSpec? { files.first { $0.name == name } ?? parts.first { $0.name == name } }
    /// The file with this number, if any.
    public func file(number: UInt8) -> FileSpec? { files.first { $0.number == number } }
    /// The record format stored in `file`, if it has one.
    public func format(of file: FileSpec) -> RecordFormat? { file.formatName.flatMap { formats[$0] } }
}

/// The card product and how much memory it offers to applications.
public struct CardModel: Hashable, Sendable {
    /// Product name, e.g. "MIFARE DESFire EV1 2K".
    public let model: String
    /// User memory in bytes (2048 for a 2K card).
    public let capacityBytes: Int
}

/// A DESFire application identifier: three bytes, never 000000 (that is the card level).
public struct ApplicationID: Hashable, Sendable, CustomStringConvertible {
    /// The three bytes as written in the layout (most significant first).
    public let bytes: [UInt8]
    /// The bytes in the order DESFire commands carry them (least significant first).
    public var commandBytes: [UInt8] { bytes.reversed() }
    /// Six upper-case hex digits.
    public var description: String { bytes.map { byte in
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }.joined() }
}

/// The role a key plays; every layout must have exactly one key per role.
public enum CardKeyRole: String, CaseIterable, Hashable, Sendable, Codable {
    /// Key 0: changes keys and file settings; held by the issuance desk only.
    case applicationMaster
    /// Read-only access, for inspectors' handhelds and kiosks.
    case read
    /// What bus validators hold: read, debit, write counters and the trip log. Never credit.
    case validate
    /// What the issuance desk holds: personalize, write entitlements, credit the purse.
    case issue
}

/// Key type of the application. Only AES-128 is allowed.
public enum KeyType: String, Hashable, Sendable {
    /// AES-128, as DESFire EV1 supports.
    case aes = "AES"
}

/// One key slot of the application.
public struct KeySpec: Hashable, Sendable {
    /// Key number 0…13.
    public let number: UInt8
    /// What it is for.
    public let role: CardKeyRole
    /// Free text.
    public let description: String?
}

/// The application: AID and keys.
public struct ApplicationSpec: Hashable, Sendable {
    /// The AID.
    public let aid: ApplicationID
    /// The key type (AES).
    public let keyType: KeyType
    /// The keys, in document order.
    public let keys: [KeySpec]
    /// Number of keys to create (highest key number + 1).
    public var keyCount: Int { Int(keys.map(\.number).max() ?? 0) + 1 }
    /// The key number holding `role`.
    public func keyNumber(for role: CardKeyRole) -> UInt8 {
        keys.first { $0.role == role }!.number
    }
    /// The role of key `number`, if it is declared.
    public func role(ofKey number: UInt8) -> CardKeyRole? { keys.first { $0.number == number }?.role }
}

/// Who may perform one class of access: a key, anyone, or no one.
public enum AccessRight: Hashable, Sendable {
    /// After authenticating with this key number.
    case key(UInt8)
    /// Without authentication.
    case free
    /// Never.
    case never

    /// The DESFire nibble: 0x0…0xD key number, 0xE free, 0xF never.
    public var nibble: UInt8 {
        switch self {
        case .key(let number): number
        case .free: 0x0E
        case .never: 0x0F
        }
    }
}

/// The four DESFire access rights of a file.
public struct AccessRights: Hashable, Sendable {
    /// Read (and for value files: GetValue, Debit).
    public let read: AccessRight
    /// Write (and for value files: GetValue, Debit, LimitedCredit).
    public let write: AccessRight
    /// Read and write (and for value files: Credit; for record files: ClearRecordFile).
    public let readWrite: AccessRight
    /// ChangeFileSettings.
    public let change: AccessRight

    /// The two access-right bytes as CreateFile carries them (little-endian 16-bit word
    /// `read<<12 | write<<8 | readWrite<<4 | change`).
    public var commandBytes: [UInt8] {
        [readWrite.nibble << 4 | change.nibble, read.nibble << 4 | write.nibble]
    }
}

/// How a file's data travels between card and reader.
public enum CommunicationMode: String, Hashable, Sendable {
    /// In clear, no integrity.
    case plain
    /// In clear with a CMAC.
    case mac
    /// Encrypted with the session key.
    case enciphered

    /// The DESFire communication settings byte.
    public var settingsByte: UInt8 {
        switch self {
        case .plain: 0x00
        case .mac: 0x01
        case .enciphered: 0x03
        }
    }
}

/// Settings of a value file.
public struct ValueFileSpec: Hashable, Sendable {
    /// The smallest value the card allows.
    public let lowerLimit: Int32
    /// The largest value the card allows.
    public let upperLimit: Int32
    /// The value at creation.
    public let initialValue: Int32
    /// Whether LimitedCredit (refund up to the debits since the last full credit) is allowed.
    public let limitedCredit: Bool
}

/// The DESFire file type and its sizes.
public enum FileKind: Hashable, Sendable {
    /// Standard data file of `size` bytes.
    case standard(size: Int)
    /// Backup data file of `size` bytes: transactional, so the card stores it twice.
    case backup(size: Int)
    /// A signed 32-bit value with limits: the purse.
    case value(ValueFileSpec)
    /// Linear record file: appends until full.
    case linearRecord(recordSize: Int, maxRecords: Int)
    /// Cyclic record file: the oldest record is overwritten; `maxRecords - 1` are readable.
    case cyclicRecord(recordSize: Int, maxRecords: Int)

    /// The schema's name of this type.
    public var typeName: String {
        switch self {
        case .standard: "standard"
        case .backup: "backup"
        case .value: "value"
        case .linearRecord: "linearRecord"
        case .cyclicRecord: "cyclicRecord"
        }
    }
}

/// One file of the application.
public struct FileSpec: Hashable, Sendable {
    /// File number 0…31.
    public let number: UInt8
    /// Name used by code (`tripLog`).
    public let name: String
    /// Type and sizes.
    public let kind: FileKind
    /// Communication mode.
    public let communication: CommunicationMode
    /// Access rights.
    public let access: AccessRights
    /// The record format of its contents (none for value files).
    public let formatName: String?
    /// For data files: how many records of the format lie back to back from ``offset``.
    public let repeatCount: Int
    /// Free text.
    public let description: String?
    /// Where the contents start in the card's file: 0, except for a part of a file.
    public let offset: Int
    /// For a part of a file: the name of the file it lies in (whose number, type, communication
    /// and access it shares); nil for a file.
    public let partOf: String?

    /// Bytes the file's contents occupy as seen by the application (one copy).
    public var logicalSize: Int {
        switch kind {
        case .standard(let size), .backup(let size): size
        case .value: 4
        case .linearRecord(let recordSize, let maxRecords), .cyclicRecord(let recordSize, let maxRecords):
            recordSize * maxRecords
        }
    }
}

/// The binary layout of one record: named fields at fixed offsets.
public struct RecordFormat: Hashable, Sendable {
    /// The format's name.
    public let name: String
    /// Record length in bytes.
    public let size: Int
    /// Fields in document order.
    public let fields: [FieldSpec]
    /// Free text.
    public let description: String?
}

/// How the bytes of a multi-byte field are ordered.
public enum ByteOrder: String, Hashable, Sendable {
    /// Most significant byte first (the default).
    case big
    /// Least significant byte first (as DESFire stores its own integers).
    case little
}

/// What a field stores.
public enum FieldType: Hashable, Sendable {
    /// Unsigned integer.
    case unsignedInteger
    /// Two's-complement signed integer.
    case signedInteger
    /// A calendar date as days since 2000-01-01.
    case date
    /// An instant as seconds since 2000-01-01T00:00:00Z.
    case dateTime
    /// An unsigned code with a name for each allowed value.
    case enumeration([String: UInt64])
    /// Opaque bytes of exactly the field's width.
    case bytes
    /// Named bits of an unsigned integer (bit 0 is the least significant).
    case flags([String: Int])

    /// The schema's name of this type.
    public var typeName: String {
        switch self {
        case .unsignedInteger: "uint"
        case .signedInteger: "int"
        case .date: "date"
        case .dateTime: "dateTime"
        case .enumeration: "enum"
        case .bytes: "bytes"
        case .flags: "flags"
        }
    }

    /// The widths in bytes this type may have.
    public var allowedWidths: ClosedRange<Int> {
        switch self {
        case .unsignedInteger, .signedInteger, .enumeration, .flags: 1...8
        case .date: 2...4
        case .dateTime: 4...8
        case .bytes: 1...8192
        }
    }
}

/// One field of a record format.
public struct FieldSpec: Hashable, Sendable {
    /// Name used by code.
    public let name: String
    /// What it stores.
    public let type: FieldType
    /// First byte within the record.
    public let offset: Int
    /// Length in bytes.
    public let width: Int
    /// Byte order of integers, dates, codes and flags.
    public let byteOrder: ByteOrder
    /// Free text.
    public let description: String?

    /// The byte range the field occupies within its record.
    public var range: Range<Int> { offset..<(offset + width) }
}

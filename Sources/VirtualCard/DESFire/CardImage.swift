/// Everything a DESFire EV1 card keeps in EEPROM: identity, keys, settings, applications, files
/// and their committed contents. Nothing volatile (session, selection, pending transaction).
///
/// This is the value `hromada-vcard` saves to its image file after every change a real card
/// would keep; see `CardImageCodec` for the file format.
public struct CardImage: Equatable, Sendable {
    /// The 7-byte UID (first byte 0x04, NXP).
    public var uid: [UInt8]
    /// GetVersion frame 1: vendor, type, subtype, major, minor, storage size, protocol.
    public var hardwareVersion: [UInt8]
    /// GetVersion frame 2, same layout for the software.
    public var softwareVersion: [UInt8]
    /// GetVersion frame 3: the 5-byte production batch number.
    public var batchNumber: [UInt8]
    /// GetVersion frame 3: production week, BCD.
    public var productionWeek: UInt8
    /// GetVersion frame 3: production year, BCD.
    public var productionYear: UInt8
    /// User memory in bytes (2048 for an EV1 2K).
    public var userMemory: Int
    /// Bytes allocated so far; only FormatPICC gives memory back (see `MemoryCost`).
    public var usedMemory: Int
    /// The PICC master key settings byte (factory 0x0F).
    public var piccKeySettings: UInt8
    /// The PICC master key (factory: DES, all zeros, version 0).
    public var piccMasterKey: StoredKey
    /// Applications in creation order.
    public var applications: [Application]

    /// A card in factory state: PICC master key DES all zeros, key settings 0x0F, no
    /// applications, EV1 2K version data.
    public static func factoryNew(
        uid: [UInt8],
        batchNumber: [UInt8] = [0xBA, 0x00, 0x00, 0x00, 0x00],
        productionWeek: UInt8 = 0x01,
        productionYear: UInt8 = 0x25
    ) -> CardImage {
        precondition(uid.count == 7, "a DESFire EV1 UID is 7 bytes")
        precondition(batchNumber.count == 5, "the batch number is 5 bytes")
        return CardImage(
            uid: uid,
            hardwareVersion: [0x04, 0x01, 0x01, 0x01, 0x00, 0x16, 0x05],
            softwareVersion: [0x04, 0x01, 0x01, 0x01, 0x04, 0x16, 0x05],
            batchNumber: batchNumber,
            productionWeek: productionWeek,
            productionYear: productionYear,
            userMemory: 2048,
            usedMemory: 0,
            piccKeySettings: 0x0F,
            piccMasterKey: StoredKey(type: .des, bytes: [UInt8](repeating: 0, count: 16), aesVersion: 0),
            applications: []
        )
    }

    /// Free user memory in bytes, as FreeMemory reports it.
    public var freeMemory: Int { max(0, userMemory - usedMemory) }

    /// The index of the application with `aid`, if any.
    func applicationIndex(_ aid: UInt32) -> Int? {
        applications.firstIndex { $0.aid == aid }
    }
}

/// The family of a DESFire key: what cipher it runs and which authentication opens it.
public enum DESFireKeyType: String, Sendable, Equatable, CaseIterable {
    /// DES or two-key 3DES (16 bytes; DES when both halves are equal). Legacy 0x0A or ISO 0x1A.
    case des
    /// Three-key 3DES (24 bytes). ISO authentication 0x1A.
    case tripleDES3K = "3k3des"
    /// AES-128 (16 bytes plus a separate version byte). AES authentication 0xAA.
    case aes

    /// Key length in bytes.
    public var keyLength: Int { self == .tripleDES3K ? 24 : 16 }

    /// The flag bits this type adds to a key-count byte (CreateApplication, GetKeySettings) or to
    /// the PICC master key number in ChangeKey.
    public var typeFlag: UInt8 {
        switch self {
        case .des: 0x00
        case .tripleDES3K: 0x40
        case .aes: 0x80
        }
    }
}

/// One stored key, as the card keeps it.
///
/// DES-family keys carry their version in the least significant (parity) bits of their first
/// eight bytes, as DESFire does; AES keys carry it in a separate byte. Descriptions never print
/// key bytes.
public struct StoredKey: Equatable, Sendable, CustomStringConvertible {
    /// The key family.
    public var type: DESFireKeyType
    /// The key bytes (`type.keyLength` of them).
    public var bytes: [UInt8]
    /// The version byte of an AES key (ignored for DES-family keys).
    public var aesVersion: UInt8

    /// A key of `type` with `bytes`.
    public init(type: DESFireKeyType, bytes: [UInt8], aesVersion: UInt8 = 0) {
        precondition(bytes.count == type.keyLength, "wrong key length for \(type)")
        self.type = type
        self.bytes = bytes
        self.aesVersion = type == .aes ? aesVersion : 0
    }

    /// The all-zero key of `type`, version 0 (what CreateApplication gives every key).
    public static func zero(_ type: DESFireKeyType) -> StoredKey {
        StoredKey(type: type, bytes: [UInt8](repeating: 0, count: type.keyLength))
    }

    /// The key version GetKeyVersion reports.
    public var version: UInt8 {
        if type == .aes { return aesVersion }
        var version: UInt8 = 0
        for index in 0..<8 { version |= (bytes[index] & 1) << (7 - UInt8(index)) }
        return version
    }

    /// True for a DES-family key whose halves are equal, i.e. single DES. The comparison includes
    /// the parity bits, as the card's does (a 3DES key whose halves differ only in version bits
    /// stays 3DES).
    var isSingleDES: Bool { type == .des && Array(bytes[0..<8]) == Array(bytes[8..<16]) }

    /// The key as a cipher key.
    var cipherKey: CardCipherKey {
        switch type {
        case .des: CardCipherKey(.tripleDESTwoKey, bytes: bytes)
        case .tripleDES3K: CardCipherKey(.tripleDESThreeKey, bytes: bytes)
        case .aes: CardCipherKey(.aes128, bytes: bytes)
        }
    }

    public var description: String { "StoredKey(\(type.rawValue), version \(version), <redacted>)" }
}

/// How a file's data travels: in plain, with a MAC, or enciphered.
public enum CommunicationMode: UInt8, Sendable, Equatable {
    /// Plain data.
    case plain = 0x00
    /// Plain data followed by a MAC (legacy 4 bytes, EV1 8-byte CMAC).
    case maced = 0x01
    /// Enciphered data with a CRC inside.
    case enciphered = 0x03
}

/// A file's access rights: one key number (0–13), 0xE (free) or 0xF (never) per operation.
public struct FileAccessRights: Equatable, Sendable {
    /// Read (ReadData, ReadRecords, GetValue, Debit).
    public var read: UInt8
    /// Write (WriteData, WriteRecord, GetValue, Debit, LimitedCredit).
    public var write: UInt8
    /// Read & write (everything above plus Credit, ClearRecordFile).
    public var readWrite: UInt8
    /// Change access rights (ChangeFileSettings).
    public var change: UInt8

    /// Rights from the 16-bit value NXP documents: read in bits 15–12, write 11–8, read&write
    /// 7–4, change 3–0 (sent least significant byte first).
    public init(_ raw: UInt16) {
        read = UInt8(raw >> 12 & 0xF)
        write = UInt8(raw >> 8 & 0xF)
        readWrite = UInt8(raw >> 4 & 0xF)
        change = UInt8(raw & 0xF)
    }

    /// The 16-bit value.
    public var raw: UInt16 {
        UInt16(read) << 12 | UInt16(write) << 8 | UInt16(readWrite) << 4 | UInt16(change)
    }

    /// The two bytes on the wire, least significant first.
    var wireBytes: [UInt8] { [UInt8(raw & 0xFF), UInt8(raw >> 8)] }
}

/// A value file's committed state.
public struct ValueFileState: Equatable, Sendable {
    /// The lowest value Debit may leave.
    public var lowerLimit: Int32
    /// The highest value Credit may reach.
    public var upperLimit: Int32
    /// The committed value.
    public var value: Int32
    /// What LimitedCredit may still add: the debits of the last committed transaction that had any.
    public var limitedCreditValue: Int32
    /// Whether LimitedCredit is enabled (bit 0 of the creation flags).
    public var limitedCreditEnabled: Bool
    /// Whether GetValue is free without authentication (bit 1 of the creation flags, EV1).
    public var freeGetValue: Bool
}

/// A record file's committed state.
public struct RecordFileState: Equatable, Sendable {
    /// Bytes per record.
    public var recordSize: Int
    /// Records allocated. A cyclic file keeps at most `maxRecords - 1` valid records: one slot is
    /// the spare its backup mechanism writes into.
    public var maxRecords: Int
    /// Committed records, oldest first.
    public var records: [[UInt8]]
}

/// What a file holds, by file type.
public enum FileContent: Equatable, Sendable {
    /// A standard data file: written immediately, no transaction.
    case standard([UInt8])
    /// A backup data file: writes wait for CommitTransaction.
    case backup([UInt8])
    /// A value file.
    case value(ValueFileState)
    /// A linear record file.
    case linearRecord(RecordFileState)
    /// A cyclic record file.
    case cyclicRecord(RecordFileState)

    /// The file type byte GetFileSettings reports.
    var typeByte: UInt8 {
        switch self {
        case .standard: 0x00
        case .backup: 0x01
        case .value: 0x02
        case .linearRecord: 0x03
        case .cyclicRecord: 0x04
        }
    }
}

/// A file inside an application.
public struct DataFile: Equatable, Sendable {
    /// File number, 0–31.
    public var number: UInt8
    /// The optional ISO/IEC 7816-4 file identifier.
    public var isoFileID: UInt16?
    /// How its data travels when the access key is authenticated.
    public var communication: CommunicationMode
    /// Its access rights.
    public var accessRights: FileAccessRights
    /// Its type and committed content.
    public var content: FileContent
}

/// An application: keys, key settings and files.
public struct Application: Equatable, Sendable {
    /// The 24-bit application identifier (sent least significant byte first).
    public var aid: UInt32
    /// The application master key settings byte.
    public var keySettings: UInt8
    /// The family of all its keys (fixed at creation).
    public var keyType: DESFireKeyType
    /// Its keys, 0–14 of them.
    public var keys: [StoredKey]
    /// The optional ISO/IEC 7816-4 DF identifier.
    public var isoFileID: UInt16?
    /// The optional ISO/IEC 7816-4 DF name (1–16 bytes).
    public var dfName: [UInt8]?
    /// Its files in creation order.
    public var files: [DataFile]

    /// Whether files may carry ISO file identifiers (bit 5 of the key-count byte at creation).
    public var supportsISOFileIDs: Bool { isoFileID != nil }

    func fileIndex(_ number: UInt8) -> Int? { files.firstIndex { $0.number == number } }
}

/// How much EEPROM the emulator charges for what a command allocates.
///
/// A real DESFire allocates in 32-byte blocks and gives nothing back on DeleteFile or
/// DeleteApplication: the blocks stay allocated until FormatPICC. The per-application cost of
/// its directory entry and key store is not published; the emulator charges one block for the
/// entry plus enough blocks for the keys (16 bytes each, 24 for 3K3DES), which keeps an EV1 2K
/// about as full as a real one after the same personalization.
public enum MemoryCost {
    /// Bytes in one EEPROM block.
    public static let blockSize = 32

    /// Rounds `bytes` up to whole blocks.
    public static func blocks(_ bytes: Int) -> Int { (bytes + blockSize - 1) / blockSize * blockSize }

    /// What CreateApplication allocates.
    public static func application(keyCount: Int, keyType: DESFireKeyType) -> Int {
        blockSize + blocks(keyCount * (keyType == .tripleDES3K ? 24 : 16))
    }

    /// What a file of `content`'s type and size allocates.
    public static func file(_ content: FileContent) -> Int {
        switch content {
        case .standard(let data): blocks(data.count)
        case .backup(let data): 2 * blocks(data.count)
        case .value: blockSize
        case .linearRecord(let state), .cyclicRecord(let state): blocks(state.recordSize * state.maxRecords)
        }
    }
}

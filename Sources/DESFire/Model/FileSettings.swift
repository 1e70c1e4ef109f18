/// A file's settings: its type and type-specific sizes, how it communicates, who may use it.
///
/// The same layout is what GetFileSettings answers and (after the file number) what the
/// Create…File commands take, so one codec serves both.
public struct FileSettings: Hashable, Sendable {
    /// The file type and its type-specific settings.
    public enum Kind: Hashable, Sendable {
        /// Standard data file (type 0x00) of `size` bytes.
        case standardData(size: Int)
        /// Backup data file (type 0x01) of `size` bytes: writes take effect at CommitTransaction.
        case backupData(size: Int)
        /// Value file (type 0x02): a 32-bit signed value between the limits; changes take effect
        /// at CommitTransaction.
        case value(ValueFileSettings)
        /// Linear record file (type 0x03): fills up, then refuses further records.
        case linearRecord(RecordFileSettings)
        /// Cyclic record file (type 0x04): the oldest record is overwritten when full.
        case cyclicRecord(RecordFileSettings)

        /// The file type byte.
        public var typeByte: UInt8 {
            switch self {
            case .standardData: 0x00
            case .backupData: 0x01
            case .value: 0x02
            case .linearRecord: 0x03
            case .cyclicRecord: 0x04
            }
        }
    }

    /// The type and its settings.
    public var kind: Kind
    /// How the file's data travels.
    public var communicationMode: CommunicationMode
    /// Who may read, write and change the file.
    public var accessRights: AccessRights

    /// File settings from their parts.
    public init(kind: Kind, communicationMode: CommunicationMode, accessRights: AccessRights) {
        self.kind = kind
        self.communicationMode = communicationMode
        self.accessRights = accessRights
    }

    /// Decodes a GetFileSettings answer; throws on any length or value EV1 does not produce.
    public init(bytes: [UInt8]) throws(DESFireError) {
        var reader = ByteReader(bytes, parsing: "file settings")
        let type = try reader.byte()
        communicationMode = try CommunicationMode(settingsByte: try reader.byte())
        accessRights = try AccessRights(bytes: try reader.bytes(2))
        switch type {
        case 0x00: kind = .standardData(size: Int(try reader.unsigned(3)))
        case 0x01: kind = .backupData(size: Int(try reader.unsigned(3)))
        case 0x02:
            let lower = try reader.int32()
            let upper = try reader.int32()
            let limitedCreditValue = try reader.int32()
            let flags = try reader.byte()
            guard flags & 0xFC == 0 else {
                throw DESFireError(.malformedResponse, "value file flags 0x\(String(flags, radix: 16)) are not defined")
            }
            kind = .value(ValueFileSettings(
                lowerLimit: lower,
                upperLimit: upper,
                limitedCreditValue: limitedCreditValue,
                limitedCreditEnabled: flags & 0x01 != 0,
                freeGetValue: flags & 0x02 != 0
            ))
        case 0x03, 0x04:
            let record = RecordFileSettings(
                recordSize: Int(try reader.unsigned(3)),
                maxRecords: Int(try reader.unsigned(3)),
                currentRecords: Int(try reader.unsigned(3))
            )
            kind = type == 0x03 ? .linearRecord(record) : .cyclicRecord(record)
        default:
            throw DESFireError(.malformedResponse, "file type 0x\(String(type, radix: 16)) is not defined")
        }
        try reader.finish()
    }

    /// The bytes as GetFileSettings answers them.
    public func bytes() throws(DESFireError) -> [UInt8] {
        var out: [UInt8] = [kind.typeByte, communicationMode.rawValue] + (try accessRights.bytes())
        switch kind {
        case .standardData(let size), .backupData(let size):
            try require(size, in: 0...0xFF_FFFF, "the file size")
            out += uint24Bytes(size)
        case .value(let value):
            out += int32Bytes(value.lowerLimit) + int32Bytes(value.upperLimit) + int32Bytes(value.limitedCreditValue)
            out.append((value.limitedCreditEnabled ? 0x01 : 0) | (value.freeGetValue ? 0x02 : 0))
        case .linearRecord(let record), .cyclicRecord(let record):
            try require(record.recordSize, in: 0...0xFF_FFFF, "the record size")
            try require(record.maxRecords, in: 0...0xFF_FFFF, "the number of records")
            try require(record.currentRecords, in: 0...0xFF_FFFF, "the current number of records")
            out += uint24Bytes(record.recordSize) + uint24Bytes(record.maxRecords) + uint24Bytes(record.currentRecords)
        }
        return out
    }
}

/// The settings of a value file.
public struct ValueFileSettings: Hashable, Sendable {
    /// The lowest value the file may hold.
    public var lowerLimit: Int32
    /// The highest value the file may hold.
    public var upperLimit: Int32
    /// At creation: the initial value. In GetFileSettings: the amount LimitedCredit may still add.
    public var limitedCreditValue: Int32
    /// Whether LimitedCredit is allowed.
    public var limitedCreditEnabled: Bool
    /// Whether GetValue needs no authentication (EV1 flag bit 1).
    public var freeGetValue: Bool

    /// Value file settings from their parts.
    public init(lowerLimit: Int32, upperLimit: Int32, limitedCreditValue: Int32, limitedCreditEnabled: Bool, freeGetValue: Bool = false) {
        self.lowerLimit = lowerLimit
        self.upperLimit = upperLimit
        self.limitedCreditValue = limitedCreditValue
        self.limitedCreditEnabled = limitedCreditEnabled
        self.freeGetValue = freeGetValue
    }
}

/// The settings of a record file.
public struct RecordFileSettings: Hashable, Sendable {
    /// The size of one record in bytes.
    public var recordSize: Int
    /// How many records the file holds at most.
    public var maxRecords: Int
    /// How many records it holds now (0 at creation).
    public var currentRecords: Int

    /// Record file settings from their parts.
    public init(recordSize: Int, maxRecords: Int, currentRecords: Int = 0) {
        self.recordSize = recordSize
        self.maxRecords = maxRecords
        self.currentRecords = currentRecords
    }
}

/// Who may use one kind of access to a file: a key, anyone, or no one.
public enum AccessCondition: Hashable, Sendable, CustomStringConvertible {
    /// Whoever authenticated with this key number (0 to 13).
    case key(UInt8)
    /// Anyone, without authentication (nibble 0xE). Data then travels in plain.
    case free
    /// No one (nibble 0xF).
    case never

    /// Decodes the 4-bit form; every nibble has a meaning.
    public init(nibble: UInt8) {
        switch nibble & 0x0F {
        case 0x0E: self = .free
        case 0x0F: self = .never
        case let key: self = .key(key)
        }
    }

    /// The 4-bit form; throws for a key number above 13.
    public func nibble() throws(DESFireError) -> UInt8 {
        switch self {
        case .free: return 0x0E
        case .never: return 0x0F
        case .key(let number):
            guard number <= 13 else {
                throw DESFireError(.invalidArgument, "an access right names key 0...13, not \(number)")
            }
            return number
        }
    }

    public var description: String {
        switch self {
        case .key(let number): "key \(number)"
        case .free: "free"
        case .never: "never"
        }
    }
}

/// A file's four access rights, in the card's 2-byte form.
///
/// On the wire the 16-bit value is sent least significant byte first; from the most
/// significant nibble down it holds read, write, read&write and change.
public struct AccessRights: Hashable, Sendable, CustomStringConvertible {
    /// Who may read (ReadData, ReadRecords, GetValue).
    public var read: AccessCondition
    /// Who may write (WriteData, WriteRecord, Debit, LimitedCredit).
    public var write: AccessCondition
    /// Who may both read and write (and Credit, which needs read&write).
    public var readWrite: AccessCondition
    /// Who may change the file's settings.
    public var change: AccessCondition

    /// Access rights from the four conditions.
    public init(read: AccessCondition, write: AccessCondition, readWrite: AccessCondition, change: AccessCondition) {
        self.read = read
        self.write = write
        self.readWrite = readWrite
        self.change = change
    }

    /// Decodes the 16-bit value; every value is valid.
    public init(value: UInt16) {
        read = AccessCondition(nibble: UInt8(value >> 12))
        write = AccessCondition(nibble: UInt8(value >> 8 & 0x0F))
        readWrite = AccessCondition(nibble: UInt8(value >> 4 & 0x0F))
        change = AccessCondition(nibble: UInt8(value & 0x0F))
    }

    /// Decodes the 2 bytes as the card sends them.
    public init(bytes: [UInt8]) throws(DESFireError) {
        guard bytes.count == 2 else {
            throw DESFireError(.malformedResponse, "access rights have 2 bytes, not \(bytes.count)")
        }
        self.init(value: UInt16(bytes[0]) | UInt16(bytes[1]) << 8)
    }

    /// The 16-bit value; throws for a key number above 13.
    public func value() throws(DESFireError) -> UInt16 {
        let nibbles = [try read.nibble(), try write.nibble(), try readWrite.nibble(), try change.nibble()]
        return nibbles.reduce(0) { $0 << 4 | UInt16($1) }
    }

    /// The 2 bytes the card expects (least significant first).
    public func bytes() throws(DESFireError) -> [UInt8] {
        littleEndian(UInt32(try value()), count: 2)
    }

    public var description: String {
        "read \(read), write \(write), read&write \(readWrite), change \(change)"
    }
}

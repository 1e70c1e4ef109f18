/// The value of one field of a record.
public enum FieldValue: Hashable, Sendable {
    /// For `uint` fields.
    case unsigned(UInt64)
    /// For `int` fields.
    case signed(Int64)
    /// For `date` fields.
    case date(CardDate)
    /// For `dateTime` fields.
    case dateTime(CardDateTime)
    /// For `enum` fields: the name of the code.
    case enumeration(String)
    /// For `bytes` fields: exactly the field's width.
    case bytes([UInt8])
    /// For `flags` fields: the names of the bits that are set.
    case flags(Set<String>)
}

/// One record's fields by name.
public struct LayoutRecord: Hashable, Sendable {
    /// Every field of the format, by name.
    public var values: [String: FieldValue]

    /// A record with these values.
    public init(_ values: [String: FieldValue] = [:]) { self.values = values }

    /// The value of `field`.
    public subscript(field: String) -> FieldValue? {
        get { values[field] }
        set { values[field] = newValue }
    }
}

extension RecordFormat {
    /// The record's bytes: every field in place, bytes no field covers set to zero.
    public func encode(_ record: LayoutRecord) throws(CardLayoutError) -> [UInt8] {
        for name in record.values.keys where !fields.contains(where: { $0.name == name }) {
            throw CardLayoutError(.recordMismatch, "\(self.name) has no field \(name)")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        for field in fields {
            guard let value = record.values[field.name] else {
                throw CardLayoutError(.recordMismatch, "\(self.name).\(field.name) has no value")
            }
            let raw = try field.encode(value, in: self.name)
            bytes.replaceSubrange(field.range, with: raw)
        }
        return bytes
    }

    /// Decodes exactly one record. Bytes no field covers are ignored. Never traps: any input
    /// either decodes or throws a `CardLayoutError`.
    public func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(CardLayoutError) -> LayoutRecord {
        let bytes = Array(bytes)
        guard bytes.count == size else {
            throw CardLayoutError(.wrongRecordLength, "\(name) is \(size) bytes, got \(bytes.count)")
        }
        var record = LayoutRecord()
        for field in fields {
            record.values[field.name] = try field.decode(bytes[field.range], in: name)
        }
        return record
    }
}

extension FieldSpec {
    private var bitCount: Int { width * 8 }

    private func unsignedBytes(_ value: UInt64) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width)
        var rest = value
        for index in 0..<min(width, 8) {
            out[byteOrder == .big ? width - 1 - index : index] = UInt8(truncatingIfNeeded: rest)
            rest >>= 8
        }
        return out
    }

    private func unsignedValue(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var value: UInt64 = 0
        let ordered = byteOrder == .big ? Array(bytes) : Array(bytes.reversed())
        for byte in ordered { value = value << 8 | UInt64(byte) }
        return value
    }

    private func fitsUnsigned(_ value: UInt64) -> Bool { bitCount >= 64 || value >> UInt64(bitCount) == 0 }

    private func outOfRange(_ value: some CustomStringConvertible, _ format: String) -> CardLayoutError {
        CardLayoutError(.valueOutOfRange, "\(format).\(name) = \(value) does not fit \(width) byte(s) of \(type.typeName)")
    }

    func encode(_ value: FieldValue, in format: String) throws(CardLayoutError) -> [UInt8] {
        switch (type, value) {
        case (.unsignedInteger, .unsigned(let number)):
            guard fitsUnsigned(number) else { throw outOfRange(number, format) }
            return unsignedBytes(number)
        case (.signedInteger, .signed(let number)):
            if bitCount < 64 {
                let limit = Int64(1) << Int64(bitCount - 1)
                guard number >= -limit, number < limit else { throw outOfRange(number, format) }
            }
            return unsignedBytes(UInt64(bitPattern: number))
        case (.date, .date(let date)):
            guard fitsUnsigned(UInt64(date.daysSince2000)) else { throw outOfRange(date, format) }
            return unsignedBytes(UInt64(date.daysSince2000))
        case (.dateTime, .dateTime(let instant)):
            guard fitsUnsigned(instant.secondsSince2000) else { throw outOfRange(instant, format) }
            return unsignedBytes(instant.secondsSince2000)
        case (.enumeration(let table), .enumeration(let codeName)):
            guard let code = table[codeName] else {
                throw CardLayoutError(.recordMismatch, "\(format).\(name) has no code named \(codeName)")
            }
            return unsignedBytes(code)
        case (.bytes, .bytes(let raw)):
            guard raw.count == width else {
                throw CardLayoutError(.valueOutOfRange, "\(format).\(name) takes exactly \(width) bytes, got \(raw.count)")
            }
            return raw
        case (.flags(let table), .flags(let names)):
            var bits: UInt64 = 0
            for flag in names {
                guard let bit = table[flag] else {
                    throw CardLayoutError(.recordMismatch, "\(format).\(name) has no flag named \(flag)")
                }
                bits |= 1 << UInt64(bit)
            }
            return unsignedBytes(bits)
        default:
            throw CardLayoutError(.recordMismatch, "\(format).\(name) is a \(type.typeName) field, given \(value)")
        }
    }

    func decode(_ bytes: ArraySlice<UInt8>, in format: String) throws(CardLayoutError) -> FieldValue {
        switch type {
        case .unsignedInteger:
            return .unsigned(unsignedValue(bytes))
        case .signedInteger:
            let raw = unsignedValue(bytes)
            if bitCount >= 64 { return .signed(Int64(bitPattern: raw)) }
            let shift = UInt64(64 - bitCount)
            return .signed(Int64(bitPattern: raw << shift) >> Int64(shift))
        case .date:
            return .date(CardDate(daysSince2000: UInt32(truncatingIfNeeded: unsignedValue(bytes))))
        case .dateTime:
            return .dateTime(CardDateTime(secondsSince2000: unsignedValue(bytes)))
        case .enumeration(let table):
            let code = unsignedValue(bytes)
            guard let entry = table.first(where: { $0.value == code }) else {
                throw CardLayoutError(.unknownEnumCode, "\(format).\(name) holds code \(code), which the layout does not name")
            }
            return .enumeration(entry.key)
        case .bytes:
            return .bytes(Array(bytes))
        case .flags(let table):
            let bits = unsignedValue(bytes)
            var names: Set<String> = []
            var known: UInt64 = 0
            for (flag, bit) in table {
                known |= 1 << UInt64(bit)
                if bits & (1 << UInt64(bit)) != 0 { names.insert(flag) }
            }
            guard bits & ~known == 0 else {
                throw CardLayoutError(.undefinedFlagBits, "\(format).\(name) has bits set that the layout does not name")
            }
            return .flags(names)
        }
    }
}

extension CardLayout {
    /// The records a file's contents hold, as read from the card (ReadData of the whole file, or
    /// ReadRecords of any number of records). Never traps on any input.
    public func decodeRecords(of file: FileSpec, from bytes: [UInt8]) throws(CardLayoutError) -> [LayoutRecord] {
        guard let format = format(of: file) else {
            throw CardLayoutError(.unknownFile, "\(file.name) holds no records")
        }
        switch file.kind {
        case .standard(let size), .backup(let size):
            guard bytes.count == size else {
                throw CardLayoutError(.wrongRecordLength, "\(file.name) is \(size) bytes, got \(bytes.count)")
            }
            var records: [LayoutRecord] = []
            for index in 0..<file.repeatCount {
                let start = index * format.size
                records.append(try format.decode(bytes[start..<(start + format.size)]))
            }
            return records
        case .linearRecord(let recordSize, let maxRecords), .cyclicRecord(let recordSize, let maxRecords):
            guard bytes.count % recordSize == 0, bytes.count / recordSize <= maxRecords else {
                throw CardLayoutError(.wrongRecordLength,
                    "\(file.name) holds up to \(maxRecords) records of \(recordSize) bytes, got \(bytes.count) bytes")
            }
            var records: [LayoutRecord] = []
            for start in stride(from: 0, to: bytes.count, by: recordSize) {
                records.append(try format.decode(bytes[start..<(start + format.size)]))
            }
            return records
        case .value:
            throw CardLayoutError(.unknownFile, "\(file.name) is a value file")
        }
    }

    /// The bytes to write to a file: for data files all `repeat` records padded with zeros to the
    /// file's size; for record files one record (pass one) padded to the record size.
    public func encodeRecords(_ records: [LayoutRecord], for file: FileSpec) throws(CardLayoutError) -> [UInt8] {
        guard let format = format(of: file) else {
            throw CardLayoutError(.unknownFile, "\(file.name) holds no records")
        }
        var bytes: [UInt8] = []
        switch file.kind {
        case .standard(let size), .backup(let size):
            guard records.count == file.repeatCount else {
                throw CardLayoutError(.recordMismatch, "\(file.name) holds \(file.repeatCount) records, given \(records.count)")
            }
            for record in records { bytes += try format.encode(record) }
            bytes += [UInt8](repeating: 0, count: size - bytes.count)
        case .linearRecord(let recordSize, _), .cyclicRecord(let recordSize, _):
            guard records.count == 1 else {
                throw CardLayoutError(.recordMismatch, "a record file is written one record at a time, given \(records.count)")
            }
            bytes = try format.encode(records[0])
            bytes += [UInt8](repeating: 0, count: recordSize - bytes.count)
        case .value:
            throw CardLayoutError(.unknownFile, "\(file.name) is a value file")
        }
        return bytes
    }
}

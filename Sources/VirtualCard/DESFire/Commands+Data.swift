extension DESFireEngine {
    /// Which access rights open an operation on a file.
    enum FileOperation {
        case read, write, readWrite, readOrWrite, limitedCredit

        func keys(_ rights: FileAccessRights) -> [UInt8] {
            switch self {
            case .read: [rights.read, rights.readWrite]
            case .write: [rights.write, rights.readWrite]
            case .readWrite: [rights.readWrite]
            case .readOrWrite: [rights.read, rights.write, rights.readWrite]
            case .limitedCredit: [rights.write, rights.readWrite]
            }
        }
    }

    /// An access check's answer.
    enum AccessDecision {
        case success(CommunicationMode)
        case failure(DESFireStatus)
    }

    /// Decides whether the current session may run `operation` on `file`, and in which mode the
    /// data travels.
    ///
    /// A session with one of the operation's keys uses the file's communication mode. Otherwise a
    /// free right (0xE) lets anyone in, always in plain: free access never encrypts, whatever the
    /// file says. Rights that are all "never" (0xF) deny with PERMISSION_DENIED; a key right
    /// without that key's session denies with AUTHENTICATION_ERROR.
    func access(_ operation: FileOperation, to file: DataFile, freeOverride: Bool = false) -> AccessDecision {
        let keys = operation.keys(file.accessRights)
        if let session = state.session, keys.contains(session.keyNumber) { return .success(file.communication) }
        if freeOverride || keys.contains(0x0E) { return .success(.plain) }
        if keys.allSatisfy({ $0 == 0x0F }) { return .failure(.permissionDenied) }
        return .failure(.authenticationError)
    }

    /// The selected application's index and file `number`'s index in it.
    func locateFile(_ number: UInt8) -> (application: Int, file: Int)? {
        guard let index = selectedApplicationIndex, let fileIndex = image.applications[index].fileIndex(number) else {
            return nil
        }
        return (index, fileIndex)
    }

    /// Bytes `length` plain bytes occupy on the wire in `mode` under the current session.
    func wireLength(_ length: Int, mode: CommunicationMode) -> Int {
        guard let session = state.session else { return length }
        switch mode {
        case .plain: return length
        case .maced: return length + session.macLength
        case .enciphered: return session.encipheredLength(length)
        }
    }

    /// Unwraps command data sent in `mode`: checks the MAC or deciphers and checks the CRC, and
    /// (EV1) runs the command through the session IV. `header` is the command code and the plain
    /// parameters; `body` is exactly `wireLength(plainLength, mode)` bytes.
    mutating func openCommandData(header: [UInt8], body: [UInt8], plainLength: Int, mode: CommunicationMode) -> [UInt8]? {
        guard var session = state.session else { return body }
        defer { state.session = session }
        switch mode {
        case .plain:
            session.absorbPlainCommand(header + body)
            return body
        case .maced:
            let data = Array(body[0..<plainLength])
            return session.verifyCommandMAC(commandHeader: header, data: data, mac: Array(body[plainLength...])) ? data : nil
        case .enciphered:
            return session.openEnciphered(commandHeader: header, cipherText: body, plainLength: plainLength)
        }
    }

    // MARK: - Data files

    /// ReadData (0xBD): file number, offset and length (0: to the end of the file). A backup
    /// file reads its committed contents, never what an open transaction wrote.
    mutating func readData(_ data: [UInt8]) -> Outcome {
        guard data.count == 7 else { return .failure(.lengthError) }
        guard let (applicationIndex, fileIndex) = locateFile(data[0]) else { return .failure(.fileNotFound) }
        let file = image.applications[applicationIndex].files[fileIndex]
        let contents: [UInt8]
        switch file.content {
        case .standard(let bytes), .backup(let bytes): contents = bytes
        default: return .failure(.parameterError)
        }
        let mode: CommunicationMode
        switch access(.read, to: file) {
        case .success(let granted): mode = granted
        case .failure(let status): return .failure(status)
        }
        let offset = Int(data.littleEndian(at: 1, count: 3))
        guard let length = Self.readLength(offset: offset, requested: Int(data.littleEndian(at: 4, count: 3)), available: contents.count)
        else { return .failure(.boundaryError) }
        return .data(Array(contents[offset..<offset + length]), mode)
    }

    /// WriteData (0x3D): file number, offset, length, then the data (in the file's mode; longer
    /// data continues in 0xAF frames). Standard files change at once; backup files wait for
    /// CommitTransaction.
    mutating func writeData(_ data: [UInt8]) -> Outcome {
        guard data.count >= 7 else { return .failure(.lengthError) }
        guard let (applicationIndex, fileIndex) = locateFile(data[0]) else { return .failure(.fileNotFound) }
        let file = image.applications[applicationIndex].files[fileIndex]
        let contents: [UInt8]
        switch file.content {
        case .standard(let bytes): contents = bytes
        case .backup(let bytes): contents = state.transaction.backupData[file.number] ?? bytes
        default: return .failure(.parameterError)
        }
        let mode: CommunicationMode
        switch access(.write, to: file) {
        case .success(let granted): mode = granted
        case .failure(let status): return .failure(status)
        }
        let offset = Int(data.littleEndian(at: 1, count: 3))
        let length = Int(data.littleEndian(at: 4, count: 3))
        guard length > 0 else { return .failure(.lengthError) }
        guard offset + length <= contents.count else { return .failure(.boundaryError) }
        let expected = 7 + wireLength(length, mode: mode)
        if data.count < expected { return .needMoreData(received: data, expected: expected) }
        guard data.count == expected else { return .failure(.lengthError) }
        guard let written = openCommandData(
            header: [0x3D] + data[0..<7], body: Array(data[7...]), plainLength: length, mode: mode
        ) else { return .failure(.integrityError) }
        var updated = contents
        updated.replaceSubrange(offset..<offset + length, with: written)
        if case .standard = file.content {
            image.applications[applicationIndex].files[fileIndex].content = .standard(updated)
        } else {
            state.transaction.backupData[file.number] = updated
        }
        return .ok
    }

    // MARK: - Value files

    /// The change a value command makes.
    enum ValueOperation { case credit, debit, limitedCredit }

    /// GetValue (0x6C): the committed value, 4 bytes little-endian, in the file's mode.
    mutating func getValue(_ data: [UInt8]) -> Outcome {
        guard data.count == 1 else { return .failure(.lengthError) }
        guard let (applicationIndex, fileIndex) = locateFile(data[0]) else { return .failure(.fileNotFound) }
        let file = image.applications[applicationIndex].files[fileIndex]
        guard case .value(let value) = file.content else { return .failure(.parameterError) }
        switch access(.readOrWrite, to: file, freeOverride: value.freeGetValue) {
        case .success(let mode): return .data(littleEndianBytes(value.value, count: 4), mode)
        case .failure(let status): return .failure(status)
        }
    }

    /// Credit (0x0C, read&write key), Debit (0xDC, read, write or read&write key) and
    /// LimitedCredit (0x1C, write or read&write key, only if enabled and only up to what the last
    /// committed transaction with debits took). File number, then a non-negative 4-byte amount
    /// in the file's mode. The change waits for CommitTransaction; limits are checked against
    /// the value the transaction has reached.
    mutating func changeValue(_ data: [UInt8], command: UInt8, operation: ValueOperation) -> Outcome {
        guard let number = data.first else { return .failure(.lengthError) }
        guard let (applicationIndex, fileIndex) = locateFile(number) else { return .failure(.fileNotFound) }
        let file = image.applications[applicationIndex].files[fileIndex]
        guard case .value(let committed) = file.content else { return .failure(.parameterError) }
        if operation == .limitedCredit, !committed.limitedCreditEnabled { return .failure(.permissionDenied) }
        let rights: FileOperation
        switch operation {
        case .credit: rights = .readWrite
        case .debit: rights = .readOrWrite
        case .limitedCredit: rights = .limitedCredit
        }
        let mode: CommunicationMode
        switch access(rights, to: file) {
        case .success(let granted): mode = granted
        case .failure(let status): return .failure(status)
        }
        guard data.count == 1 + wireLength(4, mode: mode) else { return .failure(.lengthError) }
        guard let amountBytes = openCommandData(header: [command, number], body: Array(data[1...]), plainLength: 4, mode: mode) else {
            return .failure(.integrityError)
        }
        let amount = Int64(Int32(bitPattern: amountBytes.littleEndian(at: 0, count: 4)))
        guard amount >= 0 else { return .failure(.parameterError) }
        var change = state.transaction.values[number] ?? .init(value: Int64(committed.value))
        switch operation {
        case .credit:
            guard change.value + amount <= Int64(committed.upperLimit) else { return .failure(.boundaryError) }
            change.value += amount
        case .debit:
            guard change.value - amount >= Int64(committed.lowerLimit) else { return .failure(.boundaryError) }
            change.value -= amount
            change.debited += amount
        case .limitedCredit:
            guard change.limitedCredited + amount <= Int64(committed.limitedCreditValue),
                  change.value + amount <= Int64(committed.upperLimit)
            else { return .failure(.boundaryError) }
            change.value += amount
            change.limitedCredited += amount
        }
        state.transaction.values[number] = change
        return .ok
    }

    // MARK: - Record files

    /// WriteRecord (0x3B): file number, offset in the record, length, data (in the file's mode,
    /// continued in 0xAF frames when long). All writes of one transaction go into one new record,
    /// which appears at CommitTransaction; a full linear file refuses it, a cyclic one drops its
    /// oldest record then.
    mutating func writeRecord(_ data: [UInt8]) -> Outcome {
        guard data.count >= 7 else { return .failure(.lengthError) }
        guard let (applicationIndex, fileIndex) = locateFile(data[0]) else { return .failure(.fileNotFound) }
        let file = image.applications[applicationIndex].files[fileIndex]
        let records: RecordFileState
        let linear: Bool
        switch file.content {
        case .linearRecord(let state): records = state; linear = true
        case .cyclicRecord(let state): records = state; linear = false
        default: return .failure(.parameterError)
        }
        let mode: CommunicationMode
        switch access(.write, to: file) {
        case .success(let granted): mode = granted
        case .failure(let status): return .failure(status)
        }
        let offset = Int(data.littleEndian(at: 1, count: 3))
        let length = Int(data.littleEndian(at: 4, count: 3))
        guard length > 0 else { return .failure(.lengthError) }
        guard offset + length <= records.recordSize else { return .failure(.boundaryError) }
        var change = state.transaction.records[file.number] ?? .init()
        if change.cleared { return .failure(.permissionDenied) }
        if change.newRecord == nil, linear, records.records.count >= records.maxRecords {
            return .failure(.boundaryError)
        }
        let expected = 7 + wireLength(length, mode: mode)
        if data.count < expected { return .needMoreData(received: data, expected: expected) }
        guard data.count == expected else { return .failure(.lengthError) }
        guard let written = openCommandData(
            header: [0x3B] + data[0..<7], body: Array(data[7...]), plainLength: length, mode: mode
        ) else { return .failure(.integrityError) }
        var record = change.newRecord ?? [UInt8](repeating: 0, count: records.recordSize)
        record.replaceSubrange(offset..<offset + length, with: written)
        change.newRecord = record
        state.transaction.records[file.number] = change
        return .ok
    }

    /// How much a ReadData/ReadRecords of `requested` units (0: everything from `offset` on)
    /// reads from `available`, or nil when it reaches past the end (a boundary error).
    static func readLength(offset: Int, requested: Int, available: Int) -> Int? {
        guard offset < available else { return nil }
        let length = requested == 0 ? available - offset : requested
        return offset + length <= available ? length : nil
    }

    /// ReadRecords (0xBB): file number, offset (0 = newest record) and count (0 = all from there
    /// to the oldest); the records come oldest first. Only committed records are visible.
    mutating func readRecords(_ data: [UInt8]) -> Outcome {
        guard data.count == 7 else { return .failure(.lengthError) }
        guard let (applicationIndex, fileIndex) = locateFile(data[0]) else { return .failure(.fileNotFound) }
        let file = image.applications[applicationIndex].files[fileIndex]
        let records: [[UInt8]]
        switch file.content {
        case .linearRecord(let state), .cyclicRecord(let state): records = state.records
        default: return .failure(.parameterError)
        }
        let mode: CommunicationMode
        switch access(.read, to: file) {
        case .success(let granted): mode = granted
        case .failure(let status): return .failure(status)
        }
        let offset = Int(data.littleEndian(at: 1, count: 3))
        guard let count = Self.readLength(offset: offset, requested: Int(data.littleEndian(at: 4, count: 3)), available: records.count)
        else { return .failure(.boundaryError) }
        let newestExcluded = records.count - offset
        return .data(records[(newestExcluded - count)..<newestExcluded].flatMap { $0 }, mode)
    }

    /// ClearRecordFile (0xEB): empties a record file at CommitTransaction; needs the read&write
    /// key. No WriteRecord may follow in the same transaction.
    mutating func clearRecordFile(_ data: [UInt8]) -> Outcome {
        guard data.count == 1 else { return .failure(.lengthError) }
        guard let (applicationIndex, fileIndex) = locateFile(data[0]) else { return .failure(.fileNotFound) }
        let file = image.applications[applicationIndex].files[fileIndex]
        switch file.content {
        case .linearRecord, .cyclicRecord: break
        default: return .failure(.parameterError)
        }
        if case .failure(let status) = access(.readWrite, to: file) { return .failure(status) }
        state.transaction.records[file.number] = .init(cleared: true, newRecord: nil)
        return .ok
    }

    // MARK: - Transactions

    /// CommitTransaction (0xC7): makes every pending change of the selected application
    /// permanent at once.
    mutating func commitTransaction(_ data: [UInt8]) -> Outcome {
        guard data.isEmpty else { return .failure(.lengthError) }
        guard let index = selectedApplicationIndex, !state.transaction.isEmpty else { return .failure(.noChanges) }
        state.transaction.commit(into: &image.applications[index])
        state.transaction = PendingTransaction()
        return .ok
    }

    /// AbortTransaction (0xA7): drops every pending change.
    mutating func abortTransaction(_ data: [UInt8]) -> Outcome {
        guard data.isEmpty else { return .failure(.lengthError) }
        guard !state.transaction.isEmpty else { return .failure(.noChanges) }
        state.transaction = PendingTransaction()
        return .ok
    }
}

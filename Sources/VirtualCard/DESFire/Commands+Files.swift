extension DESFireEngine {
    /// Highest file number of a DESFire EV1 application.
    static let maximumFileNumber: UInt8 = 0x1F

    /// Whether the selected application lets the reader list and read file settings: its master
    /// key is authenticated, or its settings allow free directory access (bit 1).
    private var mayReadDirectory: Bool { currentKeySettings & 0x02 != 0 || isMasterAuthenticated }

    /// Whether the selected application lets the reader create and delete files: its master key
    /// is authenticated, or its settings allow it freely (bit 2).
    private var mayChangeDirectory: Bool { currentKeySettings & 0x04 != 0 || isMasterAuthenticated }

    /// GetFileIDs (0x6F): the file numbers of the selected application.
    mutating func getFileIDs(_ data: [UInt8]) -> Outcome {
        guard data.isEmpty else { return .failure(.lengthError) }
        guard let index = selectedApplicationIndex else { return .failure(.permissionDenied) }
        guard mayReadDirectory else { return .failure(.authenticationError) }
        return .data(image.applications[index].files.map(\.number))
    }

    /// GetFileSettings (0xF5): type, communication mode, access rights and the type's sizes.
    mutating func getFileSettings(_ data: [UInt8]) -> Outcome {
        guard data.count == 1 else { return .failure(.lengthError) }
        guard let index = selectedApplicationIndex else { return .failure(.fileNotFound) }
        guard mayReadDirectory else { return .failure(.authenticationError) }
        guard let file = image.applications[index].files.first(where: { $0.number == data[0] }) else {
            return .failure(.fileNotFound)
        }
        var settings = [file.content.typeByte, file.communication.rawValue] + file.accessRights.wireBytes
        switch file.content {
        case .standard(let bytes), .backup(let bytes):
            settings += littleEndianBytes(bytes.count, count: 3)
        case .value(let value):
            settings += littleEndianBytes(value.lowerLimit, count: 4) + littleEndianBytes(value.upperLimit, count: 4)
            settings += littleEndianBytes(value.limitedCreditValue, count: 4)
            settings.append((value.limitedCreditEnabled ? 0x01 : 0) | (value.freeGetValue ? 0x02 : 0))
        case .linearRecord(let records), .cyclicRecord(let records):
            settings += littleEndianBytes(records.recordSize, count: 3) + littleEndianBytes(records.maxRecords, count: 3)
            settings += littleEndianBytes(records.records.count, count: 3)
        }
        return .data(settings)
    }

    /// ChangeFileSettings (0x5F): new communication mode and access rights. In plain when the
    /// file's change right is free (0xE); otherwise enciphered under a session of the change key.
    mutating func changeFileSettings(_ data: [UInt8]) -> Outcome {
        guard let number = data.first else { return .failure(.lengthError) }
        guard let index = selectedApplicationIndex,
              let fileIndex = image.applications[index].fileIndex(number)
        else { return .failure(.fileNotFound) }
        let change = image.applications[index].files[fileIndex].accessRights.change
        let settings: [UInt8]
        switch change {
        case 0x0F:
            return .failure(.permissionDenied)
        case 0x0E:
            guard data.count == 4 else { return .failure(.lengthError) }
            state.session?.absorbPlainCommand([0x5F] + data)
            settings = Array(data[1...])
        default:
            guard var session = state.session, session.keyNumber == change else { return .failure(.authenticationError) }
            guard data.count == 1 + session.encipheredLength(3) else { return .failure(.lengthError) }
            let opened = session.openEnciphered(commandHeader: [0x5F, number], cipherText: Array(data[1...]), plainLength: 3)
            state.session = session
            guard let opened else { return .failure(.integrityError) }
            settings = opened
        }
        guard let mode = CommunicationMode(rawValue: settings[0]) else { return .failure(.parameterError) }
        image.applications[index].files[fileIndex].communication = mode
        image.applications[index].files[fileIndex].accessRights = FileAccessRights(UInt16(settings.littleEndian(at: 1, count: 2)))
        return .ok
    }

    /// CreateStdDataFile (0xCD) and CreateBackupDataFile (0xCB): number, optional ISO file ID,
    /// communication mode, access rights, size. The file starts zero-filled.
    mutating func createDataFile(_ data: [UInt8], backup: Bool) -> Outcome {
        createFile(data, plainLength: 7) { parameters in
            let size = Int(parameters.littleEndian(at: 0, count: 3))
            guard size > 0 else { return nil }
            let zeros = [UInt8](repeating: 0, count: size)
            return backup ? .backup(zeros) : .standard(zeros)
        }
    }

    /// CreateValueFile (0xCC): number, mode, rights, lower and upper limit, initial value and the
    /// LimitedCredit / free GetValue flags. No ISO file ID.
    mutating func createValueFile(_ data: [UInt8]) -> Outcome {
        createFile(data, plainLength: 17, allowsISOFileID: false) { parameters in
            let lower = Int32(bitPattern: parameters.littleEndian(at: 0, count: 4))
            let upper = Int32(bitPattern: parameters.littleEndian(at: 4, count: 4))
            let value = Int32(bitPattern: parameters.littleEndian(at: 8, count: 4))
            let flags = parameters[12]
            guard lower <= upper, value >= lower, value <= upper, flags & ~0x03 == 0 else { return nil }
            return .value(ValueFileState(
                lowerLimit: lower, upperLimit: upper, value: value, limitedCreditValue: 0,
                limitedCreditEnabled: flags & 0x01 != 0, freeGetValue: flags & 0x02 != 0
            ))
        }
    }

    /// CreateLinearRecordFile (0xC1) and CreateCyclicRecordFile (0xC0): number, optional ISO
    /// file ID, mode, rights, record size, number of records (a cyclic file needs at least two:
    /// one is its spare).
    mutating func createRecordFile(_ data: [UInt8], cyclic: Bool) -> Outcome {
        createFile(data, plainLength: 10) { parameters in
            let recordSize = Int(parameters.littleEndian(at: 0, count: 3))
            let maxRecords = Int(parameters.littleEndian(at: 3, count: 3))
            guard recordSize > 0, maxRecords >= (cyclic ? 2 : 1) else { return nil }
            let state = RecordFileState(recordSize: recordSize, maxRecords: maxRecords, records: [])
            return cyclic ? .cyclicRecord(state) : .linearRecord(state)
        }
    }

    /// The checks every Create…File shares. `plainLength` is the parameter length without an ISO
    /// file ID; `content` builds the file from the type-specific parameters (after number, mode
    /// and rights) or returns nil when they are out of range.
    private mutating func createFile(
        _ data: [UInt8], plainLength: Int, allowsISOFileID: Bool = true,
        content: ([UInt8]) -> FileContent?
    ) -> Outcome {
        guard let index = selectedApplicationIndex else { return .failure(.permissionDenied) }
        guard mayChangeDirectory else { return .failure(.authenticationError) }
        let application = image.applications[index]
        let withISOFileID = allowsISOFileID && application.supportsISOFileIDs && data.count == plainLength + 2
        guard data.count == plainLength || withISOFileID else { return .failure(.lengthError) }
        let number = data[0]
        let isoFileID: UInt16? = withISOFileID ? UInt16(data.littleEndian(at: 1, count: 2)) : nil
        let offset = withISOFileID ? 3 : 1
        guard number <= Self.maximumFileNumber,
              let mode = CommunicationMode(rawValue: data[offset]),
              let fileContent = content(Array(data[(offset + 3)...]))
        else { return .failure(.parameterError) }
        guard application.fileIndex(number) == nil else { return .failure(.duplicateError) }
        if let isoFileID, application.files.contains(where: { $0.isoFileID == isoFileID }) {
            return .failure(.duplicateError)
        }
        let cost = MemoryCost.file(fileContent)
        guard cost <= image.freeMemory else { return .failure(.outOfEEPROM) }
        image.applications[index].files.append(DataFile(
            number: number, isoFileID: isoFileID, communication: mode,
            accessRights: FileAccessRights(UInt16(data.littleEndian(at: offset + 1, count: 2))),
            content: fileContent
        ))
        image.usedMemory += cost
        return .ok
    }

    /// DeleteFile (0xDF): the file disappears; its memory stays allocated until FormatPICC.
    mutating func deleteFile(_ data: [UInt8]) -> Outcome {
        guard data.count == 1 else { return .failure(.lengthError) }
        guard let index = selectedApplicationIndex else { return .failure(.fileNotFound) }
        guard mayChangeDirectory else { return .failure(.authenticationError) }
        guard let fileIndex = image.applications[index].fileIndex(data[0]) else { return .failure(.fileNotFound) }
        image.applications[index].files.remove(at: fileIndex)
        state.transaction.forget(file: data[0])
        return .ok
    }
}

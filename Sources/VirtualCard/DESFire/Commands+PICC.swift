extension DESFireEngine {
    /// Most applications a DESFire EV1 holds.
    static let maximumApplications = 28

    /// GetVersion (0x60): hardware, software and production data in three frames of 7, 7 and
    /// 14 bytes (an EV1 session appends its CMAC to the last).
    mutating func getVersion(_ data: [UInt8]) -> Outcome {
        guard data.isEmpty else { return .failure(.lengthError) }
        let production = image.uid + image.batchNumber + [image.productionWeek, image.productionYear]
        return .reply(
            image.hardwareVersion + image.softwareVersion + production,
            protection: .plain, frameSize: Self.maximumFrameData, leadingFrames: [7, 7]
        )
    }

    /// FreeMemory (0x6E): free user memory in bytes, 3 bytes little-endian. Free of access rules.
    mutating func freeMemory(_ data: [UInt8]) -> Outcome {
        guard data.isEmpty else { return .failure(.lengthError) }
        return .data(littleEndianBytes(image.freeMemory, count: 3))
    }

    /// FormatPICC (0xFC): deletes every application and gives all memory back; PICC master key
    /// and its settings stay. Needs the PICC master key.
    mutating func formatPICC(_ data: [UInt8]) -> Outcome {
        guard data.isEmpty else { return .failure(.lengthError) }
        guard selectedApplicationIndex == nil, isMasterAuthenticated else { return .failure(.authenticationError) }
        image.applications = []
        image.usedMemory = 0
        state.transaction = PendingTransaction()
        return .ok
    }

    /// SelectApplication (0x5A): selects an application (or the PICC with AID 000000). Ends the
    /// session and drops the uncommitted transaction of the application left.
    mutating func selectApplication(_ data: [UInt8]) -> Outcome {
        guard data.count == 3 else { return .failure(.lengthError) }
        let aid = data.littleEndian(at: 0, count: 3)
        state.session = nil
        state.transaction = PendingTransaction()
        guard aid == 0 || image.applicationIndex(aid) != nil else { return .failure(.applicationNotFound) }
        state.selectedAID = aid
        return .okUnsecured
    }

    /// CreateApplication (0xCA): AID, key settings, key count with type flags, and optionally an
    /// ISO file ID and DF name. Needs the PICC master key unless the PICC settings allow free
    /// creation (bit 2).
    mutating func createApplication(_ data: [UInt8]) -> Outcome {
        guard selectedApplicationIndex == nil else { return .failure(.permissionDenied) }
        guard data.count >= 5 else { return .failure(.lengthError) }
        if image.piccKeySettings & 0x04 == 0, !isMasterAuthenticated { return .failure(.authenticationError) }
        let aid = data.littleEndian(at: 0, count: 3)
        let keySettings = data[3]
        let keyByte = data[4]
        let keyCount = Int(keyByte & 0x0F)
        let supportsISO = keyByte & 0x20 != 0
        if supportsISO {
            guard data.count >= 7, data.count <= 23 else { return .failure(.lengthError) }
        } else {
            guard data.count == 5 else { return .failure(.lengthError) }
        }
        let keyType: DESFireKeyType
        switch keyByte & 0xC0 {
        case 0x00: keyType = .des
        case 0x40: keyType = .tripleDES3K
        case 0x80: keyType = .aes
        default: return .failure(.parameterError)
        }
        guard aid != 0, keyByte & 0x10 == 0, keyCount <= 14 else { return .failure(.parameterError) }
        let isoFileID: UInt16? = supportsISO ? UInt16(data.littleEndian(at: 5, count: 2)) : nil
        let dfName: [UInt8]? = data.count > 7 ? Array(data[7...]) : nil
        guard image.applicationIndex(aid) == nil else { return .failure(.duplicateError) }
        if let isoFileID, image.applications.contains(where: { $0.isoFileID == isoFileID }) {
            return .failure(.duplicateError)
        }
        if let dfName, image.applications.contains(where: { $0.dfName == dfName }) {
            return .failure(.duplicateError)
        }
        guard image.applications.count < Self.maximumApplications else { return .failure(.countError) }
        let cost = MemoryCost.application(keyCount: keyCount, keyType: keyType)
        guard cost <= image.freeMemory else { return .failure(.outOfEEPROM) }
        image.applications.append(Application(
            aid: aid, keySettings: keySettings, keyType: keyType,
            keys: Array(repeating: .zero(keyType), count: keyCount),
            isoFileID: isoFileID, dfName: dfName, files: []
        ))
        image.usedMemory += cost
        return .ok
    }

    /// DeleteApplication (0xDA): needs the PICC master key, or the master key of the application
    /// itself while it is selected. Its memory stays allocated until FormatPICC, as on a real card.
    mutating func deleteApplication(_ data: [UInt8]) -> Outcome {
        guard data.count == 3 else { return .failure(.lengthError) }
        let aid = data.littleEndian(at: 0, count: 3)
        guard aid != 0 else { return .failure(.parameterError) }
        guard let index = image.applicationIndex(aid) else { return .failure(.applicationNotFound) }
        let deletingSelected = state.selectedAID == aid
        guard isMasterAuthenticated, selectedApplicationIndex == nil || deletingSelected else {
            return .failure(.authenticationError)
        }
        image.applications.remove(at: index)
        if deletingSelected {
            state.selectedAID = 0
            state.session = nil
            state.transaction = PendingTransaction()
            return .okUnsecured
        }
        return .ok
    }

    /// GetApplicationIDs (0x6A): every AID, 19 per frame. Needs the PICC master key unless the
    /// PICC settings allow free directory listing (bit 1).
    mutating func getApplicationIDs(_ data: [UInt8]) -> Outcome {
        guard data.isEmpty else { return .failure(.lengthError) }
        guard selectedApplicationIndex == nil else { return .failure(.permissionDenied) }
        if image.piccKeySettings & 0x02 == 0, !isMasterAuthenticated { return .failure(.authenticationError) }
        let aids = image.applications.flatMap { littleEndianBytes($0.aid, count: 3) }
        return .data(aids, frameSize: 57)
    }

    /// GetCardUID (0x51): the UID, enciphered; needs any authentication.
    mutating func getCardUID(_ data: [UInt8]) -> Outcome {
        guard data.isEmpty else { return .failure(.lengthError) }
        guard state.session != nil else { return .failure(.authenticationError) }
        return .data(image.uid, .enciphered)
    }
}

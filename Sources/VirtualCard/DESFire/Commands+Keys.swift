extension DESFireEngine {
    /// GetKeySettings (0x45): the settings byte and the key count with the key-type flags. Needs
    /// the master key of the level unless its settings allow free directory access (bit 1).
    mutating func getKeySettings(_ data: [UInt8]) -> Outcome {
        guard data.isEmpty else { return .failure(.lengthError) }
        if currentKeySettings & 0x02 == 0, !isMasterAuthenticated { return .failure(.authenticationError) }
        if let index = selectedApplicationIndex {
            let application = image.applications[index]
            return .data([application.keySettings, UInt8(application.keys.count) | application.keyType.typeFlag])
        }
        return .data([image.piccKeySettings, 0x01 | image.piccMasterKey.type.typeFlag])
    }

    /// ChangeKeySettings (0x54): new settings byte, enciphered. Needs the master key of the
    /// level, and the settings must still be changeable (bit 3).
    mutating func changeKeySettings(_ data: [UInt8]) -> Outcome {
        guard var session = state.session, session.keyNumber == 0 else { return .failure(.authenticationError) }
        guard currentKeySettings & 0x08 != 0 else { return .failure(.permissionDenied) }
        guard data.count == session.encipheredLength(1) else { return .failure(.lengthError) }
        let opened = session.openEnciphered(commandHeader: [0x54], cipherText: data, plainLength: 1)
        state.session = session
        guard let settings = opened?.first else { return .failure(.integrityError) }
        if let index = selectedApplicationIndex {
            image.applications[index].keySettings = settings
        } else {
            image.piccKeySettings = settings
        }
        return .ok
    }

    /// GetKeyVersion (0x64): one key's version. Free of access rules.
    mutating func getKeyVersion(_ data: [UInt8]) -> Outcome {
        guard data.count == 1 else { return .failure(.lengthError) }
        let keys = currentKeys
        guard Int(data[0]) < keys.count else { return .failure(.noSuchKey) }
        return .data([keys[Int(data[0])].version])
    }

    /// ChangeKey (0xC4): key number, then the new key enciphered under the session key.
    ///
    /// Changing the authenticated key sends the new key itself; changing another key sends it
    /// XORed with the old one plus a checksum of the new key, so the old key is proven too. The
    /// checksums are CRC16 in legacy sessions and CRC32 (over command, key number and
    /// cryptogram) in EV1 sessions; AES keys carry their version byte after the key. At PICC
    /// level bits 7/6 of the key number switch the master key to AES/3K3DES. Who may change which
    /// key follows the level's key settings (bit 0, and bits 7–4 for application keys).
    mutating func changeKey(_ data: [UInt8]) -> Outcome {
        guard var session = state.session else { return .failure(.authenticationError) }
        guard let keyByte = data.first else { return .failure(.lengthError) }
        let keyNumber: UInt8
        let newType: DESFireKeyType
        let oldKey: StoredKey
        if let index = selectedApplicationIndex {
            let application = image.applications[index]
            guard keyByte & 0xC0 == 0, Int(keyByte) < application.keys.count else { return .failure(.noSuchKey) }
            keyNumber = keyByte
            newType = application.keyType
            oldKey = application.keys[Int(keyNumber)]
            let changeAccess = application.keySettings >> 4
            if keyNumber == 0 {
                guard session.keyNumber == 0 else { return .failure(.authenticationError) }
                guard application.keySettings & 0x01 != 0 else { return .failure(.permissionDenied) }
            } else {
                switch changeAccess {
                case 0x0F: return .failure(.permissionDenied)
                case 0x0E: guard session.keyNumber == keyNumber else { return .failure(.authenticationError) }
                default: guard session.keyNumber == changeAccess else { return .failure(.authenticationError) }
                }
            }
        } else {
            guard keyByte & 0x3F == 0 else { return .failure(.noSuchKey) }
            switch keyByte & 0xC0 {
            case 0x00: newType = .des
            case 0x40: newType = .tripleDES3K
            case 0x80: newType = .aes
            default: return .failure(.parameterError)
            }
            keyNumber = 0
            oldKey = image.piccMasterKey
            guard session.keyNumber == 0 else { return .failure(.authenticationError) }
            guard image.piccKeySettings & 0x01 != 0 else { return .failure(.permissionDenied) }
        }

        let sameKey = session.keyNumber == keyNumber
        let keyLength = newType.keyLength
        let keyFieldLength = keyLength + (newType == .aes ? 1 : 0)
        let plainLength = keyFieldLength + session.crcLength * (sameKey ? 1 : 2)
        let cryptogram = Array(data.dropFirst())
        guard cryptogram.count == session.paddedLength(plainLength) else { return .failure(.lengthError) }
        let plain = session.decipherCommandData(cryptogram)
        state.session = session

        let keyField = Array(plain[0..<keyFieldLength])
        var newKeyBytes = Array(keyField[0..<keyLength])
        let firstCRC = Array(plain[keyFieldLength..<keyFieldLength + session.crcLength])
        var intact = constantTimeEqual(firstCRC, session.commandCRC(commandHeader: [0xC4, keyByte], data: keyField))
        var checksumEnd = keyFieldLength + session.crcLength
        if !sameKey {
            // Only keys of one type can be XORed: at PICC level the only key is the authenticated one.
            for index in 0..<keyLength { newKeyBytes[index] ^= oldKey.bytes[index] }
            let secondCRC = Array(plain[checksumEnd..<checksumEnd + session.crcLength])
            let expected = session.scheme == .legacy
                ? DESFireChecksum.crc16(newKeyBytes) : DESFireChecksum.crc32(newKeyBytes)
            intact = intact && constantTimeEqual(secondCRC, expected)
            checksumEnd += session.crcLength
        }
        intact = intact && plain[checksumEnd...].allSatisfy { $0 == 0 }
        guard intact else { return .failure(.integrityError) }

        let newKey = StoredKey(type: newType, bytes: newKeyBytes, aesVersion: newType == .aes ? keyField[keyLength] : 0)
        if let index = selectedApplicationIndex {
            image.applications[index].keys[Int(keyNumber)] = newKey
        } else {
            image.piccMasterKey = newKey
        }
        if sameKey {
            // The session's own key is gone: the card answers in plain and forgets the session.
            state.session = nil
            return .okUnsecured
        }
        return .ok
    }
}

/// The card's half of an authenticated session: the session key, which secure-messaging rules
/// apply, and (for EV1) the running IV.
///
/// Two rule sets exist. Legacy sessions (Authenticate 0x0A, DESFire EV0 compatible) restart every
/// cipher operation from a zero IV, MAC with the first 4 bytes of a DES CBC-MAC over the data only,
/// put a CRC16 (CRC_A) inside enciphered data, and leave plain responses alone. EV1 sessions
/// (AuthenticateISO 0x1A, AuthenticateAES 0xAA) keep one IV for the whole session: every command
/// and every response passes through it, either as a CMAC (plain and MACed traffic; the full CMAC
/// becomes the next IV and its first 8 bytes travel) or as CBC encryption (the last cipher block
/// becomes the next IV), with CRC32 inside enciphered data. Getting any of this wrong shows up as
/// integrity errors on the next command, which is exactly what a faithful card must produce.
struct SecureSession: Equatable {
    /// Which rule set applies.
    enum Scheme: Equatable {
        case legacy
        case ev1
    }

    let scheme: Scheme
    /// The key number that was authenticated.
    let keyNumber: UInt8
    /// The session key.
    let key: CardCipherKey
    /// The running IV (EV1 only; stays zero for legacy sessions).
    private(set) var iv: [UInt8]

    init(scheme: Scheme, keyNumber: UInt8, key: CardCipherKey) {
        self.scheme = scheme
        self.keyNumber = keyNumber
        self.key = key
        self.iv = [UInt8](repeating: 0, count: key.blockSize)
    }

    var blockSize: Int { key.blockSize }

    /// Bytes of MAC that travel after MACed data.
    var macLength: Int { scheme == .legacy ? 4 : 8 }

    /// Bytes of CRC inside enciphered data.
    var crcLength: Int { scheme == .legacy ? 2 : 4 }

    /// `length` rounded up to whole cipher blocks (at least one block).
    func paddedLength(_ length: Int) -> Int {
        max(blockSize, (length + blockSize - 1) / blockSize * blockSize)
    }

    /// Wire length of `plainLength` bytes sent enciphered with their CRC.
    func encipheredLength(_ plainLength: Int) -> Int { paddedLength(plainLength + crcLength) }

    // MARK: Commands from the reader

    /// Runs a plain command through the EV1 IV (CMAC over command code and parameters).
    mutating func absorbPlainCommand(_ command: [UInt8]) {
        guard scheme == .ev1 else { return }
        iv = LibCrypto.cmac(key, chainingValue: iv, command)
    }

    /// Checks the MAC the reader appended to `data`. `commandHeader` is the command code and
    /// the plain parameters before the data (EV1 MACs cover them, legacy MACs do not).
    mutating func verifyCommandMAC(commandHeader: [UInt8], data: [UInt8], mac: [UInt8]) -> Bool {
        switch scheme {
        case .legacy:
            return constantTimeEqual(legacyMAC(data), mac)
        case .ev1:
            let full = LibCrypto.cmac(key, chainingValue: iv, commandHeader + data)
            iv = full
            return constantTimeEqual(Array(full.prefix(8)), mac)
        }
    }

    /// Deciphers reader data sent enciphered.
    ///
    /// Legacy readers "decipher to send" (DES decryption in a CBC-like chain, so the card only
    /// ever encrypts): the card undoes it block by block as P = E(C) XOR C_previous. EV1 readers
    /// encrypt in CBC with the session IV; the last cipher block becomes the next IV.
    mutating func decipherCommandData(_ cipherText: [UInt8]) -> [UInt8] {
        switch scheme {
        case .legacy:
            return legacyReceive(cipherText)
        case .ev1:
            let plain = LibCrypto.cbcDecrypt(key, iv: iv, cipherText)
            iv = Array(cipherText.suffix(blockSize))
            return plain
        }
    }

    /// The CRC that enciphered command data must carry: CRC16 of the data (legacy) or CRC32 of
    /// command code, parameters and data (EV1).
    func commandCRC(commandHeader: [UInt8], data: [UInt8]) -> [UInt8] {
        scheme == .legacy ? DESFireChecksum.crc16(data) : DESFireChecksum.crc32(commandHeader + data)
    }

    /// Deciphers enciphered command data of known plain length and checks its CRC and padding.
    /// Returns nil when the CRC or the padding is wrong; the caller checks the wire length first.
    mutating func openEnciphered(commandHeader: [UInt8], cipherText: [UInt8], plainLength: Int) -> [UInt8]? {
        let plain = decipherCommandData(cipherText)
        let data = Array(plain[0..<plainLength])
        let crc = Array(plain[plainLength..<plainLength + crcLength])
        let padding = plain[(plainLength + crcLength)...]
        guard constantTimeEqual(crc, commandCRC(commandHeader: commandHeader, data: data)),
              padding.allSatisfy({ $0 == 0 })
        else { return nil }
        return data
    }

    // MARK: Responses to the reader

    /// Secures response `data` for a successful command in `mode`.
    mutating func sealResponse(_ data: [UInt8], mode: CommunicationMode) -> [UInt8] {
        switch (scheme, mode) {
        case (.legacy, .plain):
            return data
        case (.legacy, .maced):
            return data + legacyMAC(data)
        case (.legacy, .enciphered):
            let plain = zeroPadded(data + DESFireChecksum.crc16(data))
            return LibCrypto.cbcEncrypt(key, iv: [UInt8](repeating: 0, count: blockSize), plain)
        case (.ev1, .plain), (.ev1, .maced):
            iv = LibCrypto.cmac(key, chainingValue: iv, data + [DESFireStatus.operationOK.code])
            return data + iv.prefix(8)
        case (.ev1, .enciphered):
            let plain = zeroPadded(data + DESFireChecksum.crc32(data + [DESFireStatus.operationOK.code]))
            let cipherText = LibCrypto.cbcEncrypt(key, iv: iv, plain)
            iv = Array(cipherText.suffix(blockSize))
            return cipherText
        }
    }

    // MARK: Helpers

    private func zeroPadded(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: paddedLength(bytes.count) - bytes.count)
    }

    /// Legacy MAC: the first 4 bytes of the last block of a zero-IV CBC encryption of the data,
    /// zero padded.
    private func legacyMAC(_ data: [UInt8]) -> [UInt8] {
        let cipherText = LibCrypto.cbcEncrypt(key, iv: [UInt8](repeating: 0, count: blockSize), zeroPadded(data))
        return Array(cipherText.suffix(blockSize).prefix(4))
    }

    private func legacyReceive(_ cipherText: [UInt8]) -> [UInt8] {
        legacyReceiveMode(cipherText, key: key)
    }
}

/// Compares two byte strings without an early exit, so MAC checks leak no timing.
func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}

/// Undoes a legacy reader's send mode with `key` (used by authentication before a session
/// exists): P_i = E(C_i) XOR C_(i-1), C_0 = 0.
func legacyReceiveMode(_ cipherText: [UInt8], key: CardCipherKey) -> [UInt8] {
    let blockSize = key.blockSize
    var plain = LibCrypto.ecbEncrypt(key, cipherText)
    var index = blockSize
    while index < cipherText.count {
        plain[index] ^= cipherText[index - blockSize]
        index += 1
    }
    return plain
}

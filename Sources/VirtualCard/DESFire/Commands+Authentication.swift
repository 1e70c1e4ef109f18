extension DESFireEngine {
    /// Authenticate (0x0A legacy, 0x1A ISO, 0xAA AES), first frame: the reader names a key, the
    /// card answers E(RndB).
    ///
    /// Any authentication attempt first ends the current session, so a failed attempt leaves
    /// the reader unauthenticated. Which command opens which key is fixed: 0x0A only DES/2K3DES
    /// (EV0 rules), 0x1A DES-family keys with EV1 secure messaging, 0xAA only AES keys.
    mutating func authenticate(command: UInt8, data: [UInt8]) -> Outcome {
        state.session = nil
        if options.authenticationAbortsTransaction { state.transaction = PendingTransaction() }
        guard data.count == 1 else { return .failure(.lengthError) }
        let keyNumber = data[0]
        let keys = currentKeys
        guard Int(keyNumber) < keys.count else { return .failure(.noSuchKey) }
        let key = keys[Int(keyNumber)]
        let scheme: SecureSession.Scheme
        switch (command, key.type) {
        case (0x0A, .des): scheme = .legacy
        case (0x1A, .des), (0x1A, .tripleDES3K), (0xAA, .aes): scheme = .ev1
        default: return .failure(.authenticationError)
        }
        let challengeLength = key.type == .des ? 8 : 16
        let rndB = challenges.bytes(challengeLength)
        let cipherKey = key.cipherKey
        let encryptedRndB: [UInt8]
        switch scheme {
        case .legacy:
            encryptedRndB = LibCrypto.ecbEncrypt(cipherKey, rndB)
        case .ev1:
            encryptedRndB = LibCrypto.cbcEncrypt(cipherKey, iv: [UInt8](repeating: 0, count: cipherKey.blockSize), rndB)
        }
        let pending = PendingAuthentication(
            scheme: scheme, keyNumber: keyNumber, key: key, rndB: rndB,
            iv: Array(encryptedRndB.suffix(cipherKey.blockSize))
        )
        state.continuation = .authentication(pending)
        return .challenge(encryptedRndB)
    }

    /// Authenticate, second frame: the reader proves it decrypted RndB (sending RndA and RndB
    /// rotated left by one byte); the card proves it can decrypt RndA and both derive the session
    /// key from the two challenges.
    mutating func completeAuthentication(_ pending: PendingAuthentication, _ data: [UInt8]) -> Outcome {
        let challengeLength = pending.rndB.count
        guard data.count == 2 * challengeLength else { return .failure(.lengthError) }
        let cipherKey = pending.key.cipherKey
        let plain: [UInt8]
        switch pending.scheme {
        case .legacy: plain = legacyReceiveMode(data, key: cipherKey)
        case .ev1: plain = LibCrypto.cbcDecrypt(cipherKey, iv: pending.iv, data)
        }
        let rndA = Array(plain[0..<challengeLength])
        guard constantTimeEqual(Array(plain[challengeLength...]), rotatedLeft(pending.rndB)) else {
            return .failure(.authenticationError)
        }
        let answer: [UInt8]
        switch pending.scheme {
        case .legacy:
            answer = LibCrypto.ecbEncrypt(cipherKey, rotatedLeft(rndA))
        case .ev1:
            answer = LibCrypto.cbcEncrypt(cipherKey, iv: Array(data.suffix(cipherKey.blockSize)), rotatedLeft(rndA))
        }
        state.session = SecureSession(
            scheme: pending.scheme,
            keyNumber: pending.keyNumber,
            key: Self.sessionKey(for: pending.key, rndA: rndA, rndB: pending.rndB)
        )
        return .authenticated(answer)
    }

    /// The session key both sides build from the two challenges (byte ranges as NXP defines
    /// them per key type).
    static func sessionKey(for key: StoredKey, rndA: [UInt8], rndB: [UInt8]) -> CardCipherKey {
        func part(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt8] { Array(bytes[range]) }
        switch key.type {
        case .des where key.isSingleDES:
            return CardCipherKey(.tripleDESTwoKey, bytes: part(rndA, 0..<4) + part(rndB, 0..<4))
        case .des:
            return CardCipherKey(
                .tripleDESTwoKey,
                bytes: part(rndA, 0..<4) + part(rndB, 0..<4) + part(rndA, 4..<8) + part(rndB, 4..<8)
            )
        case .tripleDES3K:
            return CardCipherKey(
                .tripleDESThreeKey,
                bytes: part(rndA, 0..<4) + part(rndB, 0..<4) + part(rndA, 6..<10) + part(rndB, 6..<10)
                    + part(rndA, 12..<16) + part(rndB, 12..<16)
            )
        case .aes:
            return CardCipherKey(
                .aes128,
                bytes: part(rndA, 0..<4) + part(rndB, 0..<4) + part(rndA, 12..<16) + part(rndB, 12..<16)
            )
        }
    }
}

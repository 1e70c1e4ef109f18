import Crypto

/// The client side of a DESFire conversation as a value: which application is selected, whether
/// and how the session is authenticated, the session key and the IV, and the one command in
/// flight.
///
/// It does no I/O. ``prepare(_:)`` turns a ``DESFireCommand`` into the native frame to send
/// (MACed or enciphered as the command's mode says, IV advanced); ``open(_:)`` checks the
/// card's answer (status, CMAC or MAC, CRC inside the decrypted data, length) and returns the
/// plain payload. Authentication runs as three steps (``beginAuthentication(_:keyNumber:key:)``,
/// ``answerChallenge(_:using:)``, ``completeAuthentication(_:)``). Each step is a pure function
/// of the value and its input, so a test can drive a session byte by byte.
///
/// Security rules the value enforces:
/// - EV1 AES: every command after authentication advances the IV by CMACing the command (even
///   plain ones) and every successful response must carry a CMAC that verifies; a session is
///   one unbroken CMAC chain, so a dropped, replayed or altered message breaks it.
/// - Any error status, any response that does not verify, and any exchange abandoned half way
///   ends the authentication: the card has dropped it too (or its state is unknown), and a
///   client that kept its IV would only produce MAC errors later.
/// - MACs and challenges are compared in constant time.
public struct DESFireSession: Sendable {
    /// How the session was authenticated.
    public enum Scheme: String, Sendable, Hashable {
        /// Legacy (DESFire EV0) authentication 0x0A with a DES or 2K3DES key: 4-byte DES MACs,
        /// CRC16, IV reset for every message.
        case legacy
        /// EV1 ISO authentication 0x1A with a DES, 2K3DES or 3K3DES key: EV1 secure messaging
        /// (CMAC-chained IV, CRC32) over 8-byte DES blocks.
        case iso
        /// EV1 AES authentication 0xAA: CMAC-chained IV, 8-byte CMACs, CRC32.
        case aes

        /// Whether the session uses EV1 secure messaging (CMAC chain, CRC32) rather than legacy.
        var isEV1: Bool { self != .legacy }

        var instruction: InstructionCode {
            switch self {
            case .legacy: .authenticateLegacy
            case .iso: .authenticateISO
            case .aes: .authenticateAES
            }
        }
    }

    struct Authenticated: Sendable {
        let scheme: Scheme
        let keyNumber: UInt8
        let sessionKey: SymmetricKey
        let cipher: BlockCipher
        /// EV1: the chaining value. Legacy: always zero.
        var iv: [UInt8]
    }

    struct Challenge: Sendable {
        let scheme: Scheme
        let keyNumber: UInt8
        let cipher: BlockCipher
        /// RndA and RndB length: 16 for AES and 3K3DES, 8 for DES and 2K3DES.
        let randomSize: Int
        let keyType: DESFireKey.KeyType
        let effectivelySingleDES: Bool
    }

    enum Phase: Sendable {
        case idle
        case awaitingResponse(DESFireCommand)
        case awaitingChallenge(Challenge)
        case awaitingProof(Challenge, randomA: [UInt8], randomB: [UInt8], iv: [UInt8])
    }

    /// The application the card has selected (the PICC level after activation).
    public private(set) var selectedApplication: ApplicationID
    var authentication: Authenticated?
    var phase: Phase = .idle

    /// A session with a freshly activated card: PICC level selected, not authenticated.
    public init(selectedApplication: ApplicationID = .picc) {
        self.selectedApplication = selectedApplication
    }

    /// Whether the session is authenticated.
    public var isAuthenticated: Bool { authentication != nil }
    /// The key number the session is authenticated with.
    public var authenticatedKeyNumber: UInt8? { authentication?.keyNumber }
    /// The authentication scheme in force.
    public var scheme: Scheme? { authentication?.scheme }
    /// Whether no command or authentication step is waiting for the card's answer.
    public var isIdle: Bool {
        if case .idle = phase { return true }
        return false
    }

    /// Forgets the command in flight and the authentication: after a transmission failure or an
    /// exchange that could not finish, the card's state is unknown.
    public mutating func abandon() {
        phase = .idle
        authentication = nil
    }

    /// Back to a freshly activated card (a new card, or the same card after it left the field).
    public mutating func reset() {
        abandon()
        selectedApplication = .picc
    }

    // MARK: Commands

    /// Secures a command for sending: appends a MAC, or enciphers its data with a CRC, and
    /// advances the IV. Returns the native frame and the bounds of its answer.
    public mutating func prepare(_ command: DESFireCommand) throws(DESFireError) -> PreparedFrame {
        guard case .idle = phase else {
            throw DESFireError(.wrongState, "\(command.instruction) prepared while another exchange waits for its answer")
        }
        switch command.instruction {
        case .authenticateAES, .authenticateLegacy, .authenticateISO, .additionalFrame:
            throw DESFireError(.wrongState, "\(command.instruction) is sent by the authentication steps or the exchange, not prepare")
        default: break
        }
        if case .selectsApplication = command.effect {
            // The card drops authentication on select and answers without a MAC.
            authentication = nil
        }
        if authentication == nil, command.requestMode != .plain || command.responseMode != .plain {
            throw DESFireError(.notAuthenticated, "\(command.instruction) in \(command.requestMode) / \(command.responseMode) mode needs an authenticated session")
        }
        var body = command.header
        if var auth = authentication {
            body += secure(command, with: &auth)
            authentication = auth
        } else {
            body += command.data
        }
        phase = .awaitingResponse(command)
        return PreparedFrame(
            instruction: command.instruction,
            body: body,
            maxResponseBytes: maxWireLength(of: command),
            maxResponseFrames: command.maxResponseFrames
        )
    }

    /// Checks the card's answer to the prepared command and returns its plain payload.
    ///
    /// Throws the card's status as a named error, or a client-side error when the MAC or CRC
    /// does not verify or the length is not one the command produces; either way the session
    /// is no longer authenticated afterwards.
    public mutating func open(_ response: DESFireResponse) throws(DESFireError) -> [UInt8] {
        guard case .awaitingResponse(let command) = phase else {
            throw DESFireError(.wrongState, "a response arrived with no command in flight")
        }
        phase = .idle
        guard response.status == .operationOK else {
            authentication = nil
            throw DESFireError(status: response.status, command: command.instruction)
        }
        do {
            return try unwrap(response, of: command)
        } catch {
            authentication = nil
            throw error
        }
    }

    private mutating func unwrap(_ response: DESFireResponse, of command: DESFireCommand) throws(DESFireError) -> [UInt8] {
        switch command.effect {
        case .selectsApplication(let application):
            try checkLength(response.data.count, .empty, command)
            selectedApplication = application
            return []
        case .changesAuthenticatedKey:
            authentication = nil
            try checkLength(response.data.count, .empty, command)
            return []
        case .ordinary:
            break
        }
        guard var auth = authentication else {
            try checkLength(response.data.count, command.response, command)
            return response.data
        }
        let payload: [UInt8]
        let size = auth.cipher.blockSize
        switch (auth.scheme.isEV1, command.responseMode) {
        case (true, .plain), (true, .maced):
            guard response.data.count >= 8 else {
                throw DESFireError(.truncatedResponse, "\(command.instruction): \(response.data.count) bytes cannot hold the 8-byte CMAC")
            }
            payload = Array(response.data.dropLast(8))
            let mac = CMAC.compute(payload + [response.status.rawValue], cipher: auth.cipher, iv: auth.iv)
            guard constantTimeEqual(Array(mac.prefix(8)), Array(response.data.suffix(8))) else {
                throw DESFireError(.responseMACMismatch, "\(command.instruction): the response CMAC does not verify")
            }
            auth.iv = mac
        case (true, .enciphered):
            let ciphertext = try wholeBlocks(response.data, blockSize: size, command)
            let plain = auth.cipher.cbcDecrypt(ciphertext, iv: auth.iv)
            auth.iv = Array(ciphertext.suffix(size))
            payload = try locateCRC(in: plain, crcLength: 4, blockSize: size, allowed: command.response, command) { data in
                DESFireCRC.crc32Bytes(data + [response.status.rawValue])
            }
        case (false, .plain):
            payload = response.data
        case (false, .maced):
            guard response.data.count >= 4 else {
                throw DESFireError(.truncatedResponse, "\(command.instruction): \(response.data.count) bytes cannot hold the 4-byte MAC")
            }
            payload = Array(response.data.dropLast(4))
            guard constantTimeEqual(legacyMAC(payload, cipher: auth.cipher), Array(response.data.suffix(4))) else {
                throw DESFireError(.responseMACMismatch, "\(command.instruction): the response MAC does not verify")
            }
        case (false, .enciphered):
            let ciphertext = try wholeBlocks(response.data, blockSize: size, command)
            let plain = auth.cipher.cbcDecrypt(ciphertext, iv: [UInt8](repeating: 0, count: size))
            payload = try locateCRC(in: plain, crcLength: 2, blockSize: size, allowed: command.response, command) { data in
                DESFireCRC.crc16Bytes(data)
            }
        }
        try checkLength(payload.count, command.response, command)
        authentication = auth
        return payload
    }

    /// The protected part of the frame (after the header) for an authenticated session.
    private func secure(_ command: DESFireCommand, with auth: inout Authenticated) -> [UInt8] {
        let size = auth.cipher.blockSize
        switch (auth.scheme.isEV1, command.requestMode) {
        case (true, .plain):
            auth.iv = CMAC.compute([command.instruction.rawValue] + command.header + command.data, cipher: auth.cipher, iv: auth.iv)
            return command.data
        case (true, .maced):
            auth.iv = CMAC.compute([command.instruction.rawValue] + command.header + command.data, cipher: auth.cipher, iv: auth.iv)
            return command.data + auth.iv.prefix(8)
        case (true, .enciphered):
            let crc = DESFireCRC.crc32Bytes([command.instruction.rawValue] + command.header + command.data)
            let plain = zeroPadded(command.data + crc + command.encipheredTrailer, blockSize: size)
            let ciphertext = auth.cipher.cbcEncrypt(plain, iv: auth.iv)
            auth.iv = Array(ciphertext.suffix(size))
            return ciphertext
        case (false, .plain):
            return command.data
        case (false, .maced):
            return command.data + legacyMAC(command.data, cipher: auth.cipher)
        case (false, .enciphered):
            let plain = zeroPadded(command.data + DESFireCRC.crc16Bytes(command.data) + command.encipheredTrailer, blockSize: size)
            return auth.cipher.legacySendDecipher(plain)
        }
    }

    /// The most bytes the card's answer may carry on the wire (payload plus MAC, CRC, padding).
    private func maxWireLength(of command: DESFireCommand) -> Int {
        let payload = command.response.maximum
        guard command.effect == .ordinary, let auth = authentication else { return payload }
        let size = auth.cipher.blockSize
        switch (auth.scheme.isEV1, command.responseMode) {
        case (true, .plain), (true, .maced): return payload + 8
        case (true, .enciphered): return paddedLength(payload + 4, blockSize: size)
        case (false, .plain): return payload
        case (false, .maced): return payload + 4
        case (false, .enciphered): return paddedLength(payload + 2, blockSize: size)
        }
    }

    // MARK: Authentication

    /// Starts an authentication: returns the frame `AA keyNo` (EV1 AES), `1A keyNo` (EV1 ISO)
    /// or `0A keyNo` (legacy).
    ///
    /// Any authentication in force ends here, as it does on the card.
    public mutating func beginAuthentication(_ scheme: Scheme, keyNumber: UInt8, key: DESFireKey) throws(DESFireError) -> PreparedFrame {
        guard case .idle = phase else {
            throw DESFireError(.wrongState, "authentication started while another exchange waits for its answer")
        }
        try require(Int(keyNumber), in: 0...13, "the key number")
        authentication = nil
        let cipher: BlockCipher
        switch (scheme, key.type) {
        case (.aes, .aes128):
            cipher = .aes(key.material)
        case (.legacy, .des), (.legacy, .tripleDES2K), (.iso, .des), (.iso, .tripleDES2K), (.iso, .tripleDES3K):
            let bytes = key.bytes
            cipher = key.isEffectivelySingleDES ? .des(DES(key: bytes[0..<8])) : .tripleDES(TripleDES(key: bytes))
        default:
            throw DESFireError(.unsupportedKeyType, "\(scheme) authentication cannot use a \(key.type) key")
        }
        let challengeSize = key.type == .tripleDES3K || key.type == .aes128 ? 16 : 8
        phase = .awaitingChallenge(Challenge(scheme: scheme, keyNumber: keyNumber, cipher: cipher, randomSize: challengeSize, keyType: key.type, effectivelySingleDES: key.isEffectivelySingleDES))
        return PreparedFrame(
            instruction: scheme.instruction,
            body: [keyNumber],
            maxResponseBytes: challengeSize,
            maxResponseFrames: 1,
            additionalFrameEndsExchange: true
        )
    }

    /// Answers the card's challenge ek(RndB) with a fresh RndA: returns the frame
    /// `AF ek(RndA || RndB')`.
    ///
    /// RndA comes from `generator`, which must be a cryptographically secure generator in
    /// production (`SystemRandomNumberGenerator`): RndA is half of the session key.
    public mutating func answerChallenge(_ response: DESFireResponse, using generator: inout some RandomNumberGenerator) throws(DESFireError) -> PreparedFrame {
        guard case .awaitingChallenge(let challenge) = phase else {
            throw DESFireError(.wrongState, "a challenge arrived with no authentication started")
        }
        phase = .idle
        let size = challenge.randomSize
        let blockSize = challenge.cipher.blockSize
        guard response.status == .additionalFrame else {
            if response.status == .operationOK {
                throw DESFireError(.malformedResponse, "the card ended authentication without sending a challenge")
            }
            throw DESFireError(status: response.status, command: challenge.scheme.instruction)
        }
        try checkAuthenticationLength(response.data.count, size)
        let zero = [UInt8](repeating: 0, count: blockSize)
        let randomB = challenge.cipher.cbcDecrypt(response.data, iv: zero)
        let randomA = Self.randomBytes(size, using: &generator)
        let token: [UInt8]
        let iv: [UInt8]
        switch challenge.scheme {
        case .aes, .iso:
            token = challenge.cipher.cbcEncrypt(randomA + rotatedLeft(randomB), iv: Array(response.data.suffix(blockSize)))
            iv = Array(token.suffix(blockSize))
        case .legacy:
            token = challenge.cipher.legacySendDecipher(randomA + rotatedLeft(randomB))
            iv = zero
        }
        phase = .awaitingProof(challenge, randomA: randomA, randomB: randomB, iv: iv)
        return PreparedFrame(instruction: .additionalFrame, body: token, maxResponseBytes: size, maxResponseFrames: 1)
    }

    /// Checks the card's proof ek(RndA') and, if it proves the card knows the key, makes the
    /// session key and starts the authenticated session (IV zero).
    public mutating func completeAuthentication(_ response: DESFireResponse) throws(DESFireError) {
        guard case .awaitingProof(let challenge, let randomA, let randomB, let iv) = phase else {
            throw DESFireError(.wrongState, "an authentication proof arrived with no challenge answered")
        }
        phase = .idle
        guard response.status == .operationOK else {
            throw DESFireError(status: response.status, command: .additionalFrame)
        }
        try checkAuthenticationLength(response.data.count, challenge.randomSize)
        let rotatedA = challenge.cipher.cbcDecrypt(response.data, iv: iv)
        guard constantTimeEqual(rotatedA, rotatedLeft(randomA)) else {
            throw DESFireError(.cardAuthenticationFailed, "the card's answer does not contain our RndA: it does not hold the key")
        }
        let a = randomA, b = randomB
        let keyBytes: [UInt8]
        let cipher: BlockCipher
        switch challenge.scheme {
        case .aes:
            keyBytes = Array(a[0..<4] + b[0..<4] + a[12..<16] + b[12..<16])
            cipher = .aes(SymmetricKey(data: keyBytes))
        case .legacy, .iso:
            if challenge.keyType == .tripleDES3K {
                keyBytes = Array(a[0..<4] + b[0..<4] + a[6..<10] + b[6..<10] + a[12..<16] + b[12..<16])
                cipher = .tripleDES(TripleDES(key: keyBytes))
            } else if challenge.effectivelySingleDES {
                keyBytes = Array(a[0..<4] + b[0..<4])
                cipher = .des(DES(key: keyBytes))
            } else {
                keyBytes = Array(a[0..<4] + b[0..<4] + a[4..<8] + b[4..<8])
                cipher = .tripleDES(TripleDES(key: keyBytes))
            }
        }
        authentication = Authenticated(
            scheme: challenge.scheme,
            keyNumber: challenge.keyNumber,
            sessionKey: SymmetricKey(data: keyBytes),
            cipher: cipher,
            iv: [UInt8](repeating: 0, count: cipher.blockSize)
        )
    }

    // MARK: ChangeKey

    /// Builds ChangeKey for this session: the cryptogram differs between legacy and EV1
    /// sessions, and between changing the key the session is authenticated with (new key in
    /// clear inside the encipherment) and changing another key (new key XOR current key, plus a
    /// CRC of the new key, so the card can check the caller knew the current key).
    ///
    /// At the PICC level the key number byte also carries the new key's family (0x80 for AES,
    /// 0x40 for 3K3DES): that is how a blank card's DES PICC master key becomes an AES key.
    /// `currentKey` is needed only when changing a key other than the authenticated one.
    public func changeKey(_ keyNumber: UInt8, to newKey: DESFireKey, currentKey: DESFireKey? = nil) throws(DESFireError) -> DESFireCommand {
        guard let auth = authentication else {
            throw DESFireError(.notAuthenticated, "ChangeKey needs an authenticated session")
        }
        try require(Int(keyNumber), in: 0...13, "the key number")
        let keyNumberByte: UInt8
        if selectedApplication == .picc {
            guard keyNumber == 0 else {
                throw DESFireError(.invalidArgument, "the PICC level has only key 0")
            }
            keyNumberByte = newKey.type.family.rawValue
        } else {
            keyNumberByte = keyNumber
        }
        let sameKey = keyNumber == auth.keyNumber
        let newBytes = newKey.cardBytes
        var cryptogram = newBytes
        var trailer: [UInt8] = []
        if !sameKey {
            guard let currentKey else {
                throw DESFireError(.invalidArgument, "changing key \(keyNumber) while authenticated with key \(auth.keyNumber) needs its current key")
            }
            let currentBytes = currentKey.cardBytes
            guard currentBytes.count == newBytes.count else {
                throw DESFireError(.invalidArgument, "the current and new keys of one application have the same size")
            }
            cryptogram = xor(newBytes, currentBytes)
            trailer = auth.scheme.isEV1 ? DESFireCRC.crc32Bytes(newBytes) : DESFireCRC.crc16Bytes(newBytes)
        }
        if newKey.type == .aes128 { cryptogram.append(newKey.version) }
        var command = DESFireCommand(.changeKey, header: [keyNumberByte], data: cryptogram, requestMode: .enciphered, responseMode: .plain, response: .empty)
        command.encipheredTrailer = trailer
        if sameKey { command.effect = .changesAuthenticatedKey }
        return command
    }

    // MARK: Helpers

    private func checkLength(_ count: Int, _ allowed: ResponseLength, _ command: DESFireCommand) throws(DESFireError) {
        guard !allowed.allows(count) else { return }
        if count > allowed.maximum {
            throw DESFireError(.oversizedResponse, "\(command.instruction) answered \(count) bytes, at most \(allowed.maximum) expected")
        }
        let minimum: Int
        switch allowed {
        case .exactly(let n): minimum = n
        default: minimum = 0
        }
        if count < minimum {
            throw DESFireError(.truncatedResponse, "\(command.instruction) answered \(count) bytes, \(minimum) expected")
        }
        throw DESFireError(.malformedResponse, "\(command.instruction) answered \(count) bytes, which is not a length it produces (\(allowed))")
    }

    private func checkAuthenticationLength(_ count: Int, _ size: Int) throws(DESFireError) {
        if count < size { throw DESFireError(.truncatedResponse, "authentication step answered \(count) bytes, \(size) expected") }
        if count > size { throw DESFireError(.oversizedResponse, "authentication step answered \(count) bytes, \(size) expected") }
    }

    private func wholeBlocks(_ data: [UInt8], blockSize: Int, _ command: DESFireCommand) throws(DESFireError) -> [UInt8] {
        guard !data.isEmpty else {
            throw DESFireError(.truncatedResponse, "\(command.instruction): an enciphered answer has at least one block")
        }
        guard data.count % blockSize == 0 else {
            throw DESFireError(.malformedResponse, "\(command.instruction): \(data.count) enciphered bytes are not whole \(blockSize)-byte blocks")
        }
        return data
    }

    /// Finds where the CRC ends in deciphered data: the payload length is known only up to the
    /// command's allowed lengths, and the padding after the CRC (zeros, or 0x80 then zeros)
    /// is shorter than a block. The longest payload whose CRC and padding check wins.
    private func locateCRC(
        in plain: [UInt8],
        crcLength: Int,
        blockSize: Int,
        allowed: ResponseLength,
        _ command: DESFireCommand,
        crc: ([UInt8]) -> [UInt8]
    ) throws(DESFireError) -> [UInt8] {
        let longest = plain.count - crcLength
        if longest >= 0 {
            for length in stride(from: longest, through: max(0, longest - blockSize + 1), by: -1) where allowed.allows(length) {
                let payload = Array(plain[0..<length])
                let padding = plain[(length + crcLength)...]
                guard isValidPadding(padding) else { continue }
                if constantTimeEqual(crc(payload), Array(plain[length..<length + crcLength])) {
                    return payload
                }
            }
        }
        throw DESFireError(.crcMismatch, "\(command.instruction): no CRC in the deciphered answer matches a length the command produces")
    }

    private func isValidPadding(_ padding: ArraySlice<UInt8>) -> Bool {
        guard let first = padding.first else { return true }
        return (first == 0x00 || first == 0x80) && padding.dropFirst().allSatisfy { $0 == 0 }
    }

    static func randomBytes(_ count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return Array(bytes.prefix(count))
    }
}

/// A native frame ready to be wrapped and sent, with the bounds of its answer.
public struct PreparedFrame: Hashable, Sendable {
    /// The command code.
    public let instruction: InstructionCode
    /// Everything after the command code: header, then the (MACed or enciphered) data.
    public let body: [UInt8]
    /// The most bytes the card's answer may carry over all its frames.
    public let maxResponseBytes: Int
    /// The most answer frames, where the protocol fixes it (GetVersion, authentication).
    public let maxResponseFrames: Int?
    /// An authentication challenge arrives with status 0xAF: that ends the exchange instead of
    /// asking for another frame.
    let additionalFrameEndsExchange: Bool

    init(instruction: InstructionCode, body: [UInt8], maxResponseBytes: Int, maxResponseFrames: Int?, additionalFrameEndsExchange: Bool = false) {
        self.instruction = instruction
        self.body = body
        self.maxResponseBytes = maxResponseBytes
        self.maxResponseFrames = maxResponseFrames
        self.additionalFrameEndsExchange = additionalFrameEndsExchange
    }
}

/// The card's complete answer to one command: its final status and the data of all frames.
public struct DESFireResponse: Hashable, Sendable {
    /// The final status byte.
    public let status: DESFireStatus
    /// The data of all frames, concatenated (MAC, CRC and padding still inside).
    public let data: [UInt8]

    /// A response from its parts.
    public init(status: DESFireStatus, data: [UInt8]) {
        self.status = status
        self.data = data
    }
}

/// Pads with zero bytes up to whole blocks (no block added when already whole).
func zeroPadded(_ bytes: [UInt8], blockSize: Int) -> [UInt8] {
    bytes + [UInt8](repeating: 0, count: paddedLength(bytes.count, blockSize: blockSize) - bytes.count)
}

/// The bytes rotated left by one byte (RndB' from RndB).
func rotatedLeft(_ bytes: [UInt8]) -> [UInt8] {
    bytes.isEmpty ? bytes : Array(bytes.dropFirst()) + [bytes[0]]
}

/// The legacy MAC: DES/3DES CBC encryption of the zero-padded data from a zero IV, first 4
/// bytes of the last block.
func legacyMAC(_ data: [UInt8], cipher: BlockCipher) -> [UInt8] {
    let padded = zeroPadded(data, blockSize: cipher.blockSize)
    let ciphertext = cipher.cbcEncrypt(padded.isEmpty ? [UInt8](repeating: 0, count: cipher.blockSize) : padded, iv: [UInt8](repeating: 0, count: cipher.blockSize))
    return Array(ciphertext.suffix(cipher.blockSize).prefix(4))
}

/// The DESFire EV1 card logic: native commands in, data and a status byte out.
///
/// A plain value (no I/O, no clock): the persistent part is `image`, the volatile part (selected
/// application, session, chained frames, pending transaction) is dropped by `dropVolatileState()`
/// exactly when a real card loses its RAM. Randomness comes from the injected `ChallengeSource`.
public struct DESFireEngine {
    /// Behaviour switches where public evidence about real cards disagrees.
    public struct Options: Sendable, Equatable {
        /// Whether an authentication command drops uncommitted backup/value/record changes.
        ///
        /// On by default, which is the stricter of the two behaviours: a reader that works against
        /// it works against either. libfreefare's test suite, run against real cards, commits
        /// records written before a later authentication, so some cards keep them.
        public var authenticationAbortsTransaction: Bool

        /// The defaults.
        public init(authenticationAbortsTransaction: Bool = true) {
            self.authenticationAbortsTransaction = authenticationAbortsTransaction
        }
    }

    /// Largest data field of one native frame in either direction (a 64-byte ISO 14443-4 frame
    /// less its framing leaves 60 bytes for the command or status byte and the data).
    public static let maximumFrameData = 59

    /// The persistent card state.
    public internal(set) var image: CardImage
    /// The behaviour switches.
    public var options: Options
    var challenges: any ChallengeSource
    var state = VolatileState()

    /// An engine for `image`, freshly powered.
    public init(image: CardImage, challenges: any ChallengeSource, options: Options = Options()) {
        self.image = image
        self.challenges = challenges
        self.options = options
    }

    /// RAM contents of the card.
    struct VolatileState {
        var selectedAID: UInt32 = 0
        var session: SecureSession?
        var continuation: Continuation?
        var transaction = PendingTransaction()
    }

    /// What the next 0xAF frame continues.
    enum Continuation {
        case authentication(PendingAuthentication)
        case sending([[UInt8]])
        case receiving(command: UInt8, data: [UInt8], expected: Int)
    }

    /// The card's side of an authentication between its two frames.
    struct PendingAuthentication {
        let scheme: SecureSession.Scheme
        let keyNumber: UInt8
        let key: StoredKey
        let rndB: [UInt8]
        /// The IV for the reader's answer (EV1: the last block of E(RndB)).
        let iv: [UInt8]
    }

    /// What a command handler decided.
    enum Outcome {
        /// Success with response data, secured with the session in `protection` (nil: sent as is),
        /// split into frames: `leadingFrames` gives the sizes of the first frames, the rest go in
        /// frames of at most `frameSize` bytes.
        case reply([UInt8], protection: CommunicationMode?, frameSize: Int, leadingFrames: [Int])
        /// The command failed with a status.
        case failure(DESFireStatus)
        /// An authentication's first answer (status 0xAF, never secured).
        case challenge([UInt8])
        /// An authentication's last answer (status 0x00, never secured).
        case authenticated([UInt8])
        /// The command's data continues in 0xAF frames up to `expected` bytes in all; `received`
        /// is what the first frame brought.
        case needMoreData(received: [UInt8], expected: Int)

        static let ok = Outcome.reply([], protection: .plain, frameSize: maximumFrameData, leadingFrames: [])
        static let okUnsecured = Outcome.reply([], protection: nil, frameSize: maximumFrameData, leadingFrames: [])
        static func data(_ bytes: [UInt8], _ mode: CommunicationMode = .plain, frameSize: Int = maximumFrameData) -> Outcome {
            .reply(bytes, protection: mode, frameSize: frameSize, leadingFrames: [])
        }
    }

    /// Commands whose parameters travel in plain, so an EV1 session runs the whole command
    /// through its CMAC before the command executes. The others secure their input themselves.
    private static let plainInputCommands: Set<UInt8> = [
        0x60, 0x6E, 0xFC, 0xCA, 0xDA, 0x6A, 0x45, 0x64, 0x51, 0x6F, 0xF5, 0xCD, 0xCB, 0xCC, 0xC1, 0xC0,
        0xDF, 0xBD, 0x6C, 0xBB, 0xEB, 0xC7, 0xA7,
    ]

    // MARK: - Power

    /// Forgets everything a real card keeps in RAM: session, selection, chained frames and the
    /// uncommitted transaction (which therefore rolls back).
    public mutating func dropVolatileState() {
        state = VolatileState()
    }

    /// Whether the selected application has uncommitted changes.
    public var hasPendingTransaction: Bool { !state.transaction.isEmpty }

    /// Whether a session is open.
    public var isAuthenticated: Bool { state.session != nil }

    // MARK: - Native commands

    /// Runs one native DESFire frame: `command` is the command code (0xAF continues a chained
    /// exchange), `data` the rest of the frame. Returns the response data and the status byte.
    public mutating func process(command: UInt8, data: [UInt8]) -> (data: [UInt8], status: DESFireStatus) {
        if data.count > Self.maximumFrameData { return fail(.lengthError) }
        if command == 0xAF { return continueChain(data) }
        if let continuation = state.continuation {
            state.continuation = nil
            switch continuation {
            case .authentication:
                break
            case .sending, .receiving:
                return fail(.commandAborted)
            }
        }
        return run(command: command, data: data)
    }

    private mutating func run(command: UInt8, data: [UInt8]) -> (data: [UInt8], status: DESFireStatus) {
        if Self.plainInputCommands.contains(command), state.session != nil {
            state.session!.absorbPlainCommand([command] + data)
        }
        return finish(dispatch(command: command, data: data), command: command)
    }

    private mutating func dispatch(command: UInt8, data: [UInt8]) -> Outcome {
        switch command {
        case 0x0A, 0x1A, 0xAA: return authenticate(command: command, data: data)
        case 0x60: return getVersion(data)
        case 0x6E: return freeMemory(data)
        case 0xFC: return formatPICC(data)
        case 0x5A: return selectApplication(data)
        case 0xCA: return createApplication(data)
        case 0xDA: return deleteApplication(data)
        case 0x6A: return getApplicationIDs(data)
        case 0x51: return getCardUID(data)
        case 0x45: return getKeySettings(data)
        case 0x54: return changeKeySettings(data)
        case 0x64: return getKeyVersion(data)
        case 0xC4: return changeKey(data)
        case 0x6F: return getFileIDs(data)
        case 0xF5: return getFileSettings(data)
        case 0x5F: return changeFileSettings(data)
        case 0xCD, 0xCB: return createDataFile(data, backup: command == 0xCB)
        case 0xCC: return createValueFile(data)
        case 0xC1, 0xC0: return createRecordFile(data, cyclic: command == 0xC0)
        case 0xDF: return deleteFile(data)
        case 0xBD: return readData(data)
        case 0x3D: return writeData(data)
        case 0x6C: return getValue(data)
        case 0x0C: return changeValue(data, command: command, operation: .credit)
        case 0xDC: return changeValue(data, command: command, operation: .debit)
        case 0x1C: return changeValue(data, command: command, operation: .limitedCredit)
        case 0x3B: return writeRecord(data)
        case 0xBB: return readRecords(data)
        case 0xEB: return clearRecordFile(data)
        case 0xC7: return commitTransaction(data)
        case 0xA7: return abortTransaction(data)
        default: return .failure(.illegalCommand)
        }
    }

    private mutating func continueChain(_ data: [UInt8]) -> (data: [UInt8], status: DESFireStatus) {
        guard let continuation = state.continuation else { return fail(.illegalCommand) }
        state.continuation = nil
        switch continuation {
        case .authentication(let pending):
            return finish(completeAuthentication(pending, data), command: 0xAF)
        case .sending(let frames):
            guard data.isEmpty else { return fail(.lengthError) }
            if frames.count > 1 {
                state.continuation = .sending(Array(frames.dropFirst()))
                return (frames[0], .additionalFrame)
            }
            return (frames[0], .operationOK)
        case .receiving(let command, let received, let expected):
            let all = received + data
            if all.count < expected {
                state.continuation = .receiving(command: command, data: all, expected: expected)
                return ([], .additionalFrame)
            }
            return finish(dispatch(command: command, data: all), command: command)
        }
    }

    /// Turns a handler's outcome into frames, applying the side effects of success and failure.
    private mutating func finish(_ outcome: Outcome, command: UInt8) -> (data: [UInt8], status: DESFireStatus) {
        switch outcome {
        case .failure(let status):
            return fail(status)
        case .challenge(let bytes):
            return (bytes, .additionalFrame)
        case .authenticated(let bytes):
            return (bytes, .operationOK)
        case .needMoreData(let received, let expected):
            // An EV1 session has not absorbed the command yet: the handler secures the complete
            // command once every frame is in.
            state.continuation = .receiving(command: command, data: received, expected: expected)
            return ([], .additionalFrame)
        case .reply(let bytes, let protection, let frameSize, let leadingFrames):
            var body = bytes
            if let protection, var session = state.session {
                body = session.sealResponse(bytes, mode: protection)
                state.session = session
            }
            var frames: [[UInt8]] = []
            var rest = body[...]
            for size in leadingFrames where rest.count > size {
                frames.append(Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            while rest.count > frameSize {
                frames.append(Array(rest.prefix(frameSize)))
                rest = rest.dropFirst(frameSize)
            }
            frames.append(Array(rest))
            if frames.count > 1 {
                state.continuation = .sending(Array(frames.dropFirst()))
                return (frames[0], .additionalFrame)
            }
            return (frames[0], .operationOK)
        }
    }

    /// A failed command: a real card drops the uncommitted transaction; an EV1 session ends on
    /// any error (its IV can no longer be trusted to match the reader's), a legacy session on
    /// authentication and integrity errors.
    private mutating func fail(_ status: DESFireStatus) -> (data: [UInt8], status: DESFireStatus) {
        state.continuation = nil
        state.transaction = PendingTransaction()
        if let session = state.session {
            if session.scheme == .ev1 || status == .authenticationError || status == .integrityError {
                state.session = nil
            }
        }
        return ([], status)
    }

    // MARK: - Shared checks

    /// The selected application's index, or nil at PICC level.
    var selectedApplicationIndex: Int? {
        state.selectedAID == 0 ? nil : image.applicationIndex(state.selectedAID)
    }

    /// The key settings byte of the selected level.
    var currentKeySettings: UInt8 {
        selectedApplicationIndex.map { image.applications[$0].keySettings } ?? image.piccKeySettings
    }

    /// The keys of the selected level.
    var currentKeys: [StoredKey] {
        selectedApplicationIndex.map { image.applications[$0].keys } ?? [image.piccMasterKey]
    }

    /// Whether the session belongs to key `number` of the selected level (sessions never survive
    /// a change of level, so the number identifies the key).
    func isAuthenticated(asKey number: UInt8) -> Bool { state.session?.keyNumber == number }

    /// Whether the master key of the selected level is authenticated.
    var isMasterAuthenticated: Bool { isAuthenticated(asKey: 0) }
}

// MARK: - Little-endian helpers

extension Array where Element == UInt8 {
    /// Reads an unsigned little-endian integer of `count` bytes at `offset`.
    func littleEndian(at offset: Int, count: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in (0..<count).reversed() { value = value << 8 | UInt32(self[offset + index]) }
        return value
    }
}

/// `value`'s `count` low bytes, least significant first.
func littleEndianBytes<T: BinaryInteger>(_ value: T, count: Int) -> [UInt8] {
    let raw = UInt64(truncatingIfNeeded: value)
    return (0..<count).map { UInt8(truncatingIfNeeded: raw >> (8 * UInt64($0))) }
}

/// `bytes` rotated left by one byte (RndA' and RndB' of the authentication).
func rotatedLeft(_ bytes: [UInt8]) -> [UInt8] {
    guard let first = bytes.first else { return bytes }
    return Array(bytes.dropFirst()) + [first]
}

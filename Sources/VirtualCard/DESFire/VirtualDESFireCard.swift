/// Where a virtual card keeps its EEPROM between runs.
public protocol CardImageStore {
    /// Saves `image` durably; called after every change a real card would keep.
    func save(_ image: CardImage) throws
}

/// A MIFARE DESFire EV1 card as a PC/SC contactless reader shows it: ATR `3B 81 80 01 80 80`,
/// PC/SC GET DATA for the UID, and native DESFire commands wrapped in ISO 7816-4 APDUs
/// (CLA 0x90, INS = command code, answered with data + `91 xx`).
///
/// Every command that changes what a real card keeps in EEPROM is followed by a save through the
/// `CardImageStore`; uncommitted transactions never reach it. If saving fails the command is
/// undone and answered `91 EE` (EEPROM error), as a card whose write was torn.
public final class VirtualDESFireCard: EmulatedCard {
    /// The ATR of a DESFire behind a PC/SC contactless reader.
    public static let desfireATR: [UInt8] = [0x3B, 0x81, 0x80, 0x01, 0x80, 0x80]

    private var engine: DESFireEngine
    private let store: (any CardImageStore)?

    /// The last error the store raised, if any command could not be saved.
    public private(set) var lastSaveError: (any Error)?

    /// A card with `image`, saving through `store` (nil: nothing is saved).
    public init(
        image: CardImage,
        store: (any CardImageStore)? = nil,
        challenges: any ChallengeSource = GeneratorChallengeSource(),
        options: DESFireEngine.Options = .init()
    ) {
        self.engine = DESFireEngine(image: image, challenges: challenges, options: options)
        self.store = store
    }

    /// A card loaded from `imageFile`, saving back to it after every kept change.
    public convenience init(
        imageFile: CardImageFile,
        challenges: any ChallengeSource = GeneratorChallengeSource(),
        options: DESFireEngine.Options = .init()
    ) throws {
        self.init(image: try imageFile.load(), store: imageFile, challenges: challenges, options: options)
    }

    /// The card's persistent state now.
    public var image: CardImage { engine.image }

    /// Whether the selected application has uncommitted changes.
    public var hasPendingTransaction: Bool { engine.hasPendingTransaction }

    /// Whether a session is open.
    public var isAuthenticated: Bool { engine.isAuthenticated }

    public var atr: [UInt8] { Self.desfireATR }

    public func powerOn() { engine.dropVolatileState() }
    public func powerOff() { engine.dropVolatileState() }
    public func reset() { engine.dropVolatileState() }
    public func leaveField() { engine.dropVolatileState() }

    public func respond(to command: [UInt8]) -> [UInt8] {
        guard command.count >= 4 else { return [0x67, 0x00] }
        switch command[0] {
        case 0xFF: return readerPseudoCommand(command)
        case 0x90: break
        default: return [0x6E, 0x00]
        }
        guard command[2] == 0, command[3] == 0 else { return [0x6B, 0x00] }
        guard let data = Self.commandData(command) else { return [0x67, 0x00] }
        let before = engine.image
        let (response, status) = engine.process(command: command[1], data: data)
        if engine.image != before, let store {
            do {
                try store.save(engine.image)
            } catch {
                lastSaveError = error
                engine.image = before
                engine.dropVolatileState()
                return [0x91, DESFireStatus.eepromError.code]
            }
        }
        return response + [0x91, status.code]
    }

    /// The data field of a short APDU (cases 1–4), or nil when Lc does not match the length.
    static func commandData(_ command: [UInt8]) -> [UInt8]? {
        let body = command.dropFirst(4)
        if body.count <= 1 { return [] }
        let declared = Int(body[body.startIndex])
        guard declared > 0 else { return nil }
        let data = body.dropFirst()
        if data.count == declared || data.count == declared + 1 { return Array(data.prefix(declared)) }
        return nil
    }

    /// PC/SC part 3 pseudo-APDUs the reader itself answers: GET DATA (FF CA) for the UID
    /// (P1 = 00) or the historical bytes (P1 = 01).
    private func readerPseudoCommand(_ command: [UInt8]) -> [UInt8] {
        guard command[1] == 0xCA else { return [0x6D, 0x00] }
        guard command.count <= 5 else { return [0x67, 0x00] }
        let payload: [UInt8]
        switch (command[2], command[3]) {
        case (0x00, 0x00): payload = engine.image.uid
        case (0x01, 0x00): payload = [0x80]
        default: return [0x6A, 0x81]
        }
        let expected = command.count == 5 ? Int(command[4]) : 0
        if expected != 0, expected < payload.count { return [0x6C, UInt8(payload.count)] }
        return payload + [0x90, 0x00]
    }
}

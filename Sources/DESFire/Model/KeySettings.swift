/// Which key may change an application's keys (the high nibble of the key settings).
public enum ChangeKeyAccess: Hashable, Sendable {
    /// Only after authenticating with the application master key (key 0). Nibble 0x0.
    case masterKey
    /// Only after authenticating with this key (1 to 13). Nibbles 0x1...0xD.
    case key(UInt8)
    /// A key may be changed only after authenticating with that same key. Nibble 0xE.
    case sameKey
    /// No key can be changed any more (except the master key, if the settings allow). Nibble 0xF.
    case frozen

    /// Decodes the nibble; every value has a meaning.
    public init(nibble: UInt8) {
        switch nibble & 0x0F {
        case 0x0: self = .masterKey
        case 0xE: self = .sameKey
        case 0xF: self = .frozen
        case let key: self = .key(key)
        }
    }

    /// The nibble; throws for `.key` outside 1...13.
    public func nibble() throws(DESFireError) -> UInt8 {
        switch self {
        case .masterKey: return 0x0
        case .sameKey: return 0xE
        case .frozen: return 0xF
        case .key(let number):
            guard (1...13).contains(number) else {
                throw DESFireError(.invalidArgument, "change-key access names key 1...13 (0 is .masterKey), not \(number)")
            }
            return number
        }
    }
}

/// The key settings byte of the PICC or of an application.
///
/// Bits 0–3 are flags; bits 4–7 say which key may change the other keys (applications only;
/// zero at the PICC level).
public struct KeySettings: Hashable, Sendable, CustomStringConvertible {
    /// Which key authorizes ChangeKey for the other keys.
    public var changeKeyAccess: ChangeKeyAccess
    /// Bit 3: the settings themselves may still be changed (with the master key).
    public var settingsChangeable: Bool
    /// Bit 2: create/delete (applications at PICC level, files in an application) needs no
    /// master-key authentication.
    public var freeCreateDelete: Bool
    /// Bit 1: GetApplicationIDs / GetFileIDs / GetFileSettings / GetKeySettings need no
    /// master-key authentication.
    public var freeDirectoryListing: Bool
    /// Bit 0: the master key may still be changed.
    public var masterKeyChangeable: Bool

    /// Key settings from their parts.
    public init(
        changeKeyAccess: ChangeKeyAccess = .masterKey,
        settingsChangeable: Bool,
        freeCreateDelete: Bool,
        freeDirectoryListing: Bool,
        masterKeyChangeable: Bool
    ) {
        self.changeKeyAccess = changeKeyAccess
        self.settingsChangeable = settingsChangeable
        self.freeCreateDelete = freeCreateDelete
        self.freeDirectoryListing = freeDirectoryListing
        self.masterKeyChangeable = masterKeyChangeable
    }

    /// Decodes the byte; every value is valid.
    public init(byte: UInt8) {
        changeKeyAccess = ChangeKeyAccess(nibble: byte >> 4)
        settingsChangeable = byte & 0x08 != 0
        freeCreateDelete = byte & 0x04 != 0
        freeDirectoryListing = byte & 0x02 != 0
        masterKeyChangeable = byte & 0x01 != 0
    }

    /// The byte the card expects; throws for an invalid change-key key number.
    public func byte() throws(DESFireError) -> UInt8 {
        var value = try changeKeyAccess.nibble() << 4
        if settingsChangeable { value |= 0x08 }
        if freeCreateDelete { value |= 0x04 }
        if freeDirectoryListing { value |= 0x02 }
        if masterKeyChangeable { value |= 0x01 }
        return value
    }

    /// A blank card's and a new application's default: 0x0F, everything allowed, master key
    /// changes keys.
    public static let factoryDefault = KeySettings(byte: 0x0F)

    public var description: String {
        "change keys: \(changeKeyAccess), settings changeable: \(settingsChangeable), free create/delete: \(freeCreateDelete), free listing: \(freeDirectoryListing), master key changeable: \(masterKeyChangeable)"
    }
}

/// What GetKeySettings reports: the settings, how many keys the application has, and their family.
public struct KeyConfiguration: Hashable, Sendable {
    /// The key settings.
    public var settings: KeySettings
    /// The number of keys (1 to 14; 1 at the PICC level).
    public var keyCount: Int
    /// The key family.
    public var family: KeyFamily

    /// A key configuration from its parts.
    public init(settings: KeySettings, keyCount: Int, family: KeyFamily) {
        self.settings = settings
        self.keyCount = keyCount
        self.family = family
    }

    /// Decodes the 2 bytes of GetKeySettings.
    public init(bytes: [UInt8]) throws(DESFireError) {
        guard bytes.count == 2 else {
            throw DESFireError(.malformedResponse, "GetKeySettings answers 2 bytes, not \(bytes.count)")
        }
        settings = KeySettings(byte: bytes[0])
        keyCount = Int(bytes[1] & 0x0F)
        guard let family = KeyFamily(rawValue: bytes[1] & 0xC0) else {
            throw DESFireError(.malformedResponse, "key family bits 0xC0 are not defined")
        }
        guard bytes[1] & 0x30 == 0, (1...14).contains(keyCount) else {
            throw DESFireError(.malformedResponse, "key count byte 0x\(String(bytes[1], radix: 16)) is not valid")
        }
        self.family = family
    }

    /// The 2 bytes as the card sends them (and as CreateApplication takes them).
    public func bytes() throws(DESFireError) -> [UInt8] {
        try require(keyCount, in: 1...14, "the number of keys")
        return [try settings.byte(), family.rawValue | UInt8(keyCount)]
    }
}

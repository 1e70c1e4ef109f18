import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The desk's keys for the personal data it keeps: every key the registry has used, the newest
/// current.
///
/// Why a key of its own: a copy of the registry's database (a backup, a stolen disk, a
/// PostgreSQL dump) must not reveal who holds which document. Each document number is sealed
/// with AES-256-GCM under a subkey of the desk key and stored with that key's id, so the key can
/// be rotated (`hromada-desk registry rotate-key` re-seals every number) and an old backup still
/// names the key it needs. Finding a person by document uses an HMAC-SHA-256 of the normalized
/// number under another subkey, never the number: the index is useless without the key, and
/// equal numbers still meet. The subkeys are derived with HKDF so that the encryption key is
/// never used for the index.
public struct RegistryKeyring: Sendable {
    /// One 256-bit desk key and its id.
    public struct Key: Sendable {
        /// 8 hex digits derived from the key: names it in the database without revealing it.
        public let id: String
        let encryption: SymmetricKey
        let index: SymmetricKey
        let checkValue: [UInt8]

        /// Derives the subkeys of `key` (32 bytes).
        public init(_ key: SymmetricKey) {
            let material = key.withUnsafeBytes { Array($0) }
            id = SHA256.hash(data: Array("hromada-desk registry key id".utf8) + material).prefix(4).map { String(format: "%02x", $0) }.joined()
            encryption = HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Array("hromada-desk document encryption v1".utf8), outputByteCount: 32)
            index = HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Array("hromada-desk document index v1".utf8), outputByteCount: 32)
            let check = HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Array("hromada-desk key check v1".utf8), outputByteCount: 32)
            checkValue = Array(HMAC<SHA256>.authenticationCode(for: Array("check".utf8), using: check))
        }
    }

    /// Every key, oldest first; the last is current.
    public let keys: [Key]

    /// A keyring of `keys` (oldest first, at least one).
    public init(keys: [Key]) {
        precondition(!keys.isEmpty, "a keyring holds at least one key")
        self.keys = keys
    }

    /// The key new records are sealed with.
    public var current: Key { keys[keys.count - 1] }

    /// The key with `id`, if held.
    public func key(id: String) -> Key? { keys.first { $0.id == id } }

    /// The additional data every sealed number is bound to: its document type, so a number
    /// cannot be moved to another type unnoticed.
    static func associatedData(_ type: DocumentType) -> [UInt8] { Array("hromada-desk document \(type.rawValue)".utf8) }

    /// Seals a document number with the current key; returns the sealed box and the key's id.
    func seal(_ document: IdentityDocument) throws -> (sealed: [UInt8], keyID: String) {
        let box = try AES.GCM.seal(Array(document.number.utf8), using: current.encryption, authenticating: Self.associatedData(document.type))
        guard let combined = box.combined else {
            throw RegistryError(.unexpected, ukrainian: "шифрування не вдалося", english: "sealing failed")
        }
        return (Array(combined), current.id)
    }

    /// Opens a sealed number.
    func open(_ sealed: [UInt8], keyID: String, type: DocumentType) throws -> IdentityDocument {
        guard let key = key(id: keyID) else {
            throw RegistryError(
                .wrongKey, ukrainian: "номер документа зашифровано ключем \(keyID), якого немає у файлі ключів",
                english: "the document number is sealed with key \(keyID), which the key file does not hold")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let clear = try AES.GCM.open(box, using: key.encryption, authenticating: Self.associatedData(type))
            return try IdentityDocument(type: type, number: String(decoding: clear, as: UTF8.self))
        } catch {
            throw RegistryError(
                .wrongKey, ukrainian: "ключ \(keyID) не відкриває номер документа: файл ключів не цього реєстру або пошкоджений",
                english: "key \(keyID) does not open the document number: the key file is not this registry's, or is damaged")
        }
    }

    /// The search index of `document` under every key held (a row carries the index of the key
    /// that sealed it).
    func indexes(_ document: IdentityDocument) -> [[UInt8]] {
        keys.map { index(document, with: $0) }
    }

    /// The search index of `document` under `key`.
    func index(_ document: IdentityDocument, with key: Key) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: document.indexInput, using: key.index))
    }
}

/// The desk key file: one line a key, `<id> <base64 of 32 bytes>`, oldest first; `#` lines are
/// comments. Made by `hromada-desk registry init` with mode 0600 and refused if others can read
/// it.
public enum RegistryKeyFile {
    /// Creates a key file at `path` with one new random key (fails if the file exists).
    public static func create(at path: String, using random: inout some RandomNumberGenerator) throws -> RegistryKeyring {
        let key = newKey(using: &random)
        try write(RegistryKeyring(keys: [key.key]), material: [key.material], to: path, exclusive: true)
        return RegistryKeyring(keys: [key.key])
    }

    /// Appends a new random key to the file at `path`; it becomes the current key.
    public static func appendKey(at path: String, using random: inout some RandomNumberGenerator) throws -> RegistryKeyring {
        var (keys, material) = try read(path)
        let key = newKey(using: &random)
        keys.append(key.key)
        material.append(key.material)
        try write(RegistryKeyring(keys: keys), material: material, to: path, exclusive: false)
        return RegistryKeyring(keys: keys)
    }

    /// Loads the keyring in the file at `path`.
    public static func load(_ path: String) throws -> RegistryKeyring {
        RegistryKeyring(keys: try read(path).keys)
    }

    private static func newKey(using random: inout some RandomNumberGenerator) -> (key: RegistryKeyring.Key, material: [UInt8]) {
        let material = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        return (RegistryKeyring.Key(SymmetricKey(data: material)), material)
    }

    private static func read(_ path: String) throws -> (keys: [RegistryKeyring.Key], material: [[UInt8]]) {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw RegistryError(
                .keyUnreadable, ukrainian: "файл ключа реєстру \(path) не знайдено (створіть його: hromada-desk registry init)",
                english: "the registry key file \(path) is missing (make it with hromada-desk registry init)")
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw RegistryError(
                .keyUnreadable, ukrainian: "файл ключа \(path) можуть читати інші користувачі; виконайте chmod 600 \(path)",
                english: "the key file \(path) is readable by others; run chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw RegistryError(.keyUnreadable, ukrainian: "файл ключа \(path) не читається", english: "the key file \(path) cannot be read")
        }
        var keys: [RegistryKeyring.Key] = []
        var material: [[UInt8]] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(separator: " ")
            guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[1])), bytes.count == 32 else {
                throw RegistryError(
                    .keyUnreadable, ukrainian: "файл ключа \(path), рядок \(number + 1): очікується «ідентифікатор ключ-base64»",
                    english: "key file \(path), line \(number + 1): expected \"<id> <base64 key>\"")
            }
            let key = RegistryKeyring.Key(SymmetricKey(data: bytes))
            guard key.id == parts[0] else {
                throw RegistryError(
                    .keyUnreadable, ukrainian: "файл ключа \(path), рядок \(number + 1): ідентифікатор не відповідає ключу",
                    english: "key file \(path), line \(number + 1): the id does not match the key")
            }
            keys.append(key)
            material.append(Array(bytes))
        }
        guard !keys.isEmpty else {
            throw RegistryError(.keyUnreadable, ukrainian: "у файлі ключа \(path) немає ключів", english: "the key file \(path) holds no key")
        }
        return (keys, material)
    }

    private static func write(_ keyring: RegistryKeyring, material: [[UInt8]], to path: String, exclusive: Bool) throws {
        var text = "# hromada-desk registry key: keep it secret and back it up apart from the database.\n"
        text += "# Without it no document number in the registry can be read.\n"
        for (key, bytes) in zip(keyring.keys, material) { text += "\(key.id) \(Data(bytes).base64EncodedString())\n" }
        let target = exclusive ? path : path + ".new"
        if !exclusive { unlink(target) }
        // O_EXCL with mode 0600: the key is never readable by others, not even for a moment,
        // and `init` never overwrites an existing key (that would orphan every sealed number).
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST {
                throw RegistryError(.alreadyDone, ukrainian: "файл ключа \(path) вже існує", english: "the key file \(path) exists already")
            }
            throw RegistryError(.keyUnreadable, ukrainian: "не вдається створити файл ключа \(path)", english: "cannot create the key file \(path)")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        Glibc.close(descriptor)
        guard written == bytes.count, synced == 0 else {
            throw RegistryError(.keyUnreadable, ukrainian: "не вдається записати файл ключа \(path)", english: "cannot write the key file \(path)")
        }
        if !exclusive, rename(target, path) != 0 {
            throw RegistryError(.keyUnreadable, ukrainian: "не вдається замінити файл ключа \(path)", english: "cannot replace the key file \(path)")
        }
    }
}

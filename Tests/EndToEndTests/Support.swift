import Crypto
import DESFire
import Foundation
import PCSC
import SmartCard
import TestBedSupport
import Testing
import VirtualCard

/// The keys and files of the test application that the end-to-end tests personalize.
///
/// Key 0 is the application master, key 1 may only read, key 2 may read, write and debit/credit;
/// keys 1–3 are diversified per card (AN10922) from role master keys, as the desk will do.
enum TestApplication {
    static let aid: ApplicationID = 0x4E_4843  // "CHN" on the wire, little-endian
    static let piccKey = try! DESFireKey.aes128(SymmetricKey(data: [UInt8](repeating: 0xA1, count: 16)), version: 1)
    static let masterKey = try! DESFireKey.aes128(SymmetricKey(data: [UInt8](repeating: 0xB2, count: 16)), version: 1)
    static let readRoot = try! DESFireKey.aes128(SymmetricKey(data: [UInt8](repeating: 0xC3, count: 16)))
    static let writeRoot = try! DESFireKey.aes128(SymmetricKey(data: [UInt8](repeating: 0xD4, count: 16)))
    static let systemIdentifier = Array("HromadaTest".utf8)
    static let readKeyNumber: UInt8 = 1
    static let writeKeyNumber: UInt8 = 2

    static func readKey(uid: [UInt8]) throws -> DESFireKey {
        try KeyDiversification.an10922AES128(
            masterKey: readRoot, uid: uid, application: aid, systemIdentifier: systemIdentifier, version: 1)
    }

    static func writeKey(uid: [UInt8]) throws -> DESFireKey {
        try KeyDiversification.an10922AES128(
            masterKey: writeRoot, uid: uid, application: aid, systemIdentifier: systemIdentifier, version: 1)
    }

    static let access = AccessRights(read: .key(readKeyNumber), write: .key(writeKeyNumber), readWrite: .key(writeKeyNumber), change: .key(0))
    static let modes: [DESFire.CommunicationMode] = [.plain, .maced, .enciphered]
    static let recordSize = 16
    static let maxRecords = 5

    /// One file of each type per communication mode: standard, backup, value, cyclic record.
    static func standardFile(_ mode: DESFire.CommunicationMode) -> FileNumber { FileNumber(integerLiteral: 1 + index(mode) * 4) }
    static func backupFile(_ mode: DESFire.CommunicationMode) -> FileNumber { FileNumber(integerLiteral: 2 + index(mode) * 4) }
    static func valueFile(_ mode: DESFire.CommunicationMode) -> FileNumber { FileNumber(integerLiteral: 3 + index(mode) * 4) }
    static func recordFile(_ mode: DESFire.CommunicationMode) -> FileNumber { FileNumber(integerLiteral: 4 + index(mode) * 4) }
    private static func index(_ mode: DESFire.CommunicationMode) -> UInt8 { UInt8(modes.firstIndex(of: mode)!) }

    /// Turns a factory-fresh card into one carrying the test application, the way the desk does
    /// it: legacy DES authentication with the factory key, PICC key to AES, application with AES
    /// keys, diversified role keys, then twelve files.
    static func personalize<Channel: CardChannel>(_ card: inout DESFireCard<Channel>, uid: [UInt8]) async throws {
        var random = SystemRandomNumberGenerator()
        try await card.authenticateLegacy(keyNumber: 0, key: .factoryDefault, using: &random)
        try await card.changeKey(0, to: piccKey)
        try await card.authenticateAES(keyNumber: 0, key: piccKey, using: &random)
        let settings = KeySettings(
            changeKeyAccess: .masterKey, settingsChangeable: true, freeCreateDelete: false,
            freeDirectoryListing: false, masterKeyChangeable: true)
        try await card.createApplication(aid, settings: settings, keyCount: 4, family: .aes)
        try await card.selectApplication(aid)
        try await card.authenticateAES(keyNumber: 0, key: .zero(.aes128), using: &random)
        try await card.changeKey(1, to: try readKey(uid: uid), currentKey: .zero(.aes128))
        try await card.changeKey(2, to: try writeKey(uid: uid), currentKey: .zero(.aes128))
        try await card.changeKey(0, to: masterKey)
        try await card.authenticateAES(keyNumber: 0, key: masterKey, using: &random)
        for mode in modes {
            try await card.createStandardDataFile(standardFile(mode), mode: mode, access: access, size: 32)
            try await card.createBackupDataFile(backupFile(mode), mode: mode, access: access, size: 32)
            try await card.createValueFile(
                valueFile(mode), mode: mode, access: access,
                settings: ValueFileSettings(lowerLimit: 0, upperLimit: 1_000_000, limitedCreditValue: 0, limitedCreditEnabled: true))
            try await card.createCyclicRecordFile(
                recordFile(mode), mode: mode, access: access, recordSize: recordSize, maxRecords: maxRecords)
        }
    }
}

/// A fresh virtual card image in a temporary directory, removed afterwards.
struct TemporaryCard {
    let directory: URL
    let file: CardImageFile
    let uid: [UInt8]

    init(uid: [UInt8]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        file = CardImageFile(path: directory.appendingPathComponent("card.json").path)
        self.uid = uid
        try file.save(CardImage.factoryNew(uid: uid))
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// The card's committed state as the emulator saved it.
    func image() throws -> CardImage { try file.load() }

    /// Copies the saved state aside / back, to replay one scenario from the same starting point.
    func snapshot() throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: file.path))) }
    func restore(_ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: file.path)) }
}

extension TestReader {
    /// Taps the virtual card saved in `card` on this reader and runs `body` with a DESFire
    /// client over the real PC/SC stack (libpcsclite → pcscd → vpcd → emulator).
    func tap<Result>(
        _ card: TemporaryCard,
        tearAfterAPDUs: Int? = nil,
        _ body: (inout DESFireCard<PCSCCardChannel>) async throws -> Result
    ) async throws -> Result {
        let emulator = try VirtualDESFireCard(imageFile: card.file)
        return try await withVirtualCard(emulator, tearAfterAPDUs: tearAfterAPDUs) { _ in
            try await PCSCClient().withCard(reader: name) { channel in
                var client = DESFireCard(channel: channel)
                return try await body(&client)
            }
        }
    }
}

func randomUID() -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return [0x04] + (0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

extension Application {
    func file(_ number: FileNumber) -> DataFile? { files.first { $0.number == number.rawValue } }
}

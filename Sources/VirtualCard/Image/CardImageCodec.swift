import Foundation
import Identifiers

/// The card image file format, version 1.
///
/// One JSON document (UTF-8, pretty-printed, keys sorted) holding what a real card keeps in
/// EEPROM, nothing volatile. Byte strings are uppercase hex. AIDs, ISO identifiers and access
/// rights are written as numbers, most significant byte first (AID `00DE16` travels on the wire
/// as `16 DE 00`; access rights `1234` mean read key 1, write key 2, read&write key 3, change
/// key 4). Keys are stored in clear, as the card's EEPROM holds them: the file is created mode
/// 0600 and must be protected like key material.
///
/// ```
/// {
///   "format": "hromada-vcard-image",          // required, exactly this
///   "formatVersion": 1,                       // required; other versions are refused
///   "uid": "04A1B2C3D4E5F6",                  // 7 bytes
///   "version": {                              // what GetVersion answers
///     "hardware": "04010101001605",           // vendor, type, subtype, major, minor, storage, protocol
///     "software": "04010101041605",
///     "batchNumber": "BA12345678",            // 5 bytes
///     "productionWeek": "01", "productionYear": "25"   // BCD
///   },
///   "memory": { "userBytes": 2048, "usedBytes": 96 },  // FreeMemory = userBytes - usedBytes
///   "picc": {
///     "keySettings": "0F",
///     "masterKey": { "type": "des" | "3k3des" | "aes", "key": "00…00", "aesVersion": 0 }
///   },
///   "applications": [ {                      // creation order (GetApplicationIDs order)
///     "aid": "00DE16", "keySettings": "0F", "keyType": "aes",
///     "keys": [ { "type": "aes", "key": "…16 bytes…", "aesVersion": 0 } ],   // 0–14 keys
///     "isoFileID": "E101", "dfName": "…",     // optional, both or neither
///     "files": [ {                            // creation order (GetFileIDs order)
///       "number": 1, "isoFileID": "E102",    // number 0–31; isoFileID optional
///       "type": "standard" | "backup" | "value" | "linearRecord" | "cyclicRecord",
///       "communication": "plain" | "maced" | "enciphered",
///       "accessRights": "1234",
///       "data": "…",                          // standard and backup: the committed contents
///       "value": { "lowerLimit": 0, "upperLimit": 1000, "value": 0,
///                  "limitedCreditValue": 0, "limitedCreditEnabled": false, "freeGetValue": false },
///       "records": { "recordSize": 16, "maxRecords": 10, "records": ["…", "…"] }  // oldest first
///     } ]
///   } ]
/// }
/// ```
///
/// DES-family key versions live in the keys' parity bits, as on the card; `aesVersion` only
/// matters for AES keys. A DES key is a 16-byte key whose halves are equal. Decoding checks every
/// invariant a real card would hold (lengths, limits, counts, unique numbers), so a corrupt or
/// hand-edited file is a clear `CardImageError`, never a crash or a card that misbehaves later.
public enum CardImageCodec {
    /// The value of the `format` member.
    public static let formatName = "hromada-vcard-image"
    /// The format version this code writes and reads.
    public static let formatVersion = 1

    /// `image` as the JSON document.
    public static func encode(_ image: CardImage) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Every member is a string, number, bool, array or object: encoding cannot fail.
        let data = try! encoder.encode(ImageDocument(image))
        return Array(data) + [0x0A]
    }

    /// The image in `bytes`, checked.
    public static func decode(_ bytes: [UInt8]) throws -> CardImage {
        struct Header: Decodable {
            var format: String?
            var formatVersion: Int?
        }
        let decoder = JSONDecoder()
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: Data(bytes))
        } catch {
            throw CardImageError(.malformed, "not a JSON object: \(error)")
        }
        guard header.format == formatName else {
            throw CardImageError(.malformed, "format is \(header.format.map { "\"\($0)\"" } ?? "missing"), expected \"\(formatName)\"")
        }
        guard header.formatVersion == formatVersion else {
            throw CardImageError(.unsupportedVersion, "format version \(header.formatVersion.map(String.init) ?? "missing"); this program reads version \(formatVersion)")
        }
        let document: ImageDocument
        do {
            document = try decoder.decode(ImageDocument.self, from: Data(bytes))
        } catch {
            throw CardImageError(.malformed, "\(error)")
        }
        return try document.cardImage()
    }
}

// MARK: - The document

private struct ImageDocument: Codable {
    var format: String
    var formatVersion: Int
    var uid: String
    var version: VersionDocument
    var memory: MemoryDocument
    var picc: PICCDocument
    var applications: [ApplicationDocument]

    struct VersionDocument: Codable {
        var hardware: String
        var software: String
        var batchNumber: String
        var productionWeek: String
        var productionYear: String
    }

    struct MemoryDocument: Codable {
        var userBytes: Int
        var usedBytes: Int
    }

    struct KeyDocument: Codable {
        var type: String
        var key: String
        var aesVersion: Int?
    }

    struct PICCDocument: Codable {
        var keySettings: String
        var masterKey: KeyDocument
    }

    struct ApplicationDocument: Codable {
        var aid: String
        var keySettings: String
        var keyType: String
        var keys: [KeyDocument]
        var isoFileID: String?
        var dfName: String?
        var files: [FileDocument]
    }

    struct ValueDocument: Codable {
        var lowerLimit: Int32
        var upperLimit: Int32
        var value: Int32
        var limitedCreditValue: Int32
        var limitedCreditEnabled: Bool
        var freeGetValue: Bool
    }

    struct RecordsDocument: Codable {
        var recordSize: Int
        var maxRecords: Int
        var records: [String]
    }

    struct FileDocument: Codable {
        var number: Int
        var isoFileID: String?
        var type: String
        var communication: String
        var accessRights: String
        var data: String?
        var value: ValueDocument?
        var records: RecordsDocument?
    }

    init(_ image: CardImage) {
        format = CardImageCodec.formatName
        formatVersion = CardImageCodec.formatVersion
        uid = hex(image.uid)
        version = VersionDocument(
            hardware: hex(image.hardwareVersion), software: hex(image.softwareVersion),
            batchNumber: hex(image.batchNumber), productionWeek: hex([image.productionWeek]),
            productionYear: hex([image.productionYear])
        )
        memory = MemoryDocument(userBytes: image.userMemory, usedBytes: image.usedMemory)
        picc = PICCDocument(keySettings: hex([image.piccKeySettings]), masterKey: KeyDocument(image.piccMasterKey))
        applications = image.applications.map { application in
            ApplicationDocument(
                aid: hex(bigEndian: application.aid, count: 3),
                keySettings: hex([application.keySettings]),
                keyType: application.keyType.rawValue,
                keys: application.keys.map(KeyDocument.init),
                isoFileID: application.isoFileID.map { hex(bigEndian: UInt32($0), count: 2) },
                dfName: application.dfName.map(hex),
                files: application.files.map(FileDocument.init)
            )
        }
    }

    func cardImage() throws -> CardImage {
        let uid = try bytes(self.uid, "uid", count: 7)
        let image = CardImage(
            uid: uid,
            hardwareVersion: try bytes(version.hardware, "version.hardware", count: 7),
            softwareVersion: try bytes(version.software, "version.software", count: 7),
            batchNumber: try bytes(version.batchNumber, "version.batchNumber", count: 5),
            productionWeek: try bytes(version.productionWeek, "version.productionWeek", count: 1)[0],
            productionYear: try bytes(version.productionYear, "version.productionYear", count: 1)[0],
            userMemory: memory.userBytes,
            usedMemory: memory.usedBytes,
            piccKeySettings: try bytes(picc.keySettings, "picc.keySettings", count: 1)[0],
            piccMasterKey: try picc.masterKey.storedKey("picc.masterKey", expectedType: nil),
            applications: try applications.enumerated().map { try $1.application("applications[\($0)]") }
        )
        guard image.userMemory > 0, image.userMemory <= 1 << 20 else {
            throw CardImageError(.inconsistent, "memory.userBytes \(image.userMemory) is not 1…1048576")
        }
        guard image.usedMemory >= 0, image.usedMemory <= image.userMemory else {
            throw CardImageError(.inconsistent, "memory.usedBytes \(image.usedMemory) is not 0…\(image.userMemory)")
        }
        guard image.applications.count <= DESFireEngine.maximumApplications else {
            throw CardImageError(.inconsistent, "\(image.applications.count) applications; a card holds at most \(DESFireEngine.maximumApplications)")
        }
        guard Set(image.applications.map(\.aid)).count == image.applications.count else {
            throw CardImageError(.inconsistent, "two applications share an AID")
        }
        return image
    }
}

extension ImageDocument.KeyDocument {
    init(_ key: StoredKey) {
        type = key.type.rawValue
        self.key = hex(key.bytes)
        aesVersion = key.type == .aes ? Int(key.aesVersion) : nil
    }

    func storedKey(_ path: String, expectedType: DESFireKeyType?) throws -> StoredKey {
        guard let keyType = DESFireKeyType(rawValue: type) else {
            throw CardImageError(.inconsistent, "\(path).type \"\(type)\" is not des, 3k3des or aes")
        }
        if let expectedType, keyType != expectedType {
            throw CardImageError(.inconsistent, "\(path).type is \(type) in an application of \(expectedType.rawValue) keys")
        }
        let keyBytes = try bytes(key, "\(path).key", count: keyType.keyLength)
        let version = aesVersion ?? 0
        guard (0...255).contains(version) else { throw CardImageError(.inconsistent, "\(path).aesVersion \(version) is not a byte") }
        return StoredKey(type: keyType, bytes: keyBytes, aesVersion: UInt8(version))
    }
}

extension ImageDocument.ApplicationDocument {
    func application(_ path: String) throws -> Application {
        let aidValue = try bytes(aid, "\(path).aid", count: 3).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard aidValue != 0 else { throw CardImageError(.inconsistent, "\(path).aid 000000 is the PICC itself") }
        guard let type = DESFireKeyType(rawValue: keyType) else {
            throw CardImageError(.inconsistent, "\(path).keyType \"\(keyType)\" is not des, 3k3des or aes")
        }
        guard keys.count <= 14 else { throw CardImageError(.inconsistent, "\(path) has \(keys.count) keys; at most 14") }
        let files = try files.enumerated().map { try $1.dataFile("\(path).files[\($0)]") }
        guard Set(files.map(\.number)).count == files.count else {
            throw CardImageError(.inconsistent, "\(path) has two files with one number")
        }
        let name = try dfName.map { try bytes($0, "\(path).dfName", count: nil) }
        if let name, name.isEmpty || name.count > 16 {
            throw CardImageError(.inconsistent, "\(path).dfName must be 1…16 bytes")
        }
        return Application(
            aid: aidValue,
            keySettings: try bytes(keySettings, "\(path).keySettings", count: 1)[0],
            keyType: type,
            keys: try keys.enumerated().map { try $1.storedKey("\(path).keys[\($0)]", expectedType: type) },
            isoFileID: try isoFileID.map { UInt16(try bytes($0, "\(path).isoFileID", count: 2).reduce(0) { $0 << 8 | UInt32($1) }) },
            dfName: name,
            files: files
        )
    }
}

extension ImageDocument.FileDocument {
    init(_ file: DataFile) {
        number = Int(file.number)
        isoFileID = file.isoFileID.map { hex(bigEndian: UInt32($0), count: 2) }
        communication = switch file.communication {
        case .plain: "plain"
        case .maced: "maced"
        case .enciphered: "enciphered"
        }
        accessRights = hex(bigEndian: UInt32(file.accessRights.raw), count: 2)
        data = nil
        value = nil
        records = nil
        switch file.content {
        case .standard(let bytes):
            type = "standard"
            data = hex(bytes)
        case .backup(let bytes):
            type = "backup"
            data = hex(bytes)
        case .value(let state):
            type = "value"
            value = ImageDocument.ValueDocument(
                lowerLimit: state.lowerLimit, upperLimit: state.upperLimit, value: state.value,
                limitedCreditValue: state.limitedCreditValue, limitedCreditEnabled: state.limitedCreditEnabled,
                freeGetValue: state.freeGetValue
            )
        case .linearRecord(let state), .cyclicRecord(let state):
            if case .linearRecord = file.content { type = "linearRecord" } else { type = "cyclicRecord" }
            records = ImageDocument.RecordsDocument(
                recordSize: state.recordSize, maxRecords: state.maxRecords, records: state.records.map(hex)
            )
        }
    }

    func dataFile(_ path: String) throws -> DataFile {
        guard (0...Int(DESFireEngine.maximumFileNumber)).contains(number) else {
            throw CardImageError(.inconsistent, "\(path).number \(number) is not 0…31")
        }
        let mode: CommunicationMode
        switch communication {
        case "plain": mode = .plain
        case "maced": mode = .maced
        case "enciphered": mode = .enciphered
        default: throw CardImageError(.inconsistent, "\(path).communication \"\(communication)\" is not plain, maced or enciphered")
        }
        let rights = try bytes(accessRights, "\(path).accessRights", count: 2)
        let content: FileContent
        switch type {
        case "standard", "backup":
            guard let data else { throw CardImageError(.inconsistent, "\(path) needs data") }
            let contents = try bytes(data, "\(path).data", count: nil)
            guard !contents.isEmpty, contents.count <= 1 << 20 else {
                throw CardImageError(.inconsistent, "\(path).data must hold 1…1048576 bytes")
            }
            content = type == "standard" ? .standard(contents) : .backup(contents)
        case "value":
            guard let value else { throw CardImageError(.inconsistent, "\(path) needs value") }
            guard value.lowerLimit <= value.upperLimit, (value.lowerLimit...value.upperLimit).contains(value.value),
                  value.limitedCreditValue >= 0
            else { throw CardImageError(.inconsistent, "\(path).value breaks its limits") }
            content = .value(ValueFileState(
                lowerLimit: value.lowerLimit, upperLimit: value.upperLimit, value: value.value,
                limitedCreditValue: value.limitedCreditValue, limitedCreditEnabled: value.limitedCreditEnabled,
                freeGetValue: value.freeGetValue
            ))
        case "linearRecord", "cyclicRecord":
            guard let records else { throw CardImageError(.inconsistent, "\(path) needs records") }
            let cyclic = type == "cyclicRecord"
            guard (1...0xFFFFFF).contains(records.recordSize), (cyclic ? 2 : 1)...0xFFFFFF ~= records.maxRecords,
                  records.records.count <= records.maxRecords - (cyclic ? 1 : 0)
            else { throw CardImageError(.inconsistent, "\(path).records has impossible sizes or too many records") }
            let list = try records.records.enumerated().map { try bytes($1, "\(path).records.records[\($0)]", count: records.recordSize) }
            let state = RecordFileState(recordSize: records.recordSize, maxRecords: records.maxRecords, records: list)
            content = cyclic ? .cyclicRecord(state) : .linearRecord(state)
        default:
            throw CardImageError(.inconsistent, "\(path).type \"\(type)\" is not standard, backup, value, linearRecord or cyclicRecord")
        }
        return DataFile(
            number: UInt8(number),
            isoFileID: try isoFileID.map { UInt16(try bytes($0, "\(path).isoFileID", count: 2).reduce(0) { $0 << 8 | UInt32($1) }) },
            communication: mode,
            accessRights: FileAccessRights(UInt16(rights[0]) << 8 | UInt16(rights[1])),
            content: content
        )
    }
}

// MARK: - Hex

/// Card images write hex upper-case, as card documentation and APDU traces do.
private func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes, case: .upper) }

private func hex(bigEndian value: UInt32, count: Int) -> String {
    hex((0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) })
}

/// Parses hex `text` (of exactly `count` bytes when given) or throws naming `path`.
private func bytes(_ text: String, _ path: String, count: Int?) throws -> [UInt8] {
    guard text.utf8.count % 2 == 0 else { throw CardImageError(.inconsistent, "\(path) has an odd number of hex digits") }
    guard let result = Hex.decode(text) else { throw CardImageError(.inconsistent, "\(path) is not hex") }
    if let count, result.count != count {
        throw CardImageError(.inconsistent, "\(path) must be \(count) bytes, is \(result.count)")
    }
    return result
}

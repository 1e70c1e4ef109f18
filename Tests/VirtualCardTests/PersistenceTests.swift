import Foundation
import PropertyBased
import PropertyTesting
import Testing
@testable import VirtualCard

/// Records every image it is asked to save; optionally fails.
final class RecordingStore: CardImageStore {
    var saved: [CardImage] = []
    var failing = false

    struct Refused: Error {}

    func save(_ image: CardImage) throws {
        if failing { throw Refused() }
        saved.append(image)
    }
}

/// A fresh directory under the system temporary directory, removed by `cleanUp()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "vcard-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }

    var entries: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path).sorted()) ?? [] }
}

@Suite struct PersistenceTests {
    @Test func onlyCommittedChangesAreSaved() {
        let store = RecordingStore()
        let (_, reader) = Fixture.make(store: store)
        let before = store.saved.count
        #expect(before > 0)
        TransactionTests.writePending(reader)
        #expect(store.saved.count == before)                     // nothing pending reaches the store
        reader.aes(1)
        #expect(reader.readData(Fixture.standardPlain, mode: .plain, expect: 64).ok)
        #expect(store.saved.count == before)                     // reads change nothing
        TransactionTests.writePending(reader)
        #expect(reader.commit().ok)
        #expect(store.saved.count == before + 1)
        guard case .backup(let data) = store.saved.last?.applications[0].files[1].content else {
            Issue.record("file 2 is not a backup file")
            return
        }
        #expect(data.prefix(2) == [0xB1, 0xB2])
    }

    @Test func aFailedSaveUndoesTheCommandLikeATornWrite() {
        let store = RecordingStore()
        let (card, reader) = Fixture.make(store: store)
        let before = card.image
        store.failing = true
        reader.aes(2)
        let apdu: [UInt8] = [0x90, 0x3D, 0x00, 0x00, 0x08, Fixture.standardPlain, 0, 0, 0, 1, 0, 0, 0x77, 0x00]
        // The reader's session CMAC no longer matters: the card answers EEPROM error and forgets it.
        #expect(card.respond(to: apdu).suffix(2) == [0x91, 0xEE])
        #expect(card.image == before)
        #expect(card.lastSaveError != nil)
        #expect(!card.isAuthenticated)
    }

    @Test func imageFileRoundTripAndLeaveField() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = CardImageFile(path: directory.path + "/card.json")
        let (card, reader) = Fixture.make(store: file)
        reader.aes(2)
        #expect(reader.writeData(Fixture.standardPlain, [5, 6, 7], mode: .plain).ok)
        TransactionTests.writePending(reader)
        card.leaveField()
        let reloaded = try file.load()
        #expect(reloaded == card.image)
        guard case .standard(let data) = reloaded.applications[0].files[0].content,
              case .backup(let backup) = reloaded.applications[0].files[1].content,
              case .value(let value) = reloaded.applications[0].files[2].content
        else {
            Issue.record("unexpected file types")
            return
        }
        #expect(data.prefix(3) == [5, 6, 7])
        #expect(backup.prefix(2) == [0, 0] && value.value == 100)
        #expect(directory.entries == ["card.json"])              // no temporary file left behind
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        // A second card from the file carries on where the first left off.
        let second = VirtualDESFireCard(image: reloaded, store: file)
        let secondReader = TestReader(card: second)
        _ = secondReader.select(Fixture.aid)
        secondReader.aes(1)
        #expect(secondReader.readData(Fixture.standardPlain, length: 3, mode: .plain, expect: 3).data == [5, 6, 7])
    }

    /// A save never writes into the existing file: a hard link to the old image still holds the
    /// complete old image afterwards, so a crash mid-save cannot leave a half-written card.
    @Test func savesReplaceTheFileAtomically() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = CardImageFile(path: directory.path + "/card.json")
        let (created, wasCreated) = try file.loadOrCreate { .factoryNew(uid: [4, 9, 9, 9, 9, 9, 9]) }
        #expect(wasCreated)
        let (kept, createdAgain) = try file.loadOrCreate { .factoryNew(uid: [4, 1, 1, 1, 1, 1, 1]) }
        #expect(!createdAgain && kept == created)
        let oldCopy = directory.path + "/old.json"
        #expect(link(file.path, oldCopy) == 0)
        var changed = created
        changed.piccKeySettings = 0x0B
        try file.save(changed)
        #expect(try CardImageFile(path: oldCopy).load() == created)
        #expect(try file.load() == changed)
        #expect(directory.entries == ["card.json", "old.json"])
    }

    @Test(arguments: [
        ("", CardImageError.Code.malformed),
        ("{\"format\":\"hromada-vcard-image\",\"formatVersion\":1", .malformed),
        ("[1,2,3]", .malformed),
        ("{\"format\":\"other\",\"formatVersion\":1}", .malformed),
        ("{\"format\":\"hromada-vcard-image\",\"formatVersion\":2}", .unsupportedVersion),
        ("{\"format\":\"hromada-vcard-image\",\"formatVersion\":1}", .malformed),
    ])
    func corruptImagesAreClearErrors(text: String, code: CardImageError.Code) {
        #expect(throws: CardImageError(code, "")) { try CardImageCodec.decode(Array(text.utf8)) }
    }

    @Test(arguments: [
        ("\"uid\" : \"04112233445566\"", "\"uid\" : \"041122334455\""),
        ("\"userBytes\" : 2048", "\"userBytes\" : 100"),
        ("\"keyType\" : \"aes\"", "\"keyType\" : \"des\""),
        ("\"maxRecords\" : 4", "\"maxRecords\" : 1"),
        ("\"type\" : \"backup\"", "\"type\" : \"tape\""),
        ("\"communication\" : \"maced\"", "\"communication\" : \"secret\""),
        ("\"number\" : 8", "\"number\" : 7"),
        ("\"value\" : 100", "\"value\" : 1001"),
    ])
    func inconsistentImagesAreRefused(original: String, replacement: String) {
        let (card, _) = Fixture.make()
        let text = String(decoding: CardImageCodec.encode(card.image), as: UTF8.self)
        #expect(text.contains(original))
        let broken = text.replacingOccurrences(of: original, with: replacement)
        #expect(throws: CardImageError(.inconsistent, "")) { try CardImageCodec.decode(Array(broken.utf8)) }
    }

    @Test func codecRoundTripsRandomCards() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            let image = RandomImages.make(seed: UInt64(seed))
            #expect((try? CardImageCodec.decode(CardImageCodec.encode(image))) == image)
        }
    }

    @Test func decodingMutatedImagesNeverCrashes() async {
        let (card, _) = Fixture.make()
        let valid = CardImageCodec.encode(card.image)
        await propertyCheck(count: 300, input: Gen.int(in: 0..<valid.count).array(of: 1...8), Gen<UInt8>.value().array(of: 8)) { positions, bytes in
            var mutated = valid
            for (position, byte) in zip(positions, bytes) { mutated[position] = byte }
            if let image = try? CardImageCodec.decode(mutated) {
                #expect((try? CardImageCodec.decode(CardImageCodec.encode(image))) == image)
            }
        }
    }
}

/// Random but valid card images for the codec round trip.
enum RandomImages {
    static func make(seed: UInt64) -> CardImage {
        var random = SeededGenerator(seed: seed)
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) } }
        func key(_ type: DESFireKeyType) -> StoredKey {
            StoredKey(type: type, bytes: bytes(type.keyLength), aesVersion: UInt8.random(in: 0...255, using: &random))
        }
        var image = CardImage.factoryNew(uid: [0x04] + bytes(6), batchNumber: bytes(5))
        image.piccKeySettings = bytes(1)[0]
        image.piccMasterKey = key(DESFireKeyType.allCases.randomElement(using: &random)!)
        image.usedMemory = Int.random(in: 0...2048, using: &random)
        for index in 0..<Int.random(in: 0...4, using: &random) {
            let type = DESFireKeyType.allCases.randomElement(using: &random)!
            var files: [DataFile] = []
            for number in 0..<UInt8.random(in: 0...5, using: &random) {
                let rights = FileAccessRights(UInt16.random(in: 0...0xFFFF, using: &random))
                let mode = [CommunicationMode.plain, .maced, .enciphered].randomElement(using: &random)!
                let content: FileContent
                switch Int.random(in: 0...4, using: &random) {
                case 0: content = .standard(bytes(Int.random(in: 1...40, using: &random)))
                case 1: content = .backup(bytes(Int.random(in: 1...40, using: &random)))
                case 2:
                    let lower = Int32.random(in: -1000...0, using: &random)
                    content = .value(ValueFileState(
                        lowerLimit: lower, upperLimit: lower + 5000, value: lower + 10, limitedCreditValue: 7,
                        limitedCreditEnabled: Bool.random(using: &random), freeGetValue: Bool.random(using: &random)
                    ))
                case 3:
                    let size = Int.random(in: 1...8, using: &random)
                    content = .linearRecord(RecordFileState(recordSize: size, maxRecords: 3, records: (0..<Int.random(in: 0...3, using: &random)).map { _ in bytes(size) }))
                default:
                    let size = Int.random(in: 1...8, using: &random)
                    content = .cyclicRecord(RecordFileState(recordSize: size, maxRecords: 4, records: (0..<Int.random(in: 0...3, using: &random)).map { _ in bytes(size) }))
                }
                files.append(DataFile(
                    number: number * 3, isoFileID: Bool.random(using: &random) ? UInt16(number) + 0xE100 : nil,
                    communication: mode, accessRights: rights, content: content
                ))
            }
            image.applications.append(Application(
                aid: UInt32(index + 1) << 8 | UInt32(bytes(1)[0]), keySettings: bytes(1)[0], keyType: type,
                keys: (0..<Int.random(in: 0...14, using: &random)).map { _ in key(type) },
                isoFileID: Bool.random(using: &random) ? 0xDF00 + UInt16(index) : nil,
                dfName: Bool.random(using: &random) ? bytes(Int.random(in: 1...16, using: &random)) : nil,
                files: files
            ))
        }
        return image
    }
}

@testable import AccountingCore
import Identifiers
import LedgerCore
import PropertyTesting
import Testing

import Foundation

/// The batch body read straight from its canonical bytes (`UploadBatch.decodingCanonicalForm`)
/// against the general `JSONDecoder` path: the same batch, or no answer at all.
@Suite("Batch body: the canonical form")
struct CanonicalFormTests {
    let device = DeviceID(17)

    func body(count: Int) throws -> (UploadBatch, [UInt8]) {
        let batch = Fixtures.batch(Fixtures.chain(device: device, count: count)[...])
        return (batch, try batch.jsonBody())
    }

    @Test(arguments: [1, 2, 3, 17, 1000])
    func whatJsonBodyWritesIsReadStraight(count: Int) throws {
        let (batch, bytes) = try body(count: count)
        #expect(UploadBatch.decodingCanonicalForm(bytes, limits: .standard) == batch)
        #expect(try UploadBatch.decodingWithJSONDecoder(bytes, limits: .standard) == batch)
    }

    @Test func slashesAreReadEscapedOrNot() throws {
        // Base64 of this size holds slashes, which JSONEncoder writes escaped; both spellings
        // are the same JSON string, and both are read straight.
        let (batch, bytes) = try body(count: 40)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"\/"#))
        #expect(UploadBatch.decodingCanonicalForm(bytes, limits: .standard) == batch)
        let unescaped = Array(text.replacingOccurrences(of: #"\/"#, with: "/").utf8)
        #expect(UploadBatch.decodingCanonicalForm(unescaped, limits: .standard) == batch)
        #expect(try UploadBatch.decodingWithJSONDecoder(unescaped, limits: .standard) == batch)
    }

    /// `text` changed the way `name` says.
    static func change(_ name: String, _ text: String) -> String {
        switch name {
        case "a space after the first brace": return text.replacingOccurrences(of: #"{"checkpoint""#, with: #"{ "checkpoint""#)
        case "keys in another order":
            var moved = text
            moved.removeSubrange(text.range(of: #","device":17"#)!)
            return moved.replacingOccurrences(of: #"{"checkpoint""#, with: #"{"device":17,"checkpoint""#)
        case "an escaped letter": return text.replacingOccurrences(of: #""entries":["A"#, with: #""entries":["\u0041"#)
        case "a device with a leading zero": return text.replacingOccurrences(of: #""device":17"#, with: #""device":017"#)
        case "a device as an exponent": return text.replacingOccurrences(of: #""device":17"#, with: #""device":1.7e1"#)
        case "a device too large": return text.replacingOccurrences(of: #""device":17"#, with: #""device":4294967313"#)
        case "whitespace at the end": return text + "\n"
        case "an empty batch":
            let start = text.range(of: #""entries":["#)!.upperBound
            let end = text.range(of: "]}", options: .backwards)!.lowerBound
            var emptied = text
            emptied.removeSubrange(start..<end)
            return emptied
        case "a non-base64 entry": return text.replacingOccurrences(of: #""entries":[""#, with: #""entries":["*"#)
        case "a short checkpoint hash": return text.replacingOccurrences(of: #""chainHash":""#, with: #""chainHash":"00"#)
        default: return text
        }
    }

    /// Other spellings of the same JSON, and bodies the general path refuses: never read by the
    /// canonical reader, and decoded (or refused) by `init(jsonBody:)` exactly as by the general path.
    @Test(arguments: [
        "a space after the first brace", "keys in another order", "an escaped letter",
        "a device with a leading zero", "a device as an exponent", "a device too large", "whitespace at the end",
        "an empty batch", "a non-base64 entry", "a short checkpoint hash",
    ])
    func otherFormsGoTheGeneralWay(_ name: String) throws {
        let (_, bytes) = try body(count: 5)
        let changed = Array(Self.change(name, String(decoding: bytes, as: UTF8.self)).utf8)
        #expect(changed != bytes, "\(name) changed nothing")
        #expect(UploadBatch.decodingCanonicalForm(changed, limits: .standard) == nil, "\(name)")
        let general = Result { try UploadBatch.decodingWithJSONDecoder(changed, limits: .standard) }
        let viaInit = Result { try UploadBatch(jsonBody: changed) }
        switch (general, viaInit) {
        case (.success(let a), .success(let b)): #expect(a == b)
        case (.failure(let a as AccountingError), .failure(let b as AccountingError)): #expect(a.code == b.code)
        default: Issue.record("\(name): the general path gave \(general), init(jsonBody:) \(viaInit)")
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func base64WithNonZeroUnusedBitsIsNotReadStraight(count: Int) throws {
        // The last digit before the padding carries unused bits; flipping its lowest one keeps
        // the bytes for a lax decoder but is not the canonical spelling.
        let (_, bytes) = try body(count: count)
        var characters = Array(String(decoding: bytes, as: UTF8.self))
        let entries = Array(#""entries":[""#)
        guard let start = (0...(characters.count - entries.count)).first(where: { Array(characters[$0..<($0 + entries.count)]) == entries }) else {
            Issue.record("no entries")
            return
        }
        let entryStart = start + entries.count
        let closing = characters[entryStart...].firstIndex(of: "\"")!
        let paddings = characters[entryStart..<closing].reversed().prefix(while: { $0 == "=" }).count
        guard paddings > 0 else { return }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let last = closing - paddings - 1
        characters[last] = alphabet[alphabet.firstIndex(of: characters[last])! ^ 1]
        #expect(UploadBatch.decodingCanonicalForm(Array(String(characters).utf8), limits: .standard) == nil)
    }

    /// Random bytes changed in a valid body: whenever the canonical reader answers, the general
    /// path gives the same batch.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func mutatedBodiesNeverDecodeDifferently(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let (_, bytes) = try body(count: 3)
        let alphabet = Array(#"{}[]",:0123456789AZaz+/=\ ."#.utf8)
        for _ in 0..<300 {
            var changed = bytes
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let index = Int.random(in: 0..<changed.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: changed[index] = alphabet.randomElement(using: &rng)!
                case 1: changed.remove(at: index)
                default: changed.insert(alphabet.randomElement(using: &rng)!, at: index)
                }
            }
            guard let canonical = UploadBatch.decodingCanonicalForm(changed, limits: .standard) else { continue }
            #expect(try UploadBatch.decodingWithJSONDecoder(changed, limits: .standard) == canonical)
        }
    }

    @Test func moreEntriesThanTheLimitGoTheGeneralWay() throws {
        let (_, bytes) = try body(count: 5)
        var limits = AccountingLimits.standard
        limits.maximumBatchEntries = 4
        #expect(UploadBatch.decodingCanonicalForm(bytes, limits: limits) == nil)
        #expect(throws: AccountingError.self) { try UploadBatch(jsonBody: bytes, limits: limits) }
    }
}

/// The canonical body found first and its entries decoded in parts (`CanonicalBatchBody`), as the
/// service does on several cores: the same batch as the reader in one piece.
@Suite("Batch body: entries decoded in parts")
struct CanonicalBatchBodyTests {
    @Test(arguments: [1, 2, 17, 1000])
    func anySplitOfTheEntriesJoinsToTheBatch(count: Int) throws {
        let batch = Fixtures.batch(Fixtures.chain(device: DeviceID(17), count: count)[...])
        let located = try #require(CanonicalBatchBody(locating: try batch.jsonBody(), limits: .standard))
        #expect(located.entryCount == count)
        #expect(located.deviceID == batch.deviceID)
        #expect(located.checkpoint == batch.checkpoint)
        for cut in Set([0, 1, count / 3, count / 2, count - 1, count]) {
            let front = try #require(located.entries(0..<cut))
            let back = try #require(located.entries(cut..<count))
            #expect(located.batch(with: front + back) == batch)
        }
    }

    @Test func aPartHoldingABadEntryIsNil() throws {
        let batch = Fixtures.batch(Fixtures.chain(device: DeviceID(17), count: 10)[...])
        var text = String(decoding: try batch.jsonBody(), as: UTF8.self)
        // The last entry's first base64 digit made one that is not base64 (the frame stays whole).
        let last = text.range(of: #"",""#, options: .backwards)!.upperBound
        text.replaceSubrange(last..<text.index(after: last), with: "*")
        let located = try #require(CanonicalBatchBody(locating: Array(text.utf8), limits: .standard))
        #expect(located.entries(0..<9)?.count == 9)
        #expect(located.entries(9..<10) == nil)
        #expect(located.entries(0..<10) == nil)
        #expect(UploadBatch.decodingCanonicalForm(Array(text.utf8), limits: .standard) == nil)
    }

    @Test func moreEntriesThanTheLimitAreNotLocated() throws {
        let batch = Fixtures.batch(Fixtures.chain(device: DeviceID(17), count: 5)[...])
        var limits = AccountingLimits.standard
        limits.maximumBatchEntries = 4
        #expect(CanonicalBatchBody(locating: try batch.jsonBody(), limits: limits) == nil)
        limits.maximumBatchEntries = 5
        #expect(CanonicalBatchBody(locating: try batch.jsonBody(), limits: limits) != nil)
    }
}

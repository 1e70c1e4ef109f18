import Testing
import VirtualCard

/// A personalized card: PICC master key changed to AES (zero, version 0) and application
/// 010203 with 5 AES keys (all zero) and one file of each kind. Access rights 0x1230 mean read
/// key 1, write key 2, read&write key 3, change key 0.
enum Fixture {
    static let aid: UInt32 = 0x010203
    static let aidBytes: [UInt8] = [0x03, 0x02, 0x01]
    static let rights: [UInt8] = [0x30, 0x12]

    static let standardPlain: UInt8 = 1      // 64 bytes, plain
    static let backupMACed: UInt8 = 2        // 32 bytes, MACed
    static let valueEnciphered: UInt8 = 3    // 0…1000, value 100, LimitedCredit enabled, enciphered
    static let cyclicPlain: UInt8 = 4        // 16-byte records × 4, plain
    static let standardEnciphered: UInt8 = 5 // 100 bytes, enciphered
    static let freeRead: UInt8 = 6           // 8 bytes, enciphered, read free (0xE)
    static let linearPlain: UInt8 = 7        // 8-byte records × 2, plain
    static let never: UInt8 = 8              // 16 bytes, read/write/read&write never (0xF)

    /// Memory the fixture allocates: application 32 + 96 (5 AES keys), files 448.
    static let allocated = 128 + 448

    /// The card, and a reader authenticated with application key 0.
    static func make(store: (any CardImageStore)? = nil, options: DESFireEngine.Options = .init()) -> (VirtualDESFireCard, TestReader) {
        let card = makeCard(store: store, options: options)
        let reader = TestReader(card: card)
        expectOK(reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES))
        expectOK(reader.changeKey(0, to: .zeroAES, typeFlags: 0x80).status)
        expectOK(reader.authenticate(0xAA, keyNumber: 0, key: .zeroAES))
        expectOK(reader.send(0xCA, data: aidBytes + [0x0F, 0x85]))
        expectOK(reader.select(aid))
        expectOK(reader.authenticate(0xAA, keyNumber: 0, key: .zeroAES))
        expectOK(reader.send(0xCD, data: [standardPlain, 0x00] + rights + le(64, 3)))
        expectOK(reader.send(0xCB, data: [backupMACed, 0x01] + rights + le(32, 3)))
        expectOK(reader.send(0xCC, data: [valueEnciphered, 0x03] + rights + le(0, 4) + le(1000, 4) + le(100, 4) + [0x01]))
        expectOK(reader.send(0xC0, data: [cyclicPlain, 0x00] + rights + le(16, 3) + le(4, 3)))
        expectOK(reader.send(0xCD, data: [standardEnciphered, 0x03] + rights + le(100, 3)))
        expectOK(reader.send(0xCD, data: [freeRead, 0x03, 0x30, 0xE2] + le(8, 3)))
        expectOK(reader.send(0xC1, data: [linearPlain, 0x00] + rights + le(8, 3) + le(2, 3)))
        expectOK(reader.send(0xCD, data: [never, 0x00, 0xF0, 0xFF] + le(16, 3)))
        return (card, reader)
    }

    static func expectOK(_ status: UInt8, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(status == 0x00, "status \(status)", sourceLocation: sourceLocation)
    }

    static func expectOK(_ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.ok, "reply \(reply)", sourceLocation: sourceLocation)
    }
}

extension TestReader {
    /// Authenticates with AES key `number` of the selected level (all fixture keys are zero).
    func aes(_ number: UInt8) {
        Fixture.expectOK(authenticate(0xAA, keyNumber: number, key: .zeroAES))
    }

    func readData(_ file: UInt8, offset: Int = 0, length: Int = 0, mode: Mode, expect plainLength: Int) -> Reply {
        send(0xBD, header: [file] + le(offset, 3) + le(length, 3), responseMode: mode, responseLength: plainLength)
    }

    func writeData(_ file: UInt8, offset: Int = 0, _ data: [UInt8], mode: Mode) -> Reply {
        send(0x3D, header: [file] + le(offset, 3) + le(data.count, 3), data: data, mode: mode)
    }

    func getValue(_ file: UInt8, mode: Mode) -> Reply {
        send(0x6C, header: [file], responseMode: mode, responseLength: 4)
    }

    func value(_ command: UInt8, _ file: UInt8, _ amount: Int, mode: Mode) -> Reply {
        send(command, header: [file], data: le(amount, 4), mode: mode)
    }

    func commit() -> Reply { send(0xC7) }
    func abort() -> Reply { send(0xA7) }
}

extension Array where Element == UInt8 {
    var int32: Int32 { Int32(bitPattern: UInt32(self[0]) | UInt32(self[1]) << 8 | UInt32(self[2]) << 16 | UInt32(self[3]) << 24) }
}

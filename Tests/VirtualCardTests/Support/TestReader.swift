import Crypto
import CryptoExtras
import Foundation
import Identifiers
import VirtualCard

/// Reader-side block cipher for the tests: AES from swift-crypto, DES from `ReferenceDES`.
/// Nothing here touches the card's OpenSSL code.
struct HostCipher {
    let blockSize: Int
    let encryptBlock: ([UInt8]) -> [UInt8]
    let decryptBlock: ([UInt8]) -> [UInt8]

    static func aes(_ key: [UInt8]) -> HostCipher {
        let symmetric = SymmetricKey(data: key)
        return HostCipher(
            blockSize: 16,
            encryptBlock: { block in
                var bytes = block
                try! AES.permute(&bytes, key: symmetric)
                return bytes
            },
            decryptBlock: { block in
                var bytes = block
                try! AES.inversePermute(&bytes, key: symmetric)
                return bytes
            }
        )
    }

    /// Two-key 3DES (EDE); single DES when the halves are equal.
    static func des(_ key: [UInt8]) -> HostCipher {
        let key16 = key.count == 8 ? key + key : key
        let first = ReferenceDES(key: Array(key16[0..<8]))
        let second = ReferenceDES(key: Array(key16[8..<16]))
        return HostCipher(
            blockSize: 8,
            encryptBlock: { first.encrypt(second.decrypt(first.encrypt($0))) },
            decryptBlock: { first.decrypt(second.encrypt(first.decrypt($0))) }
        )
    }

    /// Three-key 3DES (EDE3).
    static func des3(_ key: [UInt8]) -> HostCipher {
        let one = ReferenceDES(key: Array(key[0..<8]))
        let two = ReferenceDES(key: Array(key[8..<16]))
        let three = ReferenceDES(key: Array(key[16..<24]))
        return HostCipher(
            blockSize: 8,
            encryptBlock: { three.encrypt(two.decrypt(one.encrypt($0))) },
            decryptBlock: { one.decrypt(two.encrypt(three.decrypt($0))) }
        )
    }

    func blocks(_ data: [UInt8]) -> [[UInt8]] {
        stride(from: 0, to: data.count, by: blockSize).map { Array(data[$0..<$0 + blockSize]) }
    }

    func cbcEncrypt(iv: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var chain = iv
        var out: [UInt8] = []
        for block in blocks(data) {
            chain = encryptBlock(zip(block, chain).map { $0 ^ $1 })
            out += chain
        }
        return out
    }

    func cbcDecrypt(iv: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var chain = iv
        var out: [UInt8] = []
        for block in blocks(data) {
            out += zip(decryptBlock(block), chain).map { $0 ^ $1 }
            chain = block
        }
        return out
    }

    /// CMAC (SP 800-38B) whose chain starts at `iv`.
    func cmac(iv: [UInt8], _ message: [UInt8]) -> [UInt8] {
        func shifted(_ block: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: blockSize)
            for index in 0..<blockSize {
                out[index] = block[index] << 1 | (index + 1 < blockSize ? block[index + 1] >> 7 : 0)
            }
            if block[0] & 0x80 != 0 { out[blockSize - 1] ^= blockSize == 16 ? 0x87 : 0x1B }
            return out
        }
        let k1 = shifted(encryptBlock([UInt8](repeating: 0, count: blockSize)))
        let k2 = shifted(k1)
        var padded = message
        let complete = !message.isEmpty && message.count % blockSize == 0
        if !complete {
            padded.append(0x80)
            while padded.count % blockSize != 0 { padded.append(0) }
        }
        let subkey = complete ? k1 : k2
        for index in 0..<blockSize { padded[padded.count - blockSize + index] ^= subkey[index] }
        return Array(cbcEncrypt(iv: iv, padded).suffix(blockSize))
    }
}

/// Reader-side checksums, table driven (the card's are bitwise).
enum HostChecksum {
    private static let crc32Table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }
    private static let crc16Table: [UInt16] = (0..<256).map { index in
        var value = UInt16(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0x8408 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// DESFire's CRC32 (JAMCRC: no final inversion), least significant byte first.
    static func crc32(_ bytes: [UInt8]) -> [UInt8] {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crc32Table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
    }

    /// CRC_A of ISO 14443-3, least significant byte first.
    static func crc16(_ bytes: [UInt8]) -> [UInt8] {
        var crc: UInt16 = 0x6363
        for byte in bytes { crc = crc16Table[Int((crc ^ UInt16(byte)) & 0xFF)] ^ (crc >> 8) }
        return [UInt8(crc & 0xFF), UInt8(crc >> 8)]
    }
}

/// A reader key as the tests hold it.
enum HostKey {
    case des([UInt8])
    case des3([UInt8])
    case aes([UInt8])

    static let zeroDES = HostKey.des([UInt8](repeating: 0, count: 16))
    static let zeroAES = HostKey.aes([UInt8](repeating: 0, count: 16))

    var cipher: HostCipher {
        switch self {
        case .des(let key): .des(key)
        case .des3(let key): .des3(key)
        case .aes(let key): .aes(key)
        }
    }

    var bytes: [UInt8] {
        switch self {
        case .des(let key), .des3(let key), .aes(let key): key
        }
    }

    var challengeLength: Int {
        if case .des = self { return 8 }
        return 16
    }

    func sessionKey(rndA: [UInt8], rndB: [UInt8]) -> HostCipher {
        switch self {
        case .des(let key) where Array(key[0..<8]) == Array(key[8..<16]):
            return .des(Array(rndA[0..<4] + rndB[0..<4]))
        case .des:
            return .des(Array(rndA[0..<4] + rndB[0..<4] + rndA[4..<8] + rndB[4..<8]))
        case .des3:
            return .des3(Array(rndA[0..<4] + rndB[0..<4] + rndA[6..<10] + rndB[6..<10] + rndA[12..<16] + rndB[12..<16]))
        case .aes:
            return .aes(Array(rndA[0..<4] + rndB[0..<4] + rndA[12..<16] + rndB[12..<16]))
        }
    }
}

/// What the card answered to one (possibly chained) command.
struct Reply: Equatable {
    var data: [UInt8]
    var status: UInt8
    /// False when the response MAC/CMAC/CRC the reader checked was wrong.
    var verified = true

    var ok: Bool { status == 0x00 && verified }
}

/// A reader talking to a `VirtualDESFireCard` through ISO 7816-4 wrapped APDUs, with its own,
/// independent DESFire secure messaging (legacy and EV1).
final class TestReader {
    enum Scheme { case legacy, ev1 }

    struct Session {
        var scheme: Scheme
        var cipher: HostCipher
        var iv: [UInt8]
        var keyNumber: UInt8
    }

    let card: VirtualDESFireCard
    var session: Session?
    /// Every APDU sent and its response, for debugging failures.
    private(set) var log: [(command: [UInt8], response: [UInt8])] = []

    init(card: VirtualDESFireCard) { self.card = card }

    // MARK: Frames

    /// One wrapped native frame.
    func frame(_ command: UInt8, _ data: [UInt8]) -> (data: [UInt8], status: UInt8) {
        var apdu: [UInt8] = [0x90, command, 0x00, 0x00]
        if !data.isEmpty { apdu += [UInt8(data.count)] + data }
        apdu.append(0x00)
        let response = card.respond(to: apdu)
        log.append((apdu, response))
        precondition(response.count >= 2 && response[response.count - 2] == 0x91, "not a DESFire response: \(response)")
        return (Array(response.dropLast(2)), response[response.count - 1])
    }

    /// A native command with chaining in both directions (59 data bytes per frame).
    func exchange(_ command: UInt8, _ data: [UInt8]) -> (data: [UInt8], status: UInt8) {
        var remaining = data[...]
        var answer = frame(command, Array(remaining.prefix(59)))
        remaining = remaining.dropFirst(59)
        while answer.status == 0xAF, !remaining.isEmpty {
            answer = frame(0xAF, Array(remaining.prefix(59)))
            remaining = remaining.dropFirst(59)
        }
        var collected = answer.data
        while answer.status == 0xAF {
            answer = frame(0xAF, [])
            collected += answer.data
        }
        return (collected, answer.status)
    }

    // MARK: Authentication

    /// Authenticates with `code` (0x0A, 0x1A or 0xAA); returns the status of the last step.
    @discardableResult
    func authenticate(_ code: UInt8, keyNumber: UInt8, key: HostKey, rndA fixedRndA: [UInt8]? = nil) -> UInt8 {
        session = nil
        let cipher = key.cipher
        let length = key.challengeLength
        let zeroIV = [UInt8](repeating: 0, count: cipher.blockSize)
        let first = frame(code, [keyNumber])
        guard first.status == 0xAF, first.data.count == length else { return first.status }
        let rndA = fixedRndA ?? (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let legacy = code == 0x0A
        let rndB = cipher.cbcDecrypt(iv: zeroIV, first.data)
        let token = rndA + Array(rndB.dropFirst()) + [rndB[0]]
        var sent: [UInt8]
        if legacy {
            // Legacy readers "decipher to send": C_i = D(P_i XOR C_(i-1)).
            sent = []
            var chain = zeroIV
            for block in cipher.blocks(token) {
                chain = cipher.decryptBlock(zip(block, chain).map { $0 ^ $1 })
                sent += chain
            }
        } else {
            sent = cipher.cbcEncrypt(iv: Array(first.data.suffix(cipher.blockSize)), token)
        }
        let second = frame(0xAF, sent)
        guard second.status == 0x00 else { return second.status }
        let answerIV = legacy ? zeroIV : Array(sent.suffix(cipher.blockSize))
        let rotatedA = cipher.cbcDecrypt(iv: answerIV, second.data)
        guard rotatedA == Array(rndA.dropFirst()) + [rndA[0]] else { return 0xFF }
        session = Session(
            scheme: legacy ? .legacy : .ev1,
            cipher: key.sessionKey(rndA: rndA, rndB: rndB),
            iv: [UInt8](repeating: 0, count: cipher.blockSize),
            keyNumber: keyNumber
        )
        return 0x00
    }

    // MARK: Secure messaging

    enum Mode { case plain, maced, enciphered }

    private func padded(_ bytes: [UInt8], _ blockSize: Int) -> [UInt8] {
        var out = bytes
        while out.isEmpty || out.count % blockSize != 0 { out.append(0) }
        return out
    }

    /// Sends `command` with `header` in plain and `data` in `mode`; reads the response in
    /// `responseMode` (`responseLength` plain bytes expected for enciphered responses).
    func send(
        _ command: UInt8, header: [UInt8] = [], data: [UInt8] = [], mode: Mode = .plain,
        responseMode: Mode = .plain, responseLength: Int? = nil
    ) -> Reply {
        var wire = data
        if var current = session {
            let block = current.cipher.blockSize
            switch (current.scheme, mode) {
            case (.legacy, .plain):
                break
            case (.legacy, .maced):
                let mac = current.cipher.cbcEncrypt(iv: [UInt8](repeating: 0, count: block), padded(data, block)).suffix(block).prefix(4)
                wire = data + mac
            case (.legacy, .enciphered):
                var chain = [UInt8](repeating: 0, count: block)
                wire = []
                for piece in current.cipher.blocks(padded(data + HostChecksum.crc16(data), block)) {
                    chain = current.cipher.decryptBlock(zip(piece, chain).map { $0 ^ $1 })
                    wire += chain
                }
            case (.ev1, .plain):
                current.iv = current.cipher.cmac(iv: current.iv, [command] + header + data)
            case (.ev1, .maced):
                current.iv = current.cipher.cmac(iv: current.iv, [command] + header + data)
                wire = data + current.iv.prefix(8)
            case (.ev1, .enciphered):
                let plain = padded(data + HostChecksum.crc32([command] + header + data), block)
                wire = current.cipher.cbcEncrypt(iv: current.iv, plain)
                current.iv = Array(wire.suffix(block))
            }
            session = current
        }
        let answer = exchange(command, header + wire)
        var reply = Reply(data: answer.data, status: answer.status)
        guard var current = session else { return reply }
        guard answer.status == 0x00 else {
            if current.scheme == .ev1 || answer.status == 0xAE || answer.status == 0x1E { session = nil }
            return reply
        }
        let block = current.cipher.blockSize
        switch (current.scheme, responseMode) {
        case (.legacy, .plain):
            break
        case (.legacy, .maced):
            let body = Array(answer.data.dropLast(4))
            let mac = current.cipher.cbcEncrypt(iv: [UInt8](repeating: 0, count: block), padded(body, block)).suffix(block).prefix(4)
            reply.verified = Array(mac) == Array(answer.data.suffix(4))
            reply.data = body
        case (.legacy, .enciphered):
            let plain = current.cipher.cbcDecrypt(iv: [UInt8](repeating: 0, count: block), answer.data)
            let length = responseLength ?? 0
            let body = Array(plain.prefix(length))
            reply.verified = plain.count >= length + 2 && Array(plain[length..<length + 2]) == HostChecksum.crc16(body)
                && plain[(length + 2)...].allSatisfy { $0 == 0 }
            reply.data = body
        case (.ev1, .plain), (.ev1, .maced):
            let body = Array(answer.data.dropLast(8))
            current.iv = current.cipher.cmac(iv: current.iv, body + [0x00])
            reply.verified = answer.data.count >= 8 && Array(current.iv.prefix(8)) == Array(answer.data.suffix(8))
            reply.data = body
        case (.ev1, .enciphered):
            let plain = current.cipher.cbcDecrypt(iv: current.iv, answer.data)
            current.iv = Array(answer.data.suffix(block))
            let length = responseLength ?? 0
            let body = Array(plain.prefix(length))
            reply.verified = plain.count >= length + 4 && Array(plain[length..<length + 4]) == HostChecksum.crc32(body + [0x00])
                && plain[(length + 4)...].allSatisfy { $0 == 0 }
            reply.data = body
        }
        session = current
        return reply
    }

    /// ChangeKey as a reader builds it: the new key (XORed with the old one when changing another
    /// key than the authenticated one), AES version byte, checksums, enciphered.
    func changeKey(_ keyNumber: UInt8, to newKey: HostKey, version: UInt8 = 0, oldKey: HostKey? = nil, typeFlags: UInt8 = 0) -> Reply {
        guard var current = session else { return Reply(data: [], status: 0xFF, verified: false) }
        let keyByte = keyNumber | typeFlags
        let sameKey = keyNumber == current.keyNumber
        var field = newKey.bytes
        if !sameKey, let oldKey { for index in field.indices { field[index] ^= oldKey.bytes[index] } }
        if case .aes = newKey { field.append(version) }
        let block = current.cipher.blockSize
        var cryptogram = field
        var wire: [UInt8] = []
        switch current.scheme {
        case .legacy:
            cryptogram += HostChecksum.crc16(field)
            if !sameKey { cryptogram += HostChecksum.crc16(newKey.bytes) }
            var chain = [UInt8](repeating: 0, count: block)
            for piece in current.cipher.blocks(padded(cryptogram, block)) {
                chain = current.cipher.decryptBlock(zip(piece, chain).map { $0 ^ $1 })
                wire += chain
            }
        case .ev1:
            cryptogram += HostChecksum.crc32([0xC4, keyByte] + field)
            if !sameKey { cryptogram += HostChecksum.crc32(newKey.bytes) }
            wire = current.cipher.cbcEncrypt(iv: current.iv, padded(cryptogram, block))
            current.iv = Array(wire.suffix(block))
        }
        session = current
        let answer = exchange(0xC4, [keyByte] + wire)
        var reply = Reply(data: answer.data, status: answer.status)
        if answer.status != 0x00 {
            if current.scheme == .ev1 || answer.status == 0xAE || answer.status == 0x1E { session = nil }
            return reply
        }
        if sameKey {
            session = nil
            reply.verified = answer.data.isEmpty
            return reply
        }
        if current.scheme == .ev1 {
            current.iv = current.cipher.cmac(iv: current.iv, [0x00])
            reply.verified = Array(current.iv.prefix(8)) == answer.data
            reply.data = []
            session = current
        }
        return reply
    }

    // MARK: Convenience

    func select(_ aid: UInt32) -> UInt8 {
        session = nil
        return frame(0x5A, [UInt8(aid & 0xFF), UInt8(aid >> 8 & 0xFF), UInt8(aid >> 16)]).status
    }
}

func le(_ value: Int, _ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
}

/// Bytes of hex test-vector text; spaces between groups are allowed (vectors print keys so).
func hexBytes(_ text: String) -> [UInt8] { Hex.decode(text.filter { $0 != " " })! }

/// A card in factory state with a fixed UID and scripted challenges.
func makeCard(
    challenges: [[UInt8]] = [Array(0x10..<0x20)],
    store: (any CardImageStore)? = nil,
    options: DESFireEngine.Options = .init()
) -> VirtualDESFireCard {
    VirtualDESFireCard(
        image: .factoryNew(uid: [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]),
        store: store,
        challenges: ScriptedChallengeSource(challenges),
        options: options
    )
}

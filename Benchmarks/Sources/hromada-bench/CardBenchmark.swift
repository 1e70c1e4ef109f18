import Crypto
import DESFire
import PCSC
import SmartCard
import TestBedSupport
import VirtualCard

/// Counts the APDUs and bytes a client puts on the wire.
final class CountingChannel<Base: CardChannel>: CardChannel, @unchecked Sendable {
    let base: Base
    private(set) var apdus = 0
    private(set) var bytesSent = 0
    private(set) var bytesReceived = 0

    init(_ base: Base) { self.base = base }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let response = try await base.transmit(command)
        apdus += 1
        bytesSent += command.bytes.count
        bytesReceived += response.bytes.count
        return response
    }

    func resetCounts() {
        apdus = 0
        bytesSent = 0
        bytesReceived = 0
    }
}

/// Through the real stack (libpcsclite → pcscd → vpcd → in-process emulator):
/// the raw APDU round trip with an echo card, and a DESFire tap of AES authentication, a MACed
/// 32-byte read and one committed debit, in the same run.
enum CardBenchmark {
    static let aid: ApplicationID = 0x42_4E43
    static let dataFile: FileNumber = 1
    static let purseFile: FileNumber = 2
    static let key = try! DESFireKey.aes128(SymmetricKey(data: [UInt8](repeating: 0x5C, count: 16)))

    static func run(iterations: Int) async throws {
        try await TestBed.shared.withReader { reader in
            let echo = try await reader.withVirtualCard(EchoCard()) { _ in
                try await PCSCClient().withCard(reader: reader.name) { channel in
                    let command = CommandAPDU(cla: 0x90, ins: 0xBD, data: [UInt8](repeating: 0xA5, count: 16), le: 0)
                    return try await Samples.measure("baseline: echo APDU round trip (16 B)", iterations: iterations) {
                        _ = try await channel.transmit(command)
                    }
                }
            }
            report(echo)

            let card = VirtualDESFireCard(image: CardImage.factoryNew(uid: [0x04, 0x42, 0x45, 0x4E, 0x43, 0x48, 0x01]))
            try await reader.withVirtualCard(card) { _ in
                try await PCSCClient().withCard(reader: reader.name) { channel in
                    let counting = CountingChannel(channel)
                    var client = DESFireCard(channel: counting)
                    try await prepare(&client)

                    counting.resetCounts()
                    try await tap(&client)
                    let (apdus, sent, received) = (counting.apdus, counting.bytesSent, counting.bytesReceived)

                    let taps = try await Samples.measure(
                        "DESFire tap: auth + MACed read 32 B + debit + commit", iterations: iterations / 10, warmup: 20
                    ) {
                        try await tap(&client)
                    }
                    report(taps, extra: "\(apdus) APDUs, \(sent) B sent, \(received) B received")
                    print("  ratio: one tap = \(format(taps.median / echo.median, 1)) echo round trips; "
                        + "\(format(taps.median / Double(apdus) / 1000, 1)) µs per APDU vs \(format(echo.median / 1000, 1)) µs raw")
                    print("  estimate on a physical card: \(apdus) APDUs × 8 ms over the air + software "
                        + "\(humanTime(taps.median - Double(apdus) * echo.median)) ≈ "
                        + "\(humanTime(Double(apdus) * 8_000_000 + taps.median - Double(apdus) * echo.median))")
                }
            }
        }
        try await RideBenchmark.run(iterations: max(20, iterations / 50))
    }

    /// One application with one AES key, a MACed 32-byte backup file and a MACed value file.
    static func prepare<Channel: CardChannel>(_ client: inout DESFireCard<Channel>) async throws {
        var random = SystemRandomNumberGenerator()
        try await client.authenticateLegacy(keyNumber: 0, key: .factoryDefault, using: &random)
        let settings = KeySettings(
            settingsChangeable: true, freeCreateDelete: false, freeDirectoryListing: false, masterKeyChangeable: true)
        try await client.createApplication(aid, settings: settings, keyCount: 1, family: .aes)
        try await client.selectApplication(aid)
        try await client.authenticateAES(keyNumber: 0, key: .zero(.aes128), using: &random)
        try await client.changeKey(0, to: key)
        try await client.authenticateAES(keyNumber: 0, key: key, using: &random)
        let access = AccessRights(read: .key(0), write: .key(0), readWrite: .key(0), change: .key(0))
        try await client.createBackupDataFile(dataFile, mode: .maced, access: access, size: 32)
        try await client.createValueFile(
            purseFile, mode: .maced, access: access,
            settings: ValueFileSettings(lowerLimit: 0, upperLimit: 100_000_000, limitedCreditValue: 0, limitedCreditEnabled: false))
        try await client.credit(file: purseFile, amount: 100_000_000, mode: .maced)
        try await client.commitTransaction()
    }

    /// What a validator does on a tap: select, authenticate, read, debit, commit.
    static func tap<Channel: CardChannel>(_ client: inout DESFireCard<Channel>) async throws {
        var random = SystemRandomNumberGenerator()
        try await client.selectApplication(aid)
        try await client.authenticateAES(keyNumber: 0, key: key, using: &random)
        _ = try await client.readData(file: dataFile, length: 32, mode: .maced)
        try await client.debit(file: purseFile, amount: 1, mode: .maced)
        try await client.commitTransaction()
    }
}

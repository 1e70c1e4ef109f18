import Crypto
import DESFire
import Foundation
import PCSC
import SmartCard
import TestBedSupport
import Testing
import VirtualCard

/// The DESFire client personalizes and uses a blank virtual card through pcscd and vpcd — the
/// same path a USB reader takes — and the card's saved state is checked independently.
@Suite("DESFire client and virtual card, end to end through PC/SC")
struct PersonalizationTests {
    @Test("personalize a blank card, then write, read, credit, debit, commit and abort in every mode")
    func personalizeAndUse() async throws {
        let card = try TemporaryCard(uid: randomUID())
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            // First tap: the desk personalizes the factory-fresh card.
            try await reader.tap(card) { client in
                #expect(try await client.channel.readUID() == card.uid)
                let version = try await client.getVersion()
                #expect(version.hardware.vendorID == 0x04)
                try await TestApplication.personalize(&client, uid: card.uid)
            }

            // Second tap: write and move value in every communication mode with the write key.
            try await reader.tap(card) { client in
                var random = SystemRandomNumberGenerator()
                try await client.selectApplication(TestApplication.aid)
                try await client.authenticateAES(
                    keyNumber: TestApplication.writeKeyNumber, key: try TestApplication.writeKey(uid: card.uid), using: &random)
                for (index, mode) in TestApplication.modes.enumerated() {
                    let data = pattern(32, seed: UInt8(index))
                    try await client.writeData(file: TestApplication.standardFile(mode), data: data, mode: mode)
                    try await client.writeData(file: TestApplication.backupFile(mode), data: data, mode: mode)
                    try await client.credit(file: TestApplication.valueFile(mode), amount: 5000, mode: mode)
                    try await client.writeRecord(file: TestApplication.recordFile(mode), data: pattern(16, seed: 0x40 + UInt8(index)), mode: mode)
                    try await client.commitTransaction()
                    try await client.debit(file: TestApplication.valueFile(mode), amount: 1500, mode: mode)
                    try await client.commitTransaction()

                    // An aborted transaction changes nothing.
                    try await client.debit(file: TestApplication.valueFile(mode), amount: 100, mode: mode)
                    try await client.writeData(file: TestApplication.backupFile(mode), data: pattern(32, seed: 0xEE), mode: mode)
                    try await client.abortTransaction()
                    #expect(try await client.getValue(file: TestApplication.valueFile(mode), mode: mode) == 3500)
                }
            }

            // Third tap: the read-only key sees what was committed, in every mode.
            try await reader.tap(card) { client in
                var random = SystemRandomNumberGenerator()
                try await client.selectApplication(TestApplication.aid)
                try await client.authenticateAES(
                    keyNumber: TestApplication.readKeyNumber, key: try TestApplication.readKey(uid: card.uid), using: &random)
                for (index, mode) in TestApplication.modes.enumerated() {
                    let data = pattern(32, seed: UInt8(index))
                    #expect(try await client.readData(file: TestApplication.standardFile(mode), length: 32, mode: mode) == data)
                    #expect(try await client.readData(file: TestApplication.backupFile(mode), length: 32, mode: mode) == data)
                    #expect(try await client.getValue(file: TestApplication.valueFile(mode), mode: mode) == 3500)
                    let records = try await client.readAllRecords(
                        file: TestApplication.recordFile(mode), recordSize: TestApplication.recordSize,
                        maxRecords: TestApplication.maxRecords, mode: mode)
                    #expect(records == [pattern(16, seed: 0x40 + UInt8(index))])
                }
                // The read key may not write.
                await #expect(throws: DESFireError.self) {
                    try await client.credit(file: TestApplication.valueFile(.plain), amount: 1, mode: .plain)
                }
            }
        }

        // The emulator's saved image, read without the client, agrees.
        let image = try card.image()
        #expect(image.piccMasterKey.type == .aes)
        let application = try #require(image.applications.first { $0.aid == TestApplication.aid.rawValue })
        #expect(application.keys.count == 4)
        #expect(application.files.count == 12)
        for (index, mode) in TestApplication.modes.enumerated() {
            #expect(application.file(TestApplication.standardFile(mode))?.content == .standard(pattern(32, seed: UInt8(index))))
            #expect(application.file(TestApplication.backupFile(mode))?.content == .backup(pattern(32, seed: UInt8(index))))
            guard case .value(let value) = application.file(TestApplication.valueFile(mode))?.content else {
                Issue.record("value file missing for \(mode)")
                continue
            }
            #expect(value.value == 3500)
        }
    }

    @Test("a card that answers garbage gives named errors, never a crash or a hang")
    func garbageCard() async throws {
        try await TestBed.shared.withReader { reader in
            try await reader.withVirtualCard(GarbageCard()) { _ in
                try await PCSCClient().withCard(reader: reader.name) { channel in
                    var client = DESFireCard(channel: channel)
                    var random = SystemRandomNumberGenerator()
                    for attempt in 0..<4 {
                        let error = await #expect(throws: (any Error).self, "attempt \(attempt)") {
                            switch attempt {
                            case 0: _ = try await client.getVersion()
                            case 1: try await client.authenticateAES(keyNumber: 0, key: .zero(.aes128), using: &random)
                            case 2: try await client.selectApplication(0x010203)
                            default: _ = try await client.getApplicationIDs()
                            }
                        }
                        #expect(error is DESFireError || error is CardError, "unnamed error: \(String(describing: error))")
                    }
                }
            }
        }
    }
}

/// Deterministic test bytes.
func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: Int(seed) &* 31 &+ $0 &* 7) }
}

/// A card with the DESFire ATR that answers every command with bytes no DESFire card would send.
final class GarbageCard: EmulatedCard {
    let atr: [UInt8] = [0x3B, 0x81, 0x80, 0x01, 0x80, 0x80]
    private var counter: UInt8 = 0
    func powerOn() {}
    func powerOff() {}
    func reset() {}
    func leaveField() {}
    func respond(to command: [UInt8]) -> [UInt8] {
        counter &+= 1
        switch counter % 4 {
        case 0: return [0x91]                                   // too short to hold a status word
        case 1: return [0xDE, 0xAD, 0x91, 0x77]                 // unknown DESFire status
        case 2: return [UInt8](repeating: 0x5A, count: 80) + [0x91, 0xAF]  // endless additional frames
        default: return [0x12, 0x34, 0x56, 0x78]               // not a DESFire status word at all
        }
    }
}

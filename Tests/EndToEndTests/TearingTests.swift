import DESFire
import PCSC
import SmartCard
import TestBedSupport
import Testing
import VirtualCard

/// A card pulled from the field after every possible APDU of a write sequence: the card keeps
/// either everything (the commit was answered) or nothing, as a real DESFire card does, and the
/// client sees a card failure, never a reader failure.
@Suite("Tearing a write transaction through PC/SC")
struct TearingTests {
    /// Select, authenticate, then one change to each transactional file and a commit.
    static func writeSequence(_ client: inout DESFireCard<PCSCCardChannel>, uid: [UInt8]) async throws {
        var random = SystemRandomNumberGenerator()
        let mode = DESFire.CommunicationMode.enciphered
        try await client.selectApplication(TestApplication.aid)
        try await client.authenticateAES(
            keyNumber: TestApplication.writeKeyNumber, key: try TestApplication.writeKey(uid: uid), using: &random)
        try await client.writeData(file: TestApplication.backupFile(mode), data: pattern(32, seed: 0x77), mode: mode)
        try await client.debit(file: TestApplication.valueFile(mode), amount: 250, mode: mode)
        try await client.writeRecord(file: TestApplication.recordFile(mode), data: pattern(16, seed: 0x78), mode: mode)
        try await client.commitTransaction()
    }

    @Test("pulled after each APDU k of select/auth/write/debit/record/commit, the card keeps all or nothing")
    func tearAfterEveryAPDU() async throws {
        let card = try TemporaryCard(uid: randomUID())
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            try await reader.tap(card) { client in
                try await TestApplication.personalize(&client, uid: card.uid)
                var random = SystemRandomNumberGenerator()
                try await client.authenticateAES(
                    keyNumber: TestApplication.writeKeyNumber, key: try TestApplication.writeKey(uid: card.uid),
                    using: &random)
                try await client.credit(file: TestApplication.valueFile(.enciphered), amount: 1000, mode: .enciphered)
                try await client.commitTransaction()
            }
            let before = try card.image()
            let beforeBytes = try card.snapshot()

            // The untorn run tells how many APDUs the sequence takes and what "all" looks like.
            let apdus = try await reader.tap(card) { client in
                try await Self.writeSequence(&client, uid: card.uid)
                return client.apduCount
            }
            let after = try card.image()
            #expect(after != before)
            // select 1 + authenticate 2 + enciphered 32-byte write 2 (55 bytes: chained) + debit 1
            // + record 1 + commit 1.
            #expect(apdus == 8)

            for tearAt in 1...apdus {
                try card.restore(beforeBytes)
                let outcome: Result<Void, any Error> = await Result(catching: {
                    try await reader.tap(card, tearAfterAPDUs: tearAt) { client in
                        try await Self.writeSequence(&client, uid: card.uid)
                    }
                })
                let image = try card.image()
                if tearAt < apdus {
                    #expect(image == before, "torn after APDU \(tearAt) of \(apdus): nothing may have changed")
                    guard case .failure(let error) = outcome else {
                        Issue.record("torn after APDU \(tearAt): the sequence reported success")
                        continue
                    }
                    #expect(error is CardError, "torn after APDU \(tearAt): \(error) should be a card failure")
                } else {
                    #expect(image == after, "torn after the commit was answered: everything must have been kept")
                }
            }

            // The card is still perfectly usable after all that: the last state is `after`.
            let value = try await reader.tap(card) { client in
                var random = SystemRandomNumberGenerator()
                try await client.selectApplication(TestApplication.aid)
                try await client.authenticateAES(
                    keyNumber: TestApplication.readKeyNumber, key: try TestApplication.readKey(uid: card.uid), using: &random)
                return try await client.getValue(file: TestApplication.valueFile(.enciphered), mode: .enciphered)
            }
            #expect(value == 750)
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

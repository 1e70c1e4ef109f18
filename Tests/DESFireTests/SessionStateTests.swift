import Crypto
import SmartCard
import Testing
@testable import DESFire

private let derived = "desfire-derived-exchanges"

@Suite("Session state")
struct SessionStateTests {
    @Test func responseWithoutCommandIsWrongState() {
        var session = DESFireSession()
        #expect(throws: DESFireError.Code.wrongState.expected) { try session.open(DESFireResponse(status: .operationOK, data: [])) }
    }

    @Test func secondCommandWhileOneIsInFlightIsWrongState() throws {
        var session = DESFireSession()
        _ = try session.prepare(.getFileIDs)
        #expect(!session.isIdle)
        #expect(throws: DESFireError.Code.wrongState.expected) { try session.prepare(.getFileIDs) }
        #expect(throws: DESFireError.Code.wrongState.expected) { try session.beginAuthentication(.aes, keyNumber: 0, key: .zero(.aes128)) }
        session.abandon()
        #expect(session.isIdle)
        _ = try session.prepare(.getFileIDs)
    }

    @Test func authenticationStepsOutOfOrderAreWrongState() throws {
        var session = DESFireSession()
        var generator = FixedBytesGenerator([])
        #expect(throws: DESFireError.Code.wrongState.expected) {
            try session.answerChallenge(DESFireResponse(status: .additionalFrame, data: [UInt8](repeating: 0, count: 16)), using: &generator)
        }
        #expect(throws: DESFireError.Code.wrongState.expected) { try session.completeAuthentication(DESFireResponse(status: .operationOK, data: [])) }
        _ = try session.prepare(.getFileIDs)
        #expect(throws: DESFireError.Code.wrongState.expected) { try session.completeAuthentication(DESFireResponse(status: .operationOK, data: [])) }
    }

    /// Authentication frames go through the authentication steps only.
    @Test func authenticationCodesAreNotPreparedAsCommands() {
        var session = DESFireSession()
        for code in [InstructionCode.authenticateAES, .authenticateLegacy, .authenticateISO, .additionalFrame] {
            #expect(throws: DESFireError.Code.wrongState.expected) { try session.prepare(DESFireCommand(code, header: [0])) }
        }
    }

    /// MACed and enciphered modes, GetCardUID, ChangeKey and ChangeKeySettings need a session.
    @Test func protectedModesNeedAuthentication() {
        var session = DESFireSession()
        #expect(throws: DESFireError.Code.notAuthenticated.expected) { try session.prepare(try .readData(file: 1, offset: 0, length: 4, mode: .maced)) }
        #expect(throws: DESFireError.Code.notAuthenticated.expected) { try session.prepare(try .writeData(file: 1, offset: 0, data: [1], mode: .enciphered)) }
        #expect(throws: DESFireError.Code.notAuthenticated.expected) { try session.prepare(.getCardUID) }
        #expect(throws: DESFireError.Code.notAuthenticated.expected) { try session.prepare(try .changeKeySettings(.factoryDefault)) }
        #expect(throws: DESFireError.Code.notAuthenticated.expected) { try session.changeKey(0, to: .zero(.aes128)) }
        #expect(session.isIdle)
    }

    @Test func keyTypeMustFitTheScheme() throws {
        var session = DESFireSession()
        #expect(throws: DESFireError.Code.unsupportedKeyType.expected) { try session.beginAuthentication(.aes, keyNumber: 0, key: .factoryDefault) }
        #expect(throws: DESFireError.Code.unsupportedKeyType.expected) { try session.beginAuthentication(.legacy, keyNumber: 0, key: .zero(.aes128)) }
        #expect(throws: DESFireError.Code.unsupportedKeyType.expected) { try session.beginAuthentication(.legacy, keyNumber: 0, key: .zero(.tripleDES3K)) }
        #expect(throws: DESFireError.Code.unsupportedKeyType.expected) { try session.beginAuthentication(.iso, keyNumber: 0, key: .zero(.aes128)) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try session.beginAuthentication(.aes, keyNumber: 14, key: .zero(.aes128)) }
        let frame = try session.beginAuthentication(.iso, keyNumber: 2, key: .zero(.tripleDES3K))
        #expect(frame.instruction == .authenticateISO)
        #expect(frame.body == [2])
        #expect(frame.maxResponseBytes == 16)
    }

    /// ChangeKey needs the current key for another key, and the PICC level has key 0 only.
    @Test func changeKeyArguments() async throws {
        let index = try stepIndex("ChangeKey(1) from the zero key", in: derived)
        let (card, _, _) = try await TraceReplay.card(afterSteps: index, of: derived)
        #expect(card.session.authenticatedKeyNumber == 0)
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try card.session.changeKey(1, to: .zero(.aes128)) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) {
            try card.session.changeKey(1, to: .zero(.aes128), currentKey: .zero(.tripleDES3K))
        }
        let other = try card.session.changeKey(1, to: .zero(.aes128), currentKey: .zero(.aes128))
        #expect(other.header == [0x01])
        #expect(other.data.count == 17)
        #expect(other.encipheredTrailer.count == 4)
        let same = try card.session.changeKey(0, to: .zero(.aes128))
        #expect(same.encipheredTrailer.isEmpty)
        #expect(same.effect == .changesAuthenticatedKey)

        let picc = try stepIndex("ChangeKey PICC master key DES -> AES", in: derived)
        let (atPICC, _, _) = try await TraceReplay.card(afterSteps: picc, of: derived)
        #expect(atPICC.session.selectedApplication == .picc)
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try atPICC.session.changeKey(1, to: .zero(.aes128), currentKey: .factoryDefault) }
        #expect(try atPICC.session.changeKey(0, to: .zero(.aes128)).header == [0x80])
        #expect(try atPICC.session.changeKey(0, to: .zero(.tripleDES3K)).header == [0x40])
        #expect(try atPICC.session.changeKey(0, to: .factoryDefault).header == [0x00])
    }

    /// An error status from the card ends the authentication (the card drops it too).
    @Test func cardErrorEndsAuthentication() async throws {
        let index = try stepIndex("GetCardUID", in: derived)
        var (card, channel, _) = try await TraceReplay.card(afterSteps: index, of: derived)
        #expect(card.session.isAuthenticated)
        await channel.expect(nativeScript([("BD01000000040000", "9D")]))
        await #expect(throws: DESFireError.Code.permissionDenied.expected) { _ = try await card.readData(file: 1, length: 4, mode: .plain) }
        #expect(!card.session.isAuthenticated)
        // Plain commands still work, and MACed ones are refused before sending.
        await channel.expect(nativeScript([("6F", "0001")]))
        #expect(try await card.getFileIDs() == [1])
        let sent = card.apduCount
        await #expect(throws: DESFireError.Code.notAuthenticated.expected) { _ = try await card.readData(file: 1, length: 4, mode: .maced) }
        #expect(card.apduCount == sent)
    }

    /// SelectApplication ends authentication; reset goes back to the PICC level.
    @Test func selectEndsAuthentication() async throws {
        let index = try stepIndex("GetCardUID", in: derived)
        var (card, channel, _) = try await TraceReplay.card(afterSteps: index, of: derived)
        await channel.expect(nativeScript([("5A563412", "00")]))
        try await card.selectApplication(0x123456)
        #expect(!card.session.isAuthenticated)
        #expect(card.session.selectedApplication == 0x123456)
        var session = card.session
        session.reset()
        #expect(session.selectedApplication == .picc)
    }

    /// Deleting an application is refused unless the PICC level is selected, before sending.
    @Test func deleteApplicationNeedsPICCLevel() async {
        let channel = ScriptedChannel(nativeScript([("5A563412", "00")]))
        var card = DESFireCard(channel: channel)
        try? await card.selectApplication(0x123456)
        await #expect(throws: DESFireError.Code.wrongState.expected) { try await card.deleteApplication(0x123456) }
        #expect(card.apduCount == 1)
    }

    /// A failing channel's error passes through unchanged (tearing recovery keys on it), and the
    /// session forgets its authentication.
    @Test func channelErrorsPassThrough() async throws {
        let index = try stepIndex("GetCardUID", in: derived)
        let (authenticated, _, _) = try await TraceReplay.card(afterSteps: index, of: derived)
        let removed = ClosureChannel { _ in throw CardError(.removed, "card left the field") }
        var card = DESFireCard(channel: removed, session: authenticated.session)
        #expect(card.session.isAuthenticated)
        do {
            try await card.commitTransaction()
            Issue.record("a removed card did not throw")
        } catch let error as CardError {
            #expect(error.code == .removed)
        }
        #expect(!card.session.isAuthenticated)
        #expect(card.session.isIdle)
    }

    /// Random numbers come only from the generator passed in: the same generator bytes give the
    /// same frames.
    @Test func challengeAnswerUsesTheGivenGenerator() throws {
        func answer(_ seed: [UInt8]) throws -> [UInt8] {
            var session = DESFireSession()
            _ = try session.beginAuthentication(.aes, keyNumber: 0, key: .zero(.aes128))
            var generator = FixedBytesGenerator(seed)
            return try session.answerChallenge(DESFireResponse(status: .additionalFrame, data: [UInt8](repeating: 7, count: 16)), using: &generator).body
        }
        #expect(try answer([UInt8](repeating: 1, count: 16)) == answer([UInt8](repeating: 1, count: 16)))
        #expect(try answer([UInt8](repeating: 1, count: 16)) != answer([UInt8](repeating: 2, count: 16)))
    }
}

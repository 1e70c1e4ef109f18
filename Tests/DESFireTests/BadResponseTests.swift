import SmartCard
import Testing
@testable import DESFire

private let elmue = "desfire-ev1-elmue-trace"
private let derived = "desfire-derived-exchanges"

/// Answers a client must refuse, each with its named error, never a crash.
@Suite("Bad responses")
struct BadResponseTests {
    // MARK: MAC and CRC

    /// One flipped bit in the published answer's CMAC.
    @Test func wrongResponseCMAC() async throws {
        let index = try stepIndex("CreateStdDataFile", in: elmue)
        var (card, channel, rest) = try await TraceReplay.card(afterSteps: index, of: elmue)
        #expect(card.session.scheme == .aes)
        await channel.expect([tamperedExchange(rest.first!.exchanges[0]) { $0[$0.count - 1] ^= 0x01 }])
        await #expect(throws: DESFireError.Code.responseMACMismatch.expected) {
            try await card.createStandardDataFile(5, mode: .plain, access: AccessRights(value: 0x0011), size: 80)
        }
        #expect(!card.session.isAuthenticated)
    }

    /// Every single-bit change anywhere in a published MACed answer (data or CMAC) is refused.
    @Test func everyBitOfAMACedAnswerIsProtected() async throws {
        let index = try stepIndex("ReadFileData", in: elmue)
        let (card, _, rest) = try await TraceReplay.card(afterSteps: index, of: elmue)
        let step = rest.first!
        let response = bytes(step.exchanges[0].response)
        let command = try DESFireCommand.readData(file: 5, offset: 0, length: 48, mode: .plain)
        for bit in 8..<(response.count * 8) {  // every bit after the status byte
            var data = Array(response.dropFirst())
            data[bit / 8 - 1] ^= UInt8(1 << (bit % 8))
            let result = outcome(of: DESFireResponse(status: .operationOK, data: data), to: command, in: card.session)
            #expect(result.code == .responseMACMismatch, "bit \(bit)")
            #expect(!result.authenticatedAfter)
        }
        // The untouched answer is accepted, and the session goes on.
        let untouched = outcome(of: DESFireResponse(status: .operationOK, data: Array(response.dropFirst())), to: command, in: card.session)
        #expect(untouched.payload == (0..<48).map { UInt8($0) })
        #expect(untouched.authenticatedAfter)
    }

    /// Every single-bit change in an enciphered answer breaks its CRC.
    @Test func everyBitOfAnEncipheredAnswerIsProtected() async throws {
        let index = try stepIndex("GetCardUID", in: derived)
        let (card, _, rest) = try await TraceReplay.card(afterSteps: index, of: derived)
        let ciphertext = Array(bytes(rest.first!.exchanges[0].response).dropFirst())
        #expect(ciphertext.count == 16)
        for bit in 0..<(ciphertext.count * 8) {
            var data = ciphertext
            data[bit / 8] ^= UInt8(1 << (bit % 8))
            let result = outcome(of: DESFireResponse(status: .operationOK, data: data), to: .getCardUID, in: card.session)
            #expect(result.code == .crcMismatch, "bit \(bit)")
        }
        #expect(outcome(of: DESFireResponse(status: .operationOK, data: ciphertext), to: .getCardUID, in: card.session).payload == bytes("04063F72633480"))
    }

    /// A legacy 4-byte MAC that does not verify.
    @Test func wrongLegacyMAC() async throws {
        let index = try stepIndex("ReadData MACed (legacy)", in: derived)
        var (card, channel, rest) = try await TraceReplay.card(afterSteps: index, of: derived)
        #expect(card.session.scheme == .legacy)
        await channel.expect([tamperedExchange(rest.first!.exchanges[0]) { $0[3] ^= 0x80 }])
        await #expect(throws: DESFireError.Code.responseMACMismatch.expected) {
            _ = try await card.readData(file: 1, length: 11, mode: .maced)
        }
    }

    /// A legacy enciphered answer whose CRC16 does not match.
    @Test func wrongLegacyCRC() async throws {
        let index = try stepIndex("ReadData enciphered (legacy", in: derived)
        var (card, channel, rest) = try await TraceReplay.card(afterSteps: index, of: derived)
        await channel.expect([tamperedExchange(rest.first!.exchanges[0]) { $0[$0.count - 1] ^= 0x04 }])
        await #expect(throws: DESFireError.Code.crcMismatch.expected) {
            _ = try await card.readData(file: 2, length: 11, mode: .enciphered)
        }
    }

    /// Enciphered answers that are not whole blocks, or empty.
    @Test func encipheredAnswerOfWrongLength() async throws {
        let index = try stepIndex("GetCardUID", in: derived)
        let (card, _, _) = try await TraceReplay.card(afterSteps: index, of: derived)
        #expect(outcome(of: DESFireResponse(status: .operationOK, data: [UInt8](repeating: 1, count: 15)), to: .getCardUID, in: card.session).code == .malformedResponse)
        #expect(outcome(of: DESFireResponse(status: .operationOK, data: []), to: .getCardUID, in: card.session).code == .truncatedResponse)
    }

    // MARK: Lengths

    @Test func truncatedPlainAnswer() async {
        let channel = ScriptedChannel(nativeScript([("BD010000000A0000", "0001020304")]))
        var card = DESFireCard(channel: channel)
        await #expect(throws: DESFireError.Code.truncatedResponse.expected) { _ = try await card.readData(file: 1, length: 10, mode: .plain) }
    }

    /// In an EV1 session, an answer too short to hold its CMAC.
    @Test func answerWithoutRoomForCMAC() async throws {
        let index = try stepIndex("GetFileIDs", in: elmue)
        var (card, channel, _) = try await TraceReplay.card(afterSteps: index, of: elmue)
        await channel.expect(nativeScript([("6F", "0005FF")]))
        await #expect(throws: DESFireError.Code.truncatedResponse.expected) { _ = try await card.getFileIDs() }
    }

    @Test func oversizedPlainAnswer() async {
        let channel = ScriptedChannel(nativeScript([("BD01000000040000", "00" + String(repeating: "11", count: 10))]))
        var card = DESFireCard(channel: channel)
        await #expect(throws: DESFireError.Code.oversizedResponse.expected) { _ = try await card.readData(file: 1, length: 4, mode: .plain) }
        #expect(card.apduCount == 1)
    }

    /// A card that never stops sending frames: the client stops asking as soon as the bytes
    /// exceed what the read can produce.
    @Test func endlessAdditionalFramesStop() async {
        let channel = ClosureChannel { _ in ResponseAPDU(data: [UInt8](repeating: 0x42, count: 59), status: StatusWord(0x91AF)) }
        var card = DESFireCard(channel: channel)
        await #expect(throws: DESFireError.Code.oversizedResponse.expected) { _ = try await card.readData(file: 1, length: 100, mode: .plain) }
        #expect(card.apduCount == 2)
    }

    /// GetVersion has three frames; a fourth is refused without being asked for.
    @Test func fourthGetVersionFrameIsRefused() async {
        let channel = ClosureChannel { _ in ResponseAPDU(data: [0x04], status: StatusWord(0x91AF)) }
        var card = DESFireCard(channel: channel)
        await #expect(throws: DESFireError.Code.oversizedResponse.expected) { _ = try await card.getVersion() }
        #expect(card.apduCount == 3)
    }

    /// A status-only command answered with data.
    @Test func dataWhereNoneIsProduced() async {
        let channel = ScriptedChannel(nativeScript([("C7", "00AABB")]))
        var card = DESFireCard(channel: channel)
        await #expect(throws: DESFireError.Code.oversizedResponse.expected) { try await card.commitTransaction() }
    }

    // MARK: Statuses and garbage

    @Test func unknownStatus() async {
        let channel = ScriptedChannel(nativeScript([("C7", "42")]))
        var card = DESFireCard(channel: channel)
        do {
            try await card.commitTransaction()
            Issue.record("status 0x42 was accepted")
        } catch let error as DESFireError {
            #expect(error.code == .unknownStatus)
            #expect(error.status == DESFireStatus(0x42))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// Answers that are not DESFire's `91 xx`.
    @Test(arguments: [0x9000, 0x6A82, 0x6E00, 0x6700, 0x0000] as [UInt16])
    func statusWordThatIsNotDESFire(_ word: UInt16) async {
        let channel = ClosureChannel { _ in ResponseAPDU(data: [], status: StatusWord(word)) }
        var card = DESFireCard(channel: channel)
        await #expect(throws: DESFireError.Code.unexpectedStatusWord.expected) { try await card.commitTransaction() }
        #expect(card.apduCount == 1)
    }

    /// `91 AF` without data after the whole command: the card wants more than there is.
    @Test func cardAsksForMoreData() async {
        let channel = ScriptedChannel(nativeScript([("C7", "AF")]))
        var card = DESFireCard(channel: channel)
        await #expect(throws: DESFireError.Code.additionalFrame.expected) { try await card.commitTransaction() }
    }

    /// Data in the acknowledgement of a command frame, and completion before the last frame.
    @Test func garbageDuringChainedCommand() async {
        let data = [UInt8](repeating: 3, count: 60)
        let withData = ClosureChannel { _ in ResponseAPDU(data: [1], status: StatusWord(0x91AF)) }
        var card = DESFireCard(channel: withData)
        await #expect(throws: DESFireError.Code.malformedResponse.expected) { try await card.writeData(file: 1, data: data, mode: .plain) }
        let early = ClosureChannel { _ in ResponseAPDU(data: [], status: StatusWord(0x9100)) }
        var other = DESFireCard(channel: early)
        await #expect(throws: DESFireError.Code.malformedResponse.expected) { try await other.writeData(file: 1, data: data, mode: .plain) }
        #expect(other.apduCount == 1)
    }

    /// Answers that parse as DESFire frames but not as the command's structure.
    @Test func malformedStructures() async {
        let channel = ScriptedChannel(nativeScript([
            ("F501", "00" + "0900301220000000"),      // file type 9
            ("6A", "0001020304"),                       // 4 bytes: not whole AIDs
            ("6F", "0020"),                             // file number 32
            ("45", "000FC1"),                           // key family bits 11
        ]))
        var card = DESFireCard(channel: channel)
        await #expect(throws: DESFireError.Code.malformedResponse.expected) { _ = try await card.getFileSettings(1) }
        await #expect(throws: DESFireError.Code.malformedResponse.expected) { _ = try await card.getApplicationIDs() }
        await #expect(throws: DESFireError.Code.malformedResponse.expected) { _ = try await card.getFileIDs() }
        await #expect(throws: DESFireError.Code.malformedResponse.expected) { _ = try await card.getKeySettings() }
    }

    // MARK: Authentication

    @Test func cardRefusesAuthentication() async {
        let channel = ScriptedChannel(nativeScript([("AA00", "AE")]))
        var card = DESFireCard(channel: channel)
        var generator = FixedBytesGenerator([])
        await #expect(throws: DESFireError.Code.authenticationError.expected) {
            try await card.authenticateAES(keyNumber: 0, key: .zero(.aes128), using: &generator)
        }
        #expect(card.apduCount == 1)
    }

    @Test(arguments: [
        ("AF" + String(repeating: "00", count: 15), DESFireError.Code.truncatedResponse),
        ("AF" + String(repeating: "00", count: 17), DESFireError.Code.oversizedResponse),
        ("00" + String(repeating: "00", count: 16), DESFireError.Code.malformedResponse),
    ])
    func badChallenge(_ answer: String, _ code: DESFireError.Code) async {
        let channel = ScriptedChannel(nativeScript([("AA00", answer)]))
        var card = DESFireCard(channel: channel)
        var generator = FixedBytesGenerator([])
        await #expect(throws: code.expected) {
            try await card.authenticateAES(keyNumber: 0, key: .zero(.aes128), using: &generator)
        }
        #expect(!card.session.isAuthenticated)
        #expect(card.session.isIdle)
    }

    /// A card (or relay) that does not hold the key cannot produce RndA': the published legacy
    /// trace with the proof's last byte changed.
    @Test func cardThatCannotProveTheKey() async throws {
        let trace = try Vectors.load("desfire-legacy-nxp-forum-trace", as: TraceFile.self)
        let step = trace.steps[0]
        let channel = ScriptedChannel([
            (wrappedCommand(bytes(step.exchanges[0].command)), wrappedResponse(bytes(step.exchanges[0].response))),
            tamperedExchange(step.exchanges[1]) { $0[$0.count - 1] ^= 0x10 },
        ])
        var card = DESFireCard(channel: channel)
        var generator = FixedBytesGenerator(bytes(step.randomA!))
        await #expect(throws: DESFireError.Code.cardAuthenticationFailed.expected) {
            try await card.authenticateLegacy(keyNumber: 0, key: .factoryDefault, using: &generator)
        }
        #expect(!card.session.isAuthenticated)
    }
}

import PropertyBased
import PropertyTesting
import SmartCard
import Testing
@testable import DESFire

private let derived = "desfire-derived-exchanges"

private let accessRightsGen = Gen.uint16().map { AccessRights(value: $0) }
private let modeGen = Gen.element(of: CommunicationMode.allCases)
private let size24 = Gen.int(in: 0...0xFF_FFFF)

private let fileSettingsGen = zip(
    Gen.int(in: 0...4), modeGen, accessRightsGen,
    zip(size24, size24, size24),
    zip(Gen.int32(), Gen.int32(), Gen.int32(), Gen.bool, Gen.bool)
).map { type, mode, access, sizes, value -> FileSettings in
    let kind: FileSettings.Kind
    switch type {
    case 0: kind = .standardData(size: sizes.0)
    case 1: kind = .backupData(size: sizes.0)
    case 2: kind = .value(ValueFileSettings(lowerLimit: value.0, upperLimit: value.1, limitedCreditValue: value.2, limitedCreditEnabled: value.3, freeGetValue: value.4))
    case 3: kind = .linearRecord(RecordFileSettings(recordSize: sizes.0, maxRecords: sizes.1, currentRecords: sizes.2))
    default: kind = .cyclicRecord(RecordFileSettings(recordSize: sizes.0, maxRecords: sizes.1, currentRecords: sizes.2))
    }
    return FileSettings(kind: kind, communicationMode: mode!, accessRights: access)
}

private let versionGen = zip(Gen.uint8().array(of: 7), Gen.uint8().array(of: 7), Gen.uint8().array(of: 7), Gen.uint8().array(of: 5), Gen.uint8(), Gen.uint8())
    .map { hardware, software, uid, batch, week, year in
        VersionInfo(hardware: .init(hardware), software: .init(software), uid: uid, batchNumber: batch, productionWeek: week, productionYear: year)
    }

private let randomBytes = Gen.uint8().array(of: 0...48)

/// Commands whose answers the fuzz tests feed random bytes to, one of each response shape and mode.
private let fuzzedCommands: [DESFireCommand] = {
    var commands: [DESFireCommand] = [.getVersion, .getApplicationIDs, .getFileIDs, .commitTransaction, .freeMemory, .getKeySettings]
    for mode in CommunicationMode.allCases {
        commands.append(try! .readData(file: 1, offset: 0, length: 13, mode: mode))
        commands.append(try! .readAllRecords(file: 4, recordSize: 5, maxRecords: 6, mode: mode))
        commands.append(.getValue(file: 3, mode: mode))
        commands.append(try! .writeData(file: 1, offset: 0, data: [1, 2, 3], mode: mode))
    }
    return commands
}()

@Suite("Properties")
struct PropertyTests {
    // MARK: Round trips

    @Test func fileSettingsRoundTrip() async {
        await propertyCheck(count: 300, input: fileSettingsGen) { settings in
            await failOnThrow {
                let encoded = try settings.bytes()
                #expect(try FileSettings(bytes: encoded) == settings)
            }
        }
    }

    /// Every 16-bit value is valid access rights and encodes back to itself.
    @Test func accessRightsRoundTripExhaustively() throws {
        for value in UInt16.min...UInt16.max {
            let rights = AccessRights(value: value)
            #expect(try rights.value() == value)
            #expect(try AccessRights(bytes: rights.bytes()) == rights)
        }
    }

    @Test func keySettingsRoundTripExhaustively() throws {
        for byte in UInt8.min...UInt8.max {
            #expect(try KeySettings(byte: byte).byte() == byte)
        }
    }

    @Test func keyConfigurationRoundTrip() async {
        await propertyCheck(input: Gen.uint8(), Gen.int(in: 1...14), Gen.element(of: KeyFamily.allCases)) { settings, count, family in
            let configuration = KeyConfiguration(settings: KeySettings(byte: settings), keyCount: count, family: family!)
            #expect((try? KeyConfiguration(bytes: configuration.bytes())) == configuration)
        }
    }

    @Test func versionInfoRoundTrip() async {
        await propertyCheck(input: versionGen) { version in
            #expect((try? VersionInfo(bytes: version.bytes())) == version)
        }
    }

    @Test func applicationIDRoundTrip() async {
        await propertyCheck(input: Gen.uint32(in: 0...0xFF_FFFF)) { value in
            let id = ApplicationID(rawValue: value)!
            #expect((try? ApplicationID(wireBytes: id.wireBytes)) == id)
            #expect(id.wireBytes.count == 3)
        }
        #expect(ApplicationID(rawValue: 0x100_0000) == nil)
        #expect(FileNumber(rawValue: 32) == nil)
    }

    // MARK: Decoders never crash

    /// Any bytes: a value or a named error.
    @Test func decodersNeverCrashOnRandomBytes() async {
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...40)) { bytes in
            await failOnThrow {
                do { _ = try FileSettings(bytes: bytes) } catch is DESFireError {}
                do { _ = try VersionInfo(bytes: bytes) } catch is DESFireError {}
                do { _ = try KeyConfiguration(bytes: bytes) } catch is DESFireError {}
                do { _ = try AccessRights(bytes: bytes) } catch is DESFireError {}
                do { _ = try ApplicationID(wireBytes: bytes) } catch is DESFireError {}
                if let first = bytes.first { do { _ = try CommunicationMode(settingsByte: first) } catch is DESFireError {} }
            }
        }
    }

    /// Random answers (any status, any bytes) to every kind of command, in every session state:
    /// either a payload of a length the command allows, or a named error. Never a crash.
    @Test func sessionNeverCrashesOnRandomAnswers() async throws {
        var sessions: [(String, DESFireSession)] = [("unauthenticated", DESFireSession())]
        for (title, name) in [("GetCardUID", "EV1 AES"), ("WriteData MACed (legacy", "legacy 2K3DES")] {
            let (card, _, _) = try await TraceReplay.card(afterSteps: try stepIndex(title, in: derived), of: derived)
            sessions.append((name, card.session))
        }
        let iso = try await TraceReplay.card(afterSteps: 4, of: "desfire-ev1-elmue-trace")
        #expect(iso.card.session.scheme == .iso)
        sessions.append(("ISO DES", iso.card.session))
        let states = sessions
        await propertyCheck(count: 400, input: Gen.uint8(), randomBytes, Gen.int(in: 0..<fuzzedCommands.count), Gen.int(in: 0..<states.count)) { status, data, commandIndex, stateIndex in
            let command = fuzzedCommands[commandIndex]
            let (_, session) = states[stateIndex]
            for candidate in [status, 0x00] {
                let result = outcome(of: DESFireResponse(status: DESFireStatus(candidate), data: data), to: command, in: session)
                if let payload = result.payload {
                    #expect(command.response.allows(payload.count))
                } else {
                    // After any refusal the session is no longer authenticated.
                    #expect(!result.authenticatedAfter)
                }
                if session.scheme == .aes || session.scheme == .iso {
                    // Random bytes never carry a valid CMAC or CRC32.
                    #expect(result.payload == nil)
                }
            }
        }
    }

    /// Random answers to authentication steps never crash.
    @Test func authenticationNeverCrashesOnRandomAnswers() async {
        await propertyCheck(count: 300, input: Gen.uint8(), randomBytes, Gen.uint8(), randomBytes) { status1, data1, status2, data2 in
            await failOnThrow {
                for (scheme, key) in [(DESFireSession.Scheme.aes, DESFireKey.zero(.aes128)), (.legacy, .factoryDefault), (.iso, .zero(.tripleDES3K))] {
                    var session = DESFireSession()
                    var generator = FixedBytesGenerator(data2)
                    _ = try session.beginAuthentication(scheme, keyNumber: 0, key: key)
                    for candidate in [status1, 0xAF] {
                        var copy = session
                        if (try? copy.answerChallenge(DESFireResponse(status: DESFireStatus(candidate), data: data1), using: &generator)) != nil {
                            _ = try? copy.completeAuthentication(DESFireResponse(status: DESFireStatus(status2), data: data2))
                        }
                        #expect(copy.isIdle)
                    }
                }
            }
        }
    }

    /// Random answer APDUs to an exchange: it ends (finished or a named error) without asking
    /// for more frames than the answer can hold.
    @Test func exchangeNeverCrashesAndStaysBounded() async {
        let frameGen = zip(Gen.uint8(), Gen.uint8(), Gen.uint8().array(of: 0...70)).map { sw1, sw2, data in
            ResponseAPDU(data: data, status: StatusWord(sw1: sw1 & 0x03 == 0 ? sw1 : 0x91, sw2: sw2))
        }
        await propertyCheck(count: 500, input: frameGen.array(of: 1...12), Gen.int(in: 0...120), Gen.int(in: 0...200)) { answers, bodyLength, maximum in
            let frame = PreparedFrame(instruction: .readData, body: [UInt8](repeating: 0, count: bodyLength), maxResponseBytes: maximum, maxResponseFrames: nil)
            var exchange = DESFireExchange(frame)
            var sent = 1
            for answer in answers {
                guard case .send = (try? exchange.receive(answer)) ?? .finished(DESFireResponse(status: .operationOK, data: [])) else { break }
                sent += 1
            }
            #expect(sent <= exchange.commandFrameCount + maximum + 1)
        }
    }

    /// A card answering random bytes to everything: every client method ends with a value or an
    /// error, never a crash and never an unbounded number of APDUs.
    @Test func clientNeverCrashesOnARandomCard() async {
        await propertyCheck(count: 200, input: Gen.uint64()) { seed in
            let channel = ClosureChannel { command in
                var generator = SeededGenerator(seed: seed ^ UInt64(command.bytes.count) &* 0x9E37_79B9_7F4A_7C15)
                let length = Int(generator.next() % 40)
                let data = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                let sw2: UInt8 = [0x00, 0xAF, 0xAE, UInt8(truncatingIfNeeded: generator.next())][Int(generator.next() % 4)]
                return ResponseAPDU(data: data, status: StatusWord(sw1: 0x91, sw2: sw2))
            }
            var card = DESFireCard(channel: channel)
            var random = SeededGenerator(seed: seed)
            _ = try? await card.getVersion()
            _ = try? await card.authenticateAES(keyNumber: 0, key: .zero(.aes128), using: &random)
            _ = try? await card.readData(file: 1, length: 100, mode: .plain)
            _ = try? await card.getApplicationIDs()
            _ = try? await card.readAllRecords(file: 2, recordSize: 16, maxRecords: 4, mode: .plain)
            _ = try? await card.authenticateLegacy(keyNumber: 0, key: .factoryDefault, using: &random)
            _ = try? await card.getValue(file: 3, mode: .plain)
            #expect(card.apduCount <= 3 + 2 + 100 + 92 + 64 + 2 + 4)
            #expect(card.session.isIdle)
        }
    }
}

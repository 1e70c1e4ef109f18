import Foundation
import Testing
import TestBedSupport
import VirtualCard

/// The vpcd link against a fake vpcd in the test: framing, control bytes and the ways a
/// session ends, without pcscd.
@Suite("vpcd link against a fake vpcd")
struct VpcdLinkTests {
    @Test func controlBytesReachTheCardAndOnlyGetATRIsAnswered() async throws {
        let fake = try FakeVpcd()
        let card = EchoCard()
        let session = RunningVirtualCard.start(card: card, options: VpcdLinkOptions(port: fake.port))
        let connection = try await onOwnThread { try fake.accept() }
        try await onOwnThread { () throws in
            try connection.sendFrame([0x01])
            try connection.sendFrame([0x04])
            let atr = try connection.receiveFrame()
            #expect(atr == EchoCard.desfireATR)
            try connection.sendFrame([0x02])
            try connection.sendFrame([0x00])
            try connection.sendFrame([0x07])
            #expect(connection.staysSilent(for: .milliseconds(200)))
            // An APDU after the control bytes is still answered: nothing was misread as data.
            #expect(try connection.exchange([0x00, 0x01, 0x02, 0x03, 0x01, 0x42]) == [0x42, 0x90, 0x00])
        }
        connection.hangUp()
        #expect(try await session.end() == .readerClosed(apdus: 1))
        let events = card.events
        #expect(events.powerOns == 1)
        #expect(events.resets == 1)
        #expect(events.powerOffs == 1)
        #expect(events.commands == 1)
        #expect(events.fieldExits == 1)
    }

    @Test func framesSplitAcrossManySendsAreReassembled() async throws {
        let fake = try FakeVpcd()
        let session = RunningVirtualCard.start(card: EchoCard(), options: VpcdLinkOptions(port: fake.port))
        let connection = try await onOwnThread { try fake.accept() }
        let data = (0..<200).map { UInt8($0 & 0xFF) }
        let command: [UInt8] = [0x00, 0xEE, 0x00, 0x00, UInt8(data.count)] + data
        let response = try await onOwnThread { () throws in
            let frame = [UInt8(command.count >> 8), UInt8(command.count & 0xFF)] + command
            for byte in frame { try connection.sendRaw([byte]) }
            return try connection.receiveFrame()
        }
        #expect(response == data + [0x90, 0x00])
        // Two frames in one send are both answered.
        let pair = try await onOwnThread { () throws in
            try connection.sendRaw([0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 0x7F])
            return [try connection.receiveFrame(), try connection.receiveFrame()]
        }
        #expect(pair == [[0x90, 0x00], [0x7F, 0x90, 0x00]])
        session.stop()
        #expect(try await session.end() == .stopped(apdus: 3))
    }

    @Test(arguments: [1, 2, 5])
    func tearAfterNClosesRightAfterTheNthResponse(n: Int) async throws {
        let fake = try FakeVpcd()
        let card = EchoCard()
        let session = RunningVirtualCard.start(card: card, options: VpcdLinkOptions(port: fake.port, tearAfterAPDUs: n))
        let connection = try await onOwnThread { try fake.accept() }
        try await onOwnThread { () throws in
            for index in 0..<n {
                #expect(try connection.exchange([0x00, 0x10, 0x00, 0x00, 0x01, UInt8(index)]) == [UInt8(index), 0x90, 0x00])
            }
            #expect(try connection.waitForClose())
        }
        #expect(try await session.end() == .torn(apdus: n))
        #expect(card.events.fieldExits == 1)
    }

    @Test func tearAfterZeroLeavesAtOnce() async throws {
        let fake = try FakeVpcd()
        let session = RunningVirtualCard.start(card: EchoCard(), options: VpcdLinkOptions(port: fake.port, tearAfterAPDUs: 0))
        let closed = try await onOwnThread { try fake.accept().waitForClose() }
        #expect(closed)
        #expect(try await session.end() == .torn(apdus: 0))
    }

    /// The card leaves by itself once its field time is over. (No APDU is exchanged here: on a
    /// loaded machine an exchange could land after the field time and race the close.)
    @Test func theFieldTimeEndsTheSession() async throws {
        let fake = try FakeVpcd()
        let card = EchoCard()
        let session = RunningVirtualCard.start(card: card, options: VpcdLinkOptions(port: fake.port, fieldTime: .milliseconds(300)))
        let connection = try await onOwnThread { try fake.accept() }
        #expect(try await onOwnThread { try connection.waitForClose() })
        #expect(try await session.end() == .fieldTimeElapsed(apdus: 0))
        #expect(card.events.fieldExits == 1)
    }

    @Test func theStopSignalEndsAnIdleSession() async throws {
        let fake = try FakeVpcd()
        let card = EchoCard()
        let session = RunningVirtualCard.start(card: card, options: VpcdLinkOptions(port: fake.port))
        let connection = try await onOwnThread { try fake.accept() }
        #expect(!session.hasEnded)
        session.stop()
        #expect(try await session.end() == .stopped(apdus: 0))
        #expect(try await onOwnThread { try connection.waitForClose() })
        #expect(card.events.fieldExits == 1)
    }

    @Test func aStopBeforeConnectingEndsWithoutConnecting() throws {
        let signal = VpcdStopSignal()
        signal.stop()
        let card = EchoCard()
        // Nothing listens on this port: a connect attempt would be retried for the full timeout.
        let port = try FakeVpcd.unusedPort()
        let end = try runVpcdSession(card: card, options: VpcdLinkOptions(port: port, connectTimeout: .seconds(30)), stop: signal)
        #expect(end == .stopped(apdus: 0))
        #expect(card.events.fieldExits == 1)
    }

    @Test func connectingRetriesUntilTheReaderListens() async throws {
        let port = try FakeVpcd.unusedPort()
        let session = RunningVirtualCard.start(card: EchoCard(), options: VpcdLinkOptions(port: port, connectTimeout: .seconds(20)))
        // The session is already retrying; the reader appears only now.
        let fake = try FakeVpcd(port: port)
        let connection = try await onOwnThread { try fake.accept() }
        #expect(try await onOwnThread { try connection.exchange([0xFF, 0xCA, 0x00, 0x00, 0x00]) } == EchoCard.defaultUID + [0x90, 0x00])
        connection.hangUp()
        #expect(try await session.end() == .readerClosed(apdus: 1))
    }

    @Test func noReaderMeansANamedErrorAfterTheConnectTimeout() async throws {
        let port = try FakeVpcd.unusedPort()
        let card = EchoCard()
        let session = RunningVirtualCard.start(card: card, options: VpcdLinkOptions(port: port, connectTimeout: .milliseconds(200)))
        await #expect(throws: VpcdLinkError(.connectionRefused, "")) { try await session.end() }
        #expect(card.events.fieldExits == 1)
    }

    @Test func anUnknownHostIsANamedError() {
        #expect(throws: VpcdLinkError(.unknownHost, "")) {
            try runVpcdSession(card: EchoCard(), options: VpcdLinkOptions(host: "no-such-host.invalid", port: 1))
        }
    }

    @Test func anEmptyFrameIsAProtocolViolation() async throws {
        let fake = try FakeVpcd()
        let card = EchoCard()
        let session = RunningVirtualCard.start(card: card, options: VpcdLinkOptions(port: fake.port))
        let connection = try await onOwnThread { try fake.accept() }
        try connection.sendRaw([0x00, 0x00])
        await #expect(throws: VpcdLinkError(.protocolViolation, "")) { try await session.end() }
        #expect(card.events.fieldExits == 1)
    }

    @Test func negativeOptionsAreRefused() {
        #expect(throws: VpcdLinkError(.invalidOptions, "")) {
            try runVpcdSession(card: EchoCard(), options: VpcdLinkOptions(port: 1, tearAfterAPDUs: -1))
        }
    }
}

@Suite("echo card")
struct EchoCardTests {
    @Test(arguments: [
        ([0x00, 0x01, 0x02, 0x03], [0x90, 0x00]),
        ([0x00, 0x01, 0x02, 0x03, 0x10], [0x90, 0x00]),
        ([0x00, 0x01, 0x02, 0x03, 0x02, 0xAB, 0xCD], [0xAB, 0xCD, 0x90, 0x00]),
        ([0x00, 0x01, 0x02, 0x03, 0x01, 0xAB, 0x00], [0xAB, 0x90, 0x00]),
        ([0x00, 0x01, 0x02, 0x03, 0x05, 0xAB], [0x67, 0x00]),
        ([0x00, 0x01], [0x67, 0x00]),
        ([0xFF, 0xCA, 0x00, 0x00, 0x00], EchoCard.defaultUID + [0x90, 0x00]),
        ([0xFF, 0xCA, 0x01, 0x00, 0x00], [0x6A, 0x81]),
    ] as [([UInt8], [UInt8])])
    func answers(command: [UInt8], expected: [UInt8]) {
        #expect(EchoCard().respond(to: command) == expected)
    }
}

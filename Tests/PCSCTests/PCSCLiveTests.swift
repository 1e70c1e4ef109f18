import PCSC
import SmartCard
import Testing
import TestBedSupport
import VirtualCard

/// Through the real stack: this code → libpcsclite → pcscd → vpcd → an in-process EchoCard.
/// Every test leases its own reader from the test bed, so they run in parallel safely.
@Suite("PC/SC through pcscd and vpcd")
struct PCSCLiveTests {
    let client = PCSCClient()

    @Test func theServiceListsTheTestBedReaders() async throws {
        let bed = try await TestBed.shared.allReaders()
        #expect(bed.count >= 4)
        try await TestBed.shared.withReader { _ in
            let names = try client.readers()
            for reader in bed {
                #expect(names.contains(reader.name), "\(reader.name) missing from \(names)")
            }
        }
    }

    @Test func anEmptyReaderReportsNoCard() async throws {
        try await TestBed.shared.withReader { reader in
            let status = try await client.waitForCard(in: reader.name, present: false, timeout: .seconds(10))
            #expect(!status.cardPresent)
            #expect(status.atr.isEmpty)
            #expect(try client.status(of: reader.name).cardPresent == false)
        }
    }

    @Test func connectingToAnEmptyReaderIsACardError() async throws {
        try await TestBed.shared.withReader { reader in
            _ = try await client.waitForCard(in: reader.name, present: false, timeout: .seconds(10))
            await #expect(throws: CardError(.removed, "")) {
                try await client.withCard(reader: reader.name) { _ in }
            }
        }
    }

    @Test func anAbsentReaderIsAReaderError() async throws {
        // Leasing a reader makes sure pcscd runs (and is not being restarted by another test).
        try await TestBed.shared.withReader { _ in
            let missing = "Hromada No Such Reader 00 00"
            #expect(throws: ReaderError(.unknownReader, "")) { try client.status(of: missing) }
            await #expect(throws: ReaderError(.unknownReader, "")) {
                try await client.withCard(reader: missing) { _ in }
            }
            await #expect(throws: ReaderError(.unknownReader, "")) {
                try await client.waitForCard(in: missing, timeout: .seconds(5))
            }
        }
    }

    @Test func theCardShowsTheDESFireATRAndUID() async throws {
        try await TestBed.shared.withReader { reader in
            try await reader.withVirtualCard(EchoCard()) { _ in
                let status = try client.status(of: reader.name)
                #expect(status.cardPresent)
                #expect(status.card?.looksLikeDESFire == true)
                try await client.withCard(reader: reader.name) { channel in
                    #expect(channel.atr == CardIdentity.desfireATR)
                    #expect(try await channel.readUID() == EchoCard.defaultUID)
                    let cardStatus = try await channel.status()
                    #expect(cardStatus.cardPresent)
                    #expect(cardStatus.atr == CardIdentity.desfireATR)
                }
            }
        }
    }

    @Test(arguments: [CardProtocols.t1, CardProtocols.t0])
    func echoRoundTripsOfEveryLength(protocols: CardProtocols) async throws {
        try await TestBed.shared.withReader { reader in
            try await reader.withVirtualCard(EchoCard()) { _ in
                try await client.withCard(reader: reader.name, protocols: protocols) { channel in
                    #expect(channel.activeProtocol == (protocols == .t0 ? .t0 : .t1))
                    for length in 0...255 {
                        let data = (0..<length).map { UInt8(($0 * 7 + length) & 0xFF) }
                        let response = try await channel.transmit(CommandAPDU(cla: 0x80, ins: 0x10, p1: 0, p2: 0, data: data))
                        #expect(response.status == .success)
                        #expect(response.data == data, "length \(length)")
                    }
                    // Case 4 (data and Le) as DESFire's wrapped commands send it.
                    let wrapped = try await channel.transmit(CommandAPDU(cla: 0x90, ins: 0x60, data: [0x01, 0x02], le: 0x00))
                    #expect(wrapped.data == [0x01, 0x02])
                }
            }
        }
    }

    @Test func rawTransmitReturnsTheCardsBytes() async throws {
        try await TestBed.shared.withReader { reader in
            try await reader.withVirtualCard(EchoCard()) { _ in
                try await client.withCard(reader: reader.name) { channel in
                    let answer = try await channel.transmit(bytes: [0x00, 0x01, 0x00, 0x00, 0x01, 0x5A])
                    #expect(answer == [0x5A, 0x90, 0x00])
                }
            }
        }
    }

    @Test(arguments: [CardDisposition.leave, .reset, .unpower])
    func everyDispositionLeavesTheCardUsable(disposition: CardDisposition) async throws {
        try await TestBed.shared.withReader { reader in
            let card = EchoCard()
            try await reader.withVirtualCard(card) { _ in
                try await client.withCard(reader: reader.name, disposition: disposition) { channel in
                    _ = try await channel.readUID()
                }
                let powerCyclesBefore = card.events.powerOns
                try await client.withCard(reader: reader.name) { channel in
                    let uid = try await channel.readUID()
                    #expect(uid == EchoCard.defaultUID)
                }
                if disposition == .leave {
                    #expect(card.events.powerOns == powerCyclesBefore)
                }
            }
        }
    }

    @Test func aCardTornAwayMidSessionIsCardErrorRemoved() async throws {
        try await TestBed.shared.withReader { reader in
            try await reader.withVirtualCard(EchoCard(), tearAfterAPDUs: 2) { running in
                try await client.withCard(reader: reader.name) { channel in
                    _ = try await channel.readUID()
                    _ = try await channel.readUID()
                    await #expect(throws: CardError(.removed, "")) { try await channel.readUID() }
                }
                #expect(try await running.end() == .torn(apdus: 2))
            }
        }
    }

    @Test func aCardPulledAwayBetweenCommandsIsCardErrorRemoved() async throws {
        try await TestBed.shared.withReader { reader in
            try await reader.withVirtualCard(EchoCard()) { running in
                try await client.withCard(reader: reader.name) { channel in
                    _ = try await channel.readUID()
                    running.stop()
                    #expect(try await running.end() == .stopped(apdus: 1))
                    await #expect(throws: CardError(.removed, "")) { try await channel.readUID() }
                }
            }
        }
    }

    @Test func theFieldTimeTakesTheCardAwayAndPCSCSeesIt() async throws {
        try await TestBed.shared.withReader { reader in
            try await reader.withVirtualCard(EchoCard(), fieldTime: .milliseconds(1500)) { running in
                try await client.withCard(reader: reader.name) { channel in
                    let uid = try await channel.readUID()
                    #expect(uid == EchoCard.defaultUID)
                }
                let status = try await client.waitForCard(in: reader.name, present: false, timeout: .seconds(10))
                #expect(!status.cardPresent)
                #expect(try await running.end() == .fieldTimeElapsed(apdus: 1))
            }
        }
    }

    @Test func aChannelUsedAfterItsSessionThrows() async throws {
        try await TestBed.shared.withReader { reader in
            try await reader.withVirtualCard(EchoCard()) { _ in
                let escaped = try await client.withCard(reader: reader.name) { $0 }
                await #expect(throws: ReaderError(.internalFailure, "")) { try await escaped.readUID() }
            }
        }
    }

    @Test func waitingForACardCanBeCancelled() async throws {
        try await TestBed.shared.withReader { reader in
            let client = client
            let waiting = Task {
                try await client.waitForCard(in: reader.name, present: true, timeout: .seconds(3600))
            }
            waiting.cancel()
            await #expect(throws: ReaderError(.cancelled, "")) { try await waiting.value }
        }
    }

    @Test func waitingForACardTimesOut() async throws {
        try await TestBed.shared.withReader { reader in
            await #expect(throws: ReaderError(.timeout, "")) {
                try await client.waitForCard(in: reader.name, present: true, timeout: .milliseconds(200))
            }
        }
    }

    @Test func vpcdOffersNoReaderEscapes() async throws {
        try await TestBed.shared.withReader { reader in
            // The vpcd driver does not take this escape: pcscd answers SCARD_E_UNSUPPORTED_FEATURE.
            await #expect(throws: ReaderError(.unsupportedFeature, "")) {
                try await client.controlReader(reader.name, code: PCSCClient.getFeatureRequest)
            }
        }
    }
}

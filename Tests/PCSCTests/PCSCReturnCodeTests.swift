import PCSC
import SmartCard
import Testing

@Suite("PC/SC return codes")
struct PCSCReturnCodeTests {
    @Test(arguments: [
        (PCSCReturnCode.removedCard, CardError.Code.removed),
        (.noSmartCard, .removed),
        (.resetCard, .reset),
        (.unresponsiveCard, .unresponsive),
        (.unpoweredCard, .unresponsive),
        (.protocolMismatch, .protocolMismatch),
        (.unsupportedCard, .protocolMismatch),
    ])
    func cardFailuresAreCardErrors(code: PCSCReturnCode, expected: CardError.Code) throws {
        let error = try #require(code.error(during: "test") as? CardError)
        #expect(error.code == expected)
        #expect(code.isCardFailure)
    }

    @Test(arguments: [
        (PCSCReturnCode.noService, ReaderError.Code.serviceUnavailable),
        (.serviceStopped, .serviceUnavailable),
        (.noReadersAvailable, .noReaders),
        (.unknownReader, .unknownReader),
        (.readerUnavailable, .readerUnavailable),
        (.sharingViolation, .sharingViolation),
        (.cancelled, .cancelled),
        (.timeout, .timeout),
        (.notTransacted, .internalFailure),
        (.unsupportedFeature, .unsupportedFeature),
        (PCSCReturnCode(rawValue: 0x8010_00FF), .internalFailure),
    ])
    func everythingElseIsAReaderError(code: PCSCReturnCode, expected: ReaderError.Code) throws {
        let error = try #require(code.error(during: "test") as? ReaderError)
        #expect(error.code == expected)
        #expect(!code.isCardFailure)
    }

    @Test func codesReadAsTheirPCSCNames() {
        #expect(PCSCReturnCode(rawValue: 0x8010_0069).name == "SCARD_W_REMOVED_CARD")
        #expect(PCSCReturnCode.noService.description == "SCARD_E_NO_SERVICE")
        #expect(PCSCReturnCode(rawValue: 0x8010_00FF).name == "0x801000FF")
        switch PCSCReturnCode(rawValue: 0x8010_000A) {
        case .timeout: break
        default: Issue.record("0x8010000A should match .timeout")
        }
    }
}

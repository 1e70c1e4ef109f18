import Testing
@testable import DESFire

/// Every status byte the EV1 datasheet defines, with the error code it becomes.
private let statusTable: [(UInt8, DESFireStatus, DESFireError.Code?)] = [
    (0x00, .operationOK, nil),
    (0x0C, .noChanges, .noChanges),
    (0x0E, .outOfEEPROM, .outOfEEPROM),
    (0x1C, .illegalCommand, .illegalCommand),
    (0x1E, .integrityError, .integrityError),
    (0x40, .noSuchKey, .noSuchKey),
    (0x7E, .lengthError, .lengthError),
    (0x9D, .permissionDenied, .permissionDenied),
    (0x9E, .parameterError, .parameterError),
    (0xA0, .applicationNotFound, .applicationNotFound),
    (0xA1, .applicationIntegrityError, .applicationIntegrityError),
    (0xAE, .authenticationError, .authenticationError),
    (0xAF, .additionalFrame, .additionalFrame),
    (0xBE, .boundaryError, .boundaryError),
    (0xC1, .cardIntegrityError, .cardIntegrityError),
    (0xCA, .commandAborted, .commandAborted),
    (0xCD, .cardDisabled, .cardDisabled),
    (0xCE, .countError, .countError),
    (0xDE, .duplicateError, .duplicateError),
    (0xEE, .eepromError, .eepromError),
    (0xF0, .fileNotFound, .fileNotFound),
    (0xF1, .fileIntegrityError, .fileIntegrityError),
]

@Suite("Statuses and errors")
struct StatusAndErrorTests {
    @Test(arguments: statusTable)
    func statusByteHasNameAndCode(_ byte: UInt8, _ status: DESFireStatus, _ code: DESFireError.Code?) {
        #expect(DESFireStatus(byte) == status)
        #expect(status.isKnown)
        #expect(status.description.contains(status.name!))
        if let code {
            let error = DESFireError(status: status, command: .readData)
            #expect(error.code == code)
            #expect(error.status == status)
        }
    }

    /// A card status, answered to a command, becomes the named error and ends authentication.
    @Test(arguments: statusTable.filter { $0.0 != 0x00 && $0.0 != 0xAF })
    func cardStatusBecomesNamedError(_ byte: UInt8, _ status: DESFireStatus, _ code: DESFireError.Code?) async {
        let channel = ScriptedChannel([(wrappedCommand([0x6C, 0x01]), [0x91, byte])])
        var card = DESFireCard(channel: channel)
        do {
            _ = try await card.getValue(file: 1, mode: .plain)
            Issue.record("status 0x\(String(byte, radix: 16)) did not throw")
        } catch let error as DESFireError {
            #expect(error.code == code)
            #expect(error.status == status)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func undefinedStatusesAreUnknown() {
        let defined = Set(statusTable.map(\.0))
        for byte in UInt8.min...UInt8.max where !defined.contains(byte) {
            let status = DESFireStatus(byte)
            #expect(!status.isKnown)
            #expect(DESFireError(status: status, command: .getValue).code == .unknownStatus)
        }
    }

    /// Names read in `switch`, and errors match codes in `catch` patterns.
    @Test func patternMatching() {
        func describe(_ status: DESFireStatus) -> String {
            switch status {
            case .permissionDenied: "denied"
            case .boundaryError: "boundary"
            default: "other"
            }
        }
        #expect(describe(DESFireStatus(0x9D)) == "denied")
        #expect(describe(DESFireStatus(0xBE)) == "boundary")
        #expect(describe(DESFireStatus(0x00)) == "other")

        let error = DESFireError(status: .fileNotFound, command: .readData)
        switch error {
        case DESFireError.Code.fileNotFound: break
        default: Issue.record("~= did not match the code")
        }
        // Equality compares codes only.
        #expect(error == DESFireError(.fileNotFound, "another reason"))
        #expect(error != DESFireError(.boundaryError, "x"))
        #expect(error.description.contains("file-not-found"))
    }
}

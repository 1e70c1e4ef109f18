internal import CPCSCLite
import SmartCard

/// A connected card: the context it was opened in, its handle and the protocol in use.
///
/// Plain integers, so a session's worker thread can carry it around; only that thread calls
/// these methods.
struct CardConnection: Sendable {
    let reader: String
    let context: Int
    let handle: Int
    let activeProtocol: UInt

    /// pcsc-lite's MAX_BUFFER_SIZE_EXTENDED (a macro Swift does not import): an extended APDU
    /// of 64 KiB with header, Lc, Le and status.
    static let maximumExchange = 4 + 3 + (1 << 16) + 3 + 2

    static func connect(reader: String, protocols: CardProtocols, share: Int32 = SCARD_SHARE_SHARED) throws -> CardConnection {
        let context = try PCSCCalls.establishContext()
        var handle: SCARDHANDLE = 0
        var active: DWORD = 0
        let code = PCSCReturnCode(SCardConnect(context, reader, DWORD(share), DWORD(protocols.rawValue), &handle, &active))
        guard code == .success else {
            PCSCCalls.releaseContext(context)
            throw code.error(during: "SCardConnect(\(reader))")
        }
        return CardConnection(reader: reader, context: context, handle: handle, activeProtocol: UInt(active))
    }

    /// Disconnects and releases the context; errors are ignored (the handle is gone either way).
    func disconnect(_ disposition: CardDisposition) {
        let value: Int32 = switch disposition {
        case .leave: SCARD_LEAVE_CARD
        case .reset: SCARD_RESET_CARD
        case .unpower: SCARD_UNPOWER_CARD
        case .eject: SCARD_EJECT_CARD
        }
        _ = SCardDisconnect(handle, DWORD(value))
        PCSCCalls.releaseContext(context)
    }

    var cardProtocol: CardProtocol {
        switch activeProtocol {
        case UInt(SCARD_PROTOCOL_T0): .t0
        case UInt(SCARD_PROTOCOL_T1): .t1
        default: .raw
        }
    }

    /// Sends raw bytes with the active protocol's PCI and returns the raw answer.
    func transmit(_ command: [UInt8]) throws -> [UInt8] {
        var sendPCI = SCARD_IO_REQUEST(
            dwProtocol: activeProtocol, cbPciLength: UInt(MemoryLayout<SCARD_IO_REQUEST>.size)
        )
        var received = [UInt8](repeating: 0, count: Self.maximumExchange)
        var receivedLength = DWORD(received.count)
        let code = PCSCReturnCode(command.withUnsafeBufferPointer { commandBytes in
            received.withUnsafeMutableBufferPointer { answer in
                SCardTransmit(handle, &sendPCI, commandBytes.baseAddress, DWORD(commandBytes.count), nil,
                              answer.baseAddress, &receivedLength)
            }
        })
        guard code == .success else { throw classifyFailure(code, during: "SCardTransmit") }
        guard receivedLength >= 2 else { throw classifyShortAnswer(Int(receivedLength)) }
        return Array(received.prefix(Int(receivedLength)))
    }

    /// Sends a reader escape (`SCardControl`) and returns the reader's answer.
    func control(code controlCode: UInt32, data: [UInt8]) throws -> [UInt8] {
        var received = [UInt8](repeating: 0, count: Self.maximumExchange)
        var returned: DWORD = 0
        let receivedCapacity = DWORD(received.count)
        let code = PCSCReturnCode(data.withUnsafeBytes { input in
            received.withUnsafeMutableBytes { output in
                SCardControl(handle, DWORD(controlCode), input.baseAddress, DWORD(input.count),
                             output.baseAddress, receivedCapacity, &returned)
            }
        })
        guard code == .success else { throw code.error(during: "SCardControl(0x\(String(controlCode, radix: 16)))") }
        return Array(received.prefix(Int(returned)))
    }

    /// `SCardStatus`: whether the card is still there, and its ATR.
    func status(reader: String) throws -> ReaderStatus {
        var nameLength: DWORD = 0
        var state: DWORD = 0
        var protocolInUse: DWORD = 0
        var atr = [UInt8](repeating: 0, count: Int(MAX_ATR_SIZE))
        var atrLength = DWORD(atr.count)
        let code = PCSCReturnCode(SCardStatus(handle, nil, &nameLength, &state, &protocolInUse, &atr, &atrLength))
        guard code == .success else { throw code.error(during: "SCardStatus") }
        let present = state & DWORD(SCARD_PRESENT) != 0
        return ReaderStatus(
            reader: reader,
            eventState: present ? ReaderStateBits.present : ReaderStateBits.empty,
            atr: Array(atr.prefix(Int(atrLength)))
        )
    }

    /// How long a failed exchange waits for pcscd to notice that the card has gone. Readers
    /// poll for presence (pcscd polls vpcd every 400 ms), so right after a card leaves mid-APDU
    /// the service may still report it present.
    static let removalSettleTime = Duration.milliseconds(1000)

    /// Turns a transmit failure into the right domain. Drivers report a card that left
    /// mid-exchange in several ways (`SCARD_E_NOT_TRANSACTED`, `SCARD_F_COMM_ERROR`, …); the
    /// reader's state, watched for a moment, says whether the card is gone (``CardError``
    /// `removed`), still there but silent (`unresponsive`), or whether the service itself is
    /// the problem (``ReaderError``).
    func classifyFailure(_ code: PCSCReturnCode, during operation: String) -> any Error {
        if code.isCardFailure { return code.error(during: operation) }
        switch settledPresence() {
        case nil:
            // The service cannot say: report what the transmit said, in the reader domain.
            return code.error(during: operation)
        case .readerGone:
            return ReaderError(.readerUnavailable, "\(operation) failed: \(code.name); the reader has gone")
        case .absent:
            return CardError(.removed, "\(operation) failed: \(code.name); the card has left the field")
        case .present:
            return CardError(.unresponsive, "\(operation) failed: \(code.name); the card is present but did not answer")
        }
    }

    /// An answer too short to hold SW1 SW2. vpcd gives one when its card has just left the
    /// field, so the reader's state decides: a card that is gone is `removed`, one still there
    /// answered nonsense (`malformedResponse`).
    func classifyShortAnswer(_ count: Int) -> any Error {
        switch settledPresence() {
        case .absent:
            return CardError(.removed, "SCardTransmit returned \(count) byte(s); the card has left the field")
        case .readerGone:
            return ReaderError(.readerUnavailable, "SCardTransmit returned \(count) byte(s); the reader has gone")
        case .present, nil:
            return CardError(.malformedResponse, "the card answered \(count) byte(s), fewer than SW1 SW2")
        }
    }

    enum Presence { case present, absent, readerGone }

    /// The card's presence once pcscd has had time to notice a removal (`removalSettleTime`);
    /// nil when the service cannot say.
    private func settledPresence() -> Presence? {
        var queries = [PCSCCalls.ReaderStateQuery(reader: reader, currentState: ReaderStateBits.unaware)]
        var stateCode = PCSCCalls.getStatusChange(context, &queries, timeout: .zero)
        if stateCode == .success, queries[0].eventState & ReaderStateBits.present != 0 {
            queries[0].currentState = queries[0].eventState & ~ReaderStateBits.changed
            stateCode = PCSCCalls.getStatusChange(context, &queries, timeout: Self.removalSettleTime)
            if stateCode == .timeout { stateCode = .success }
        }
        guard stateCode == .success else { return nil }
        if queries[0].eventState & ReaderStateBits.unknown != 0 { return .readerGone }
        if queries[0].eventState & ReaderStateBits.present == 0 { return .absent }
        return .present
    }
}

import Entitlements
import Identifiers
import PCSC
import SmartCard

/// Turns a PC/SC connection to a card into a tap: builds the `TapCard` for the card's kind and
/// runs the pipeline on it.
///
/// The daemon holds one; tests and benchmarks may hold another (e.g. one that counts bytes).
public protocol CardTapper: Sendable {
    /// Runs one tap on the card behind `channel`, whose ATR the reader reported as `atr`.
    func tap(
        channel: PCSCCardChannel, atr: [UInt8], reader: String, pipeline: TapPipeline, now: UnixTime,
        shouldStop: @escaping @Sendable () -> Bool
    ) async -> TapResult
}

extension TapPipeline {
    /// Declines a tap that never reached a card's data (a foreign ATR, a card gone before the
    /// connection, a timeout), with a ledger entry when the ledger can record.
    public func declineUnread(reader: String, error: any Error, now: UnixTime, serial: CardSerial? = nil) async -> TapResult {
        let (code, message) = Self.classify(error)
        var result = TapResult(time: now, reader: reader, cardSerial: serial, verdict: .declined, reason: code, message: message)
        if code != ValidatorError.Code.outOfService.name, code != ValidatorError.Code.readerFailed.name {
            result.ledgerSequence = try? await ledger.append(
                .tapDeclined(
                    at: now, card: serial, layout: nil, reasonCode: code, route: rules.context.route, vehicle: rules.context.vehicleID))
        }
        return result
    }
}

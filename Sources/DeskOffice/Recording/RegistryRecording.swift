import Desk
import DeskRecords
import DeskRegistry
import Entitlements
import Identifiers
import SocialCard
import Tariff

extension DeskOffice {
    /// Records one event through the recorder, after the card was written (or found done). A
    /// registry failure here leaves the card ahead of the registry, so it becomes
    /// `record-incomplete` (run the action again) or, when the registry refuses the record
    /// outright (another chip for the serial, another amount for the receipt), `refused`.
    func record(
        _ event: RegistryRecord.Event, of serial: CardSerial, _ body: (any CardEventRecorder) async throws -> RecordOutcome
    ) async throws -> [RegistryRecord] {
        guard let recorder else { return [] }
        do {
            return [RegistryRecord(event: event, serial: serial, outcome: try await body(recorder))]
        } catch let error as RegistryError where error.code == .refused || error.code == .notFound {
            throw DeskOfficeError(
                .refused,
                ukrainian: "картку \(serial.printed) записано, але реєстр відмовився це зафіксувати: \(error.ukrainian)",
                english: "card \(serial.printed) was written, but the registry refuses to record it: \(error.reason)", underlying: "\(error)")
        } catch {
            throw Self.recordIncomplete(serial, error)
        }
    }

    /// The error for a card written whose record did not complete.
    static func recordIncomplete(_ serial: CardSerial, _ error: any Error) -> DeskOfficeError {
        let detail = (error as? RegistryError)?.ukrainian ?? "\(error)"
        return DeskOfficeError(
            .recordIncomplete,
            ukrainian: "дію з карткою \(serial.printed) виконано, але запис не завершено (\(detail)); повторіть ту саму дію — картку не буде записано вдруге, запис буде доповнено",
            english: "the action on card \(serial.printed) was done but its record did not complete (\(error)); run the same action again: the card is not written twice and the record is completed",
            underlying: "\(error)")
    }

    /// Refuses, before the card is touched, an action on a card the registry does not know (the
    /// record would be refused after the card was written).
    func requireRecordedCard(_ serial: CardSerial?) async throws {
        guard let serial, let registry, try await registry.card(serial) == nil else { return }
        throw DeskOfficeError(
            .refused, ukrainian: "картки \(serial.printed) немає в реєстрі; її видано поза реєстром",
            english: "card \(serial.printed) is not in the registry; it was issued outside it")
    }

    /// The entitlements of `result` as the registry records them.
    static func written(_ terms: [EntitlementTerms]) -> [WrittenEntitlement] {
        terms.map {
            WrittenEntitlement(id: $0.id, category: $0.category, product: productCode($0.product), validFrom: $0.validFrom, validUntil: $0.validUntil)
        }
    }

    /// The card on the reader as the registry records an issue: UID, layout, pseudonym and
    /// entitlements read from the card itself (a re-run finds the pseudonym an earlier run wrote).
    static func issuedCard(_ contents: SocialCardContents) -> IssuedCard {
        IssuedCard(
            serial: contents.info.serial, uid: contents.uid, layout: LayoutVersion(UInt16(contents.info.layoutVersion)),
            pseudonym: contents.info.holderPseudonym, entitlements: written(contents.entitlements.map(\.terms)))
    }

    /// The command-line form of `product` (the inverse of `ProductText.parse`), which is how the
    /// registry stores it.
    public static func productCode(_ product: Product) -> String {
        switch product {
        case .free: "free"
        case .storedValue: "purse"
        case .discount(let percent): "discount:\(percent)"
        case .rides(let count, let period): "rides:\(count)/\(["day", "week", "month"][Int(period.rawValue) - 1])"
        case .pass(let from, let through): "pass:\(from)..\(through)"
        }
    }

    /// Reads the card on `reader` (its info, slots and purse) for the registry's record.
    func readCard(
        on reader: PlacedCardReader, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> SocialCardContents {
        let cardReader = SocialCardReader(layout: desk.setup.layout, keyring: desk.setup.keyring)
        return try await reader.withPlacedCard(waiting: waiting) { channel in
            try await cardReader.read(from: channel, purpose: .desk, trips: .newest(1), using: &generator)
        }
    }
}

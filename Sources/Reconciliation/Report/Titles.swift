import Entitlements

extension ExceptionKind {
    /// A heading for the kind, Ukrainian and English (the HTML and CSV outputs use it).
    public var title: LocalizedText {
        switch self {
        case .sequenceGap: LocalizedText(uk: "Пропуск у послідовності записів пристрою", en: "Gap in the device's sequence")
        case .notReceipted: LocalizedText(uk: "Записи без квитанції сервісу", en: "Entries not covered by a receipt")
        case .tamperAlarm: LocalizedText(uk: "Тривога втручання: дві різні історії", en: "Tamper alarm: two different histories")
        case .deviceSilent: LocalizedText(uk: "Пристрій мовчить", en: "Device silent")
        case .receivedAfterClose: LocalizedText(uk: "Отримано після закриття періоду", en: "Received after the period was closed")
        case .uploadDelayed: LocalizedText(uk: "Запізніле вивантаження", en: "Late upload")
        case .clockAhead: LocalizedText(uk: "Годинник пристрою поспішає", en: "Device clock ahead")
        case .clockAdjusted: LocalizedText(uk: "Годинник пристрою переведено", en: "Device clock adjusted")
        case .pendingUnknown: LocalizedText(uk: "Незавершена операція з карткою: результат невідомий", en: "Card transaction left pending: outcome unknown")
        case .pendingResolved: LocalizedText(uk: "Незавершена операція з'ясована за пізнішими даними", en: "Pending card transaction resolved from later evidence")
        case .duplicate: LocalizedText(uk: "Повторний запис поїздки", en: "Duplicate ride")
        case .cloneTwoVehicles: LocalizedText(uk: "Можливий клон: картка у двох транспортних засобах", en: "Clone suspect: card on two vehicles")
        case .clonePurseRose: LocalizedText(uk: "Можливий клон: баланс гаманця зріс без поповнення", en: "Clone suspect: purse balance rose without a credit")
        case .forgedCredit: LocalizedText(uk: "Підроблене поповнення: баланс зріс, а каса поповнення не записала", en: "Forged credit: the balance rose with no desk credit recorded")
        case .cloneCounterBackwards: LocalizedText(uk: "Можливий клон: лічильник поїздок картки пішов назад", en: "Clone suspect: the card's tap counter went backwards")
        case .rideAfterDenyListing: LocalizedText(uk: "Поїздка після внесення картки до стоп-списку", en: "Ride after the card's deny listing")
        case .overRideLimit: LocalizedText(uk: "Перевищено ліміт поїздок", en: "Ride limit exceeded")
        case .entitlementNotValid: LocalizedText(uk: "Пільга недійсна на дату поїздки", en: "Entitlement not valid on the ride's date")
        case .deviceNotAssigned: LocalizedText(uk: "Пристрій не закріплено за транспортним засобом", en: "Device not assigned to a vehicle")
        }
    }
}

extension ExclusionReason {
    /// Why, in words, Ukrainian and English.
    public var text: LocalizedText {
        switch self {
        case .deviceNotAssigned: LocalizedText(uk: "валідатор не закріплено за перевізником", en: "validator not assigned to a carrier")
        case .noTariff: LocalizedText(uk: "немає чинного тарифу", en: "no tariff in force")
        case .categoryNotInTariff: LocalizedText(uk: "категорії немає в тарифі", en: "category not in the tariff")
        case .duplicate: LocalizedText(uk: "повторний запис", en: "duplicate record")
        case .denyListed: LocalizedText(uk: "картка у стоп-списку", en: "card deny-listed")
        case .entitlementNotIssued: LocalizedText(uk: "пільгу не видано цій картці", en: "entitlement not issued to this card")
        case .entitlementExpired: LocalizedText(uk: "пільга недійсна на цю дату", en: "entitlement not valid on that date")
        case .overRideLimit: LocalizedText(uk: "понад ліміт поїздок", en: "over the ride limit")
        case .pendingUnknown: LocalizedText(uk: "результат операції невідомий", en: "transaction outcome unknown")
        }
    }
}

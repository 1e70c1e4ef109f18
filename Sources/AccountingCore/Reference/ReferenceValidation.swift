import Entitlements
import Identifiers

// The checks every entry point (store, admin endpoints, CLI imports) runs before reference data
// is stored: a wrong ЄДРПОУ or a negative budget found here is found before it is printed on an
// act of reconciliation.

/// The ЄДРПОУ code rules: 8 digits, the last a check digit over the first seven.
public enum EDRPOU {
    /// Whether `code` is 8 ASCII digits whose last is the check digit of the first seven.
    ///
    /// The check digit is the weighted sum of the first seven digits modulo 11, weights 1–7
    /// (7, 1–6 for codes from 30000000 to 60000000); a remainder of 10 is taken again with every
    /// weight raised by 2, and a second 10 counts as 0.
    public static func isValid(_ code: String) -> Bool {
        let digits = code.unicodeScalars.compactMap { scalar -> Int? in
            (48...57).contains(scalar.value) ? Int(scalar.value - 48) : nil
        }
        guard digits.count == 8, code.unicodeScalars.count == 8 else { return false }
        let number = digits.reduce(0) { $0 * 10 + $1 }
        let weights = number < 30_000_000 || number > 60_000_000 ? [1, 2, 3, 4, 5, 6, 7] : [7, 1, 2, 3, 4, 5, 6]
        func remainder(_ weights: [Int]) -> Int { zip(digits.prefix(7), weights).reduce(0) { $0 + $1.0 * $1.1 } % 11 }
        var check = remainder(weights)
        if check == 10 {
            check = remainder(weights.map { $0 + 2 })
            if check == 10 { check = 0 }
        }
        return check == digits[7]
    }
}

/// Checks of a text field shared by the reference types.
enum ReferenceText {
    /// Refuses an empty or too long text, one with control characters, or one with spaces at
    /// its ends (a name printed on an act must be the one typed, nothing invisible around it).
    static func check(_ text: String, field: String, fieldUK: String, maximum: Int) throws(ReferenceDataError) {
        let count = text.count
        guard count >= 1, count <= maximum,
            !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
            text.first?.isWhitespace == false, text.last?.isWhitespace == false
        else {
            throw .invalid(
                uk: "\(fieldUK): від 1 до \(maximum) символів, без керівних символів і пробілів на краях",
                en: "\(field): 1-\(maximum) characters, no control characters, no spaces at the ends")
        }
    }

    /// Refuses a negative amount of kopecks, or one above `ReferenceBounds.maximumKopecks`.
    static func checkAmount(_ kopecks: Int64, field: String, fieldUK: String) throws(ReferenceDataError) {
        guard kopecks >= 0 else { throw .invalid(uk: "\(fieldUK): не може бути від'ємною", en: "\(field): must not be negative") }
        guard kopecks <= ReferenceBounds.maximumKopecks else {
            throw .invalid(uk: "\(fieldUK): не більше \(ReferenceBounds.maximumKopecks) коп.", en: "\(field): at most \(ReferenceBounds.maximumKopecks) kopecks")
        }
    }

    /// Refuses an instant outside `ReferenceBounds.times`.
    static func checkTime(_ time: UnixTime, field: String, fieldUK: String) throws(ReferenceDataError) {
        guard ReferenceBounds.times.contains(time) else {
            throw .invalid(uk: "\(fieldUK): секунди Unix від 0 до 4102444800 (2100 рік)", en: "\(field): Unix seconds from 0 to 4102444800 (the year 2100)")
        }
    }

    /// Refuses a date outside `ReferenceBounds.dates`.
    static func checkDate(_ date: CivilDate, field: String, fieldUK: String) throws(ReferenceDataError) {
        guard ReferenceBounds.dates.contains(date) else {
            throw .invalid(uk: "\(fieldUK): дата з 2000-01-01 по 2100-12-31", en: "\(field): a date from 2000-01-01 to 2100-12-31")
        }
    }
}

/// The ranges reference data is kept within: wide enough for any real budget, payment or
/// date, narrow enough that a typing slip (an extra zero, a two-digit year) is refused rather
/// than printed on an act.
public enum ReferenceBounds {
    /// The largest amount: 10 billion hryvnias, in kopecks.
    public static let maximumKopecks: Int64 = 1_000_000_000_000
    /// Instants: 1970-01-01 to 2100-01-01 00:00 UTC.
    public static let times = UnixTime(0)...UnixTime(4_102_444_800)
    /// Dates: 2000-01-01 to 2100-12-31.
    public static let dates = CivilDate(year: 2000, month: 1, day: 1)!...CivilDate(year: 2100, month: 12, day: 31)!
}

extension Carrier {
    /// Refuses a carrier whose ЄДРПОУ is not a valid code or whose name or contract is out of form.
    public func validate() throws(ReferenceDataError) {
        try ReferenceText.check(name, field: "name", fieldUK: "назва", maximum: 200)
        try ReferenceText.check(contract, field: "contract", fieldUK: "договір", maximum: 100)
        guard EDRPOU.isValid(edrpou) else {
            throw .invalid(
                uk: "код ЄДРПОУ \(edrpou) неправильний: 8 цифр з правильною контрольною цифрою",
                en: "ЄДРПОУ code \(edrpou) is not valid: 8 digits with a correct check digit")
        }
    }
}

extension RouteAssignment {
    /// Refuses a route whose name is out of form.
    public func validate() throws(ReferenceDataError) {
        try ReferenceText.check(name, field: "name", fieldUK: "назва", maximum: 200)
    }
}

extension DeviceAssignment {
    /// Refuses a span that ends at or before it starts.
    public func validate() throws(ReferenceDataError) {
        try ReferenceText.checkTime(validFrom, field: "validFrom", fieldUK: "початок")
        if let validUntil { try ReferenceText.checkTime(validUntil, field: "validUntil", fieldUK: "кінець") }
        if let validUntil, validUntil <= validFrom {
            throw .invalid(
                uk: "пристрій \(device): кінець періоду має бути пізніше за початок", en: "device \(device): validUntil must be after validFrom")
        }
    }

    /// Whether the two spans share an instant (ends are exclusive).
    public func overlaps(_ other: DeviceAssignment) -> Bool {
        let endsAfterOtherStarts = validUntil.map { $0 > other.validFrom } ?? true
        let otherEndsAfterThisStarts = other.validUntil.map { $0 > validFrom } ?? true
        return endsAfterOtherStarts && otherEndsAfterThisStarts
    }

    /// Whether the span shares an instant with `period` (lower bound inclusive, upper exclusive).
    public func overlaps(_ period: Range<UnixTime>) -> Bool {
        validFrom < period.upperBound && (validUntil.map { $0 > period.lowerBound } ?? true)
    }

    /// The spans of one device after `assignment` is added to `existing` (that device's spans):
    /// with `closingOpenSpan`, a still-open span that started before the new one ends where the
    /// new one starts. Refuses (`assignment-overlap`) spans that would overlap.
    public static func adding(
        _ assignment: DeviceAssignment, to existing: [DeviceAssignment], closingOpenSpan: Bool
    ) throws(ReferenceDataError) -> [DeviceAssignment] {
        try assignment.validate()
        var spans = existing
        if closingOpenSpan, let open = spans.firstIndex(where: { $0.validUntil == nil && $0.validFrom < assignment.validFrom }) {
            spans[open].validUntil = assignment.validFrom
        }
        if let clash = spans.first(where: { $0.overlaps(assignment) }) {
            throw overlap(assignment, clash)
        }
        spans.append(assignment)
        return spans.sorted { $0.validFrom < $1.validFrom }
    }

    /// Refuses a set of one device's spans that overlap or are out of form.
    public static func validateSpans(_ spans: [DeviceAssignment]) throws(ReferenceDataError) {
        let sorted = spans.sorted { $0.validFrom < $1.validFrom }
        for span in sorted { try span.validate() }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where earlier.overlaps(later) {
            throw overlap(later, earlier)
        }
    }

    private static func overlap(_ assignment: DeviceAssignment, _ clash: DeviceAssignment) -> ReferenceDataError {
        let clashEnd = clash.validUntil.map { "\($0)" } ?? "…"
        return ReferenceDataError(
            .assignmentOverlap,
            uk: "пристрій \(assignment.device): період з \(assignment.validFrom) перетинається з уже записаним \(clash.validFrom) – \(clashEnd)",
            en: "device \(assignment.device): the span from \(assignment.validFrom) overlaps the stored span \(clash.validFrom) - \(clashEnd)")
    }
}

extension CompensationProgramme {
    /// Refuses a programme with a year out of range, a category twice, or a negative budget or cap.
    public func validate() throws(ReferenceDataError) {
        guard (2000...2100).contains(year) else { throw .invalid(uk: "рік: 2000–2100", en: "year: 2000-2100") }
        var seen: Set<CategoryCode> = []
        for line in lines {
            guard seen.insert(line.category).inserted else {
                throw .invalid(uk: "категорія \(line.category) вказана двічі", en: "category \(line.category) appears twice")
            }
            try ReferenceText.checkAmount(line.budgetKopecks, field: "budgetKopecks", fieldUK: "бюджет")
            if let cap = line.monthlyCapKopecks { try ReferenceText.checkAmount(cap, field: "monthlyCapKopecks", fieldUK: "місячна межа") }
        }
    }
}

extension PurseCredit {
    /// The sources a credit may come from.
    public static let sources = ["desk-ledger", "import"]

    /// Refuses a credit with a non-positive amount, an unknown source or a reference out of form.
    public func validate() throws(ReferenceDataError) {
        guard amountKopecks > 0 else { throw .invalid(uk: "сума поповнення має бути більшою за нуль", en: "the credited amount must be above zero") }
        try ReferenceText.checkAmount(amountKopecks, field: "amountKopecks", fieldUK: "сума")
        try ReferenceText.checkTime(creditedAt, field: "creditedAt", fieldUK: "час поповнення")
        guard Self.sources.contains(source) else {
            throw .invalid(uk: "джерело: \(Self.sources.joined(separator: ", "))", en: "source: one of \(Self.sources.joined(separator: ", "))")
        }
        try ReferenceText.check(reference, field: "reference", fieldUK: "підстава", maximum: 100)
    }
}

extension IssuedEntitlement {
    /// Refuses terms that contradict their product (a ride limit on a free product, a discount
    /// over 100 %) or dates in the wrong order.
    public func validate() throws(ReferenceDataError) {
        try ReferenceText.checkDate(validFrom, field: "validFrom", fieldUK: "дата початку")
        try ReferenceText.checkDate(validUntil, field: "validUntil", fieldUK: "дата кінця")
        guard validFrom <= validUntil else {
            throw .invalid(uk: "картка \(card), пільга \(entitlement): дата початку пізніше за кінець", en: "card \(card), entitlement \(entitlement): validFrom is after validUntil")
        }
        let isRides = product == .rides
        guard isRides == (rideLimit != nil), isRides == (ridePeriod != nil) else {
            throw .invalid(
                uk: "картка \(card), пільга \(entitlement): ліміт і період поїздок — лише для продукту rides, і для нього обов'язкові",
                en: "card \(card), entitlement \(entitlement): rideLimit and ridePeriod go with a rides product, and only with it")
        }
        guard (product == .discount) == (discountPercent != nil), (discountPercent ?? 1) >= 1, (discountPercent ?? 1) <= 100 else {
            throw .invalid(
                uk: "картка \(card), пільга \(entitlement): знижка 1–100 % — лише для продукту discount, і для нього обов'язкова",
                en: "card \(card), entitlement \(entitlement): discountPercent 1-100 goes with a discount product, and only with it")
        }
    }
}

extension CarrierPayment {
    /// Refuses a payment with a non-positive amount or a reference out of form.
    public func validate() throws(ReferenceDataError) {
        guard amountKopecks > 0 else { throw .invalid(uk: "сума платежу має бути більшою за нуль", en: "the payment amount must be above zero") }
        try ReferenceText.checkAmount(amountKopecks, field: "amountKopecks", fieldUK: "сума")
        try ReferenceText.checkDate(paidOn, field: "paidOn", fieldUK: "дата платежу")
        try ReferenceText.check(reference, field: "reference", fieldUK: "підстава", maximum: 100)
    }
}

extension TariffPeriod {
    /// Refuses an effect time outside `ReferenceBounds.times`.
    public func validate() throws(ReferenceDataError) {
        try ReferenceText.checkTime(effectiveFrom, field: "effectiveFrom", fieldUK: "час набрання чинності")
    }
}

extension DenyListing {
    /// Whether the listing had taken effect at `time`.
    public func isEffective(at time: UnixTime) -> Bool { effectiveAt.map { $0 <= time } ?? false }
}

/// How reports write numbers: for people (grouped, with the currency) and for Excel (plain).
///
/// Integer arithmetic only: money is kopecks in `Int64` and a share is basis points, so the
/// same input always prints the same characters and no rounding happens behind the reader's back.
public enum NumberFormat {
    /// U+00A0, which keeps `1 234` and `грн` on the line of their number.
    public static let noBreakSpace = "\u{00A0}"

    /// `1 234,56 грн` (Ukrainian, no-break spaces) or `UAH 1,234.56` (English).
    public static func money(kopecks: Int64, _ language: ReportLanguage) -> String {
        switch language {
        case .ukrainian: amount(kopecks: kopecks, language) + noBreakSpace + "грн"
        case .english: (kopecks < 0 ? "−UAH" : "UAH") + noBreakSpace + amount(kopecks: kopecks.magnitude, language)
        }
    }

    /// The amount without the currency, grouped for people: `1 234,56` or `1,234.56`; a minus
    /// sign (U+2212) for a negative amount.
    public static func amount(kopecks: Int64, _ language: ReportLanguage) -> String {
        amount(kopecks: kopecks.magnitude, language, negative: kopecks < 0)
    }

    static func amount(kopecks: UInt64, _ language: ReportLanguage, negative: Bool = false) -> String {
        let (whole, fraction) = kopecks.quotientAndRemainder(dividingBy: 100)
        let separator = language == .ukrainian ? "," : "."
        return (negative ? "−" : "") + grouped(whole, language) + separator + (fraction < 10 ? "0" : "") + "\(fraction)"
    }

    /// A count grouped for people: `12 345` (no-break space) or `12,345`.
    public static func integer(_ value: Int64, _ language: ReportLanguage) -> String {
        (value < 0 ? "−" : "") + grouped(value.magnitude, language)
    }

    /// A share given in basis points (1/100 of a percent): `12,5 %` or `12.5%`, trailing zeros
    /// of the fraction dropped.
    public static func percent(basisPoints: Int64, _ language: ReportLanguage) -> String {
        let text = plainPercentNumber(basisPoints: basisPoints, decimalSeparator: language == .ukrainian ? "," : ".")
        return language == .ukrainian ? text.replacingMinus() + noBreakSpace + "%" : text.replacingMinus() + "%"
    }

    /// Money for Excel: `-1234,56`, decimal comma, no grouping, ASCII minus.
    public static func excelMoney(kopecks: Int64) -> String {
        let (whole, fraction) = kopecks.magnitude.quotientAndRemainder(dividingBy: 100)
        return (kopecks < 0 ? "-" : "") + "\(whole)," + (fraction < 10 ? "0" : "") + "\(fraction)"
    }

    /// A share for Excel: `12,5%`, which Excel with a Ukrainian locale reads as the number 0,125.
    public static func excelPercent(basisPoints: Int64) -> String {
        plainPercentNumber(basisPoints: basisPoints, decimalSeparator: ",") + "%"
    }

    /// `part` of `whole` in basis points, rounded half away from zero; 0 when `whole` is 0.
    public static func basisPoints(_ part: Int64, of whole: Int64) -> Int64 {
        guard whole != 0 else { return 0 }
        let numerator = part.multipliedReportingOverflow(by: 20_000)
        guard !numerator.overflow else {
            // Amounts this large do not occur in a hromada's month; keep the result sane anyway.
            return Int64((Double(part) / Double(whole) * 10_000).rounded())
        }
        let doubled = numerator.partialValue / whole
        return doubled >= 0 ? (doubled + 1) / 2 : (doubled - 1) / 2
    }

    static func plainPercentNumber(basisPoints: Int64, decimalSeparator: String) -> String {
        let (whole, fraction) = basisPoints.magnitude.quotientAndRemainder(dividingBy: 100)
        var text = (basisPoints < 0 ? "-" : "") + "\(whole)"
        if fraction != 0 {
            var digits = (fraction < 10 ? "0" : "") + "\(fraction)"
            if digits.hasSuffix("0") { digits.removeLast() }
            text += decimalSeparator + digits
        }
        return text
    }

    static func grouped(_ value: UInt64, _ language: ReportLanguage) -> String {
        let digits = Array("\(value)")
        let separator = language == .ukrainian ? noBreakSpace : ","
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text += separator }
            text.append(digit)
        }
        return text
    }
}

extension String {
    /// A leading ASCII hyphen as the typographic minus people read.
    fileprivate func replacingMinus() -> String { hasPrefix("-") ? "−" + dropFirst() : self }
}

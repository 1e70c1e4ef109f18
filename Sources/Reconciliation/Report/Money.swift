/// Amounts in words for exception texts: `15,00 грн` in Ukrainian, `UAH 15.00` in English
/// (the forms docs/tariff.md uses for passenger messages).
enum Money {
    static func uk(_ kopecks: Int64) -> String { "\(digits(kopecks, separator: ",")) грн" }
    static func en(_ kopecks: Int64) -> String { "UAH \(digits(kopecks, separator: "."))" }

    private static func digits(_ kopecks: Int64, separator: String) -> String {
        let sign = kopecks < 0 ? "-" : ""
        let magnitude = kopecks.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100)\(separator)\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

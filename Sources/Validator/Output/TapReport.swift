import Entitlements

/// The JSON line a display program reads for each tap (one object per line, UTF-8, keys sorted).
///
/// Fields: `time` (ISO 8601 UTC), `reader`, `card` (serial, or null), `decision`
/// (`accept`/`repeat`/`decline`/`uncertain`), `reason`, `message` (`key`, `uk`, `en`), `fare`
/// (kopecks), `category`, `ridesLeft`, `balance` (kopecks), `ledgerSequence`, `apdus`,
/// `latencyMs`. Absent values are `null`, so every line has the same keys.
public enum TapReport {
    /// The JSON line for `result` (without the newline).
    public static func jsonLine(_ result: TapResult, latencyMilliseconds: Double? = nil) -> String {
        var fields: [(String, String)] = []
        fields.append(("apdus", String(result.apduCount)))
        fields.append(("balance", number(result.purseBalanceKopecks)))
        fields.append(("card", result.cardSerial.map { quoted($0.printed) } ?? "null"))
        fields.append(("category", number(result.category.map { Int($0.rawValue) })))
        fields.append(("decision", quoted(result.verdict.rawValue)))
        fields.append(("fare", number(result.fareKopecks)))
        fields.append(("latencyMs", latencyMilliseconds.map { String(format3($0)) } ?? "null"))
        fields.append(("ledgerSequence", result.ledgerSequence.map { String($0) } ?? "null"))
        fields.append((
            "message",
            "{\"en\":\(quoted(result.message.en)),\"key\":\(quoted(result.message.key)),\"uk\":\(quoted(result.message.uk))}"
        ))
        fields.append(("reader", quoted(result.reader)))
        fields.append(("reason", quoted(result.reason)))
        fields.append(("resolvedPending", String(result.resolvedPending)))
        fields.append(("ridesLeft", number(result.ridesLeft)))
        fields.append(("time", quoted(result.time.description)))
        return "{" + fields.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    static func number(_ value: Int?) -> String { value.map(String.init) ?? "null" }

    static func format3(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let whole = thousandths / 1000
        let fraction = thousandths % 1000
        let digits = String(fraction)
        return "\(whole).\(String(repeating: "0", count: 3 - digits.count))\(digits)"
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Text made safe to place in HTML and SVG: the one escaper of the desk web app (`DeskWeb`'s
/// `HTML` interpolation) and of the finance officer's reports (`ReconciliationReports`).
///
/// Why one: the two had drifted apart (one turned only NUL into U+FFFD, the other every control
/// character HTML forbids). An escaping rule is a security boundary — names and addresses are
/// typed at the counter, carriers' names and notes come from other systems — so there is one
/// rule, the stricter one, tested once.
public enum HTMLText {
    /// `text` safe in element content and in a quoted attribute value (either quote).
    ///
    /// `&`, `<`, `>`, `"` and `'` become character references, so `<script>` shows as text and
    /// cannot end an attribute. Tab, LF and CR are kept; every other C0 control (NUL included),
    /// DEL and the C1 controls (U+007F–U+009F) become U+FFFD: HTML does not allow them in a
    /// document, and a browser or a printer handling them its own way must not change what a
    /// page says.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value): result += "\u{FFFD}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// An id or class name made only of `a-z`, `0-9` and `-` from arbitrary text, so that it
    /// needs no escaping anywhere (element ids of report sections and charts).
    public static func identifier(_ text: String) -> String {
        var result = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else if !result.hasSuffix("-") && !result.isEmpty {
                result += "-"
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return result.isEmpty ? "x" : result
    }
}

/// Escaping of text placed in HTML and SVG.
///
/// Every string from data (a carrier's name, a device note, a reason) goes through here, in
/// element content and in attribute values alike: `&`, `<`, `>`, `"` and `'` become character
/// references, so `<script>` shows as text and cannot end an attribute. Control characters
/// other than tab, LF and CR are not allowed in HTML and become U+FFFD.
public enum HTMLEscaping {
    /// `text` safe in element content and in a quoted attribute value.
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
    /// needs no escaping anywhere (element ids of sections and charts).
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

/// The form of a name the registry searches: what a clerk types and what the document says
/// compare equal when they differ only in case, in the apostrophe used, or in how a letter was
/// composed.
///
/// Ukrainian writes the apostrophe three ways in practice — `'` (U+0027, the keyboard's),
/// `’` (U+2019, typographic) and `ʼ` (U+02BC, the orthographically correct modifier letter) —
/// plus look-alikes (`‘`, `` ` ``, `´`, `ʹ`); all are dropped, so Мар'яна, Мар’яна, Марʼяна and
/// Маряна are one key. Letters are lower-cased by Unicode's rules (І→і, Ї→ї, Є→є, Ґ→ґ).
/// `ї` and `й` typed as a base letter plus a combining mark are composed; the Latin `i` and
/// `ï` (a Russian or Latin keyboard has no `і`) become the Cyrillic `і` and `ї`. `і`, `ї`, `є`
/// and `и`, `е` stay distinct letters: they are different names.
public enum NameKey {
    private static let apostrophes: Set<Unicode.Scalar> = ["\u{27}", "\u{2019}", "\u{2BC}", "\u{2018}", "\u{60}", "\u{B4}", "\u{2B9}"]

    /// The whole name as one key: words joined by single spaces.
    public static func normalize(_ text: String) -> String {
        tokens(text).joined(separator: " ")
    }

    /// The words of the name, each normalized; a hyphenated surname also gives its parts
    /// (`квітка-основяненко`, `квітка`, `основяненко`), so either part finds it.
    public static func tokens(_ text: String) -> [String] {
        var scalars: [Unicode.Scalar] = []
        for scalar in text.lowercased().unicodeScalars {
            if apostrophes.contains(scalar) { continue }
            switch scalar.value {
            case 0x0308 where scalars.last == "\u{456}":  // і + combining diaeresis → ї
                scalars[scalars.count - 1] = "\u{457}"
            case 0x0306 where scalars.last == "\u{438}":  // и + combining breve → й
                scalars[scalars.count - 1] = "\u{439}"
            case 0x0069: scalars.append("\u{456}")  // Latin i → Cyrillic і
            case 0x00EF: scalars.append("\u{457}")  // Latin ï → Cyrillic ї
            default:
                let properties = scalar.properties
                if properties.isWhitespace || scalar == "," || scalar == "." || scalar == ";" {
                    scalars.append(" ")
                } else if properties.generalCategory == .nonspacingMark {
                    continue
                } else {
                    scalars.append(scalar)
                }
            }
        }
        var string = String.UnicodeScalarView()
        string.append(contentsOf: scalars)
        var words: [String] = []
        for word in String(string).split(separator: " ") {
            let trimmed = word.trimmingCharacters(of: "-")
            guard !trimmed.isEmpty else { continue }
            words.append(trimmed)
            let parts = trimmed.split(separator: "-")
            if parts.count > 1 { words.append(contentsOf: parts.map(String.init)) }
        }
        return words
    }

    /// The smallest string greater than every string that starts with `prefix`, for a range
    /// scan over an index (`key >= prefix AND key < upperBound(prefix)`) that works the same in
    /// SQLite's binary collation and PostgreSQL's "C" collation.
    public static func upperBound(ofPrefix prefix: String) -> String {
        prefix + "\u{10FFFF}"
    }
}

extension Substring {
    func trimmingCharacters(of character: Character) -> String {
        String(drop(while: { $0 == character }).reversed().drop(while: { $0 == character }).reversed())
    }
}

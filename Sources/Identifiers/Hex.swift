/// Hexadecimal text for bytes: the one codec every module uses for keys, hashes, signatures,
/// certificates, APDU traces and card images.
///
/// **What `decode` accepts**: pairs of ASCII hex digits (`0-9`, `a-f`, `A-F`, cases may mix) and
/// nothing else. No whitespace, separators (`:`, `-`), `0x` prefix or sign; an odd number of
/// digits is rejected; the empty text is the empty byte string. One strict rule means that a
/// hash or signature has exactly one meaning wherever it is read, and that a stray character in a
/// key file is an error rather than a silently different key. A caller that reads text a person
/// edits (a `.pub` file, a pasted vector) removes the whitespace it tolerates before decoding, so
/// the tolerance is visible where it is granted.
///
/// **What `encode` writes**: two digits per byte, lower-case unless `case: .upper` is asked for
/// (APDU traces and card images are conventionally upper-case).
public enum Hex {
    /// The letters `encode` writes for the digits 10…15.
    public enum LetterCase: Sendable {
        /// `a`…`f`: the form of every stored or signed text (key files, ledgers, the wire).
        case lower
        /// `A`…`F`: the form of APDU traces, card UIDs and card images.
        case upper
    }

    private static let lowerDigits = Array("0123456789abcdef".utf8)
    private static let upperDigits = Array("0123456789ABCDEF".utf8)

    /// Two hex digits per byte, no separators: `[0x04, 0xA1]` → `"04a1"` (or `"04A1"` with `.upper`).
    public static func encode(_ bytes: some Sequence<UInt8>, case letterCase: LetterCase = .lower) -> String {
        let digits = letterCase == .lower ? lowerDigits : upperDigits
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text` if it is pairs of hex digits and nothing else (see the type's rule); `nil` otherwise.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = text.utf8
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var high: UInt8?
        for character in utf8 {
            guard let nibble = value(of: character) else { return nil }
            if let pending = high {
                out.append(pending << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }

    /// The value of one ASCII hex digit, or `nil` for any other byte.
    private static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

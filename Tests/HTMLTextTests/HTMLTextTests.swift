import HTMLText
import Testing

/// The one HTML escaper of the desk web app and the reports.
@Suite("HTML text escaping")
struct HTMLTextTests {
    @Test("markup and both quotes become character references")
    func leavesNoMarkup() {
        let escaped = HTMLText.escape("<script>alert('x') & \"y\"</script>\u{01}")
        #expect(escaped == "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;\u{FFFD}")
        #expect(HTMLText.escape("Шевченко «Лебідь» №12") == "Шевченко «Лебідь» №12")
    }

    @Test("tab, LF and CR are kept; NUL, the other C0 controls, DEL and C1 controls become U+FFFD", arguments: [
        ("a\tb\nc\rd", "a\tb\nc\rd"),
        ("\u{0}", "\u{FFFD}"),
        ("x\u{1B}[31my", "x\u{FFFD}[31my"),
        ("\u{1F}\u{7F}\u{80}\u{9F}", "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
        ("\u{A0}é", "\u{A0}é"),
    ])
    func controlCharacters(text: String, escaped: String) {
        #expect(HTMLText.escape(text) == escaped)
    }

    @Test("identifiers keep a-z, 0-9 and single dashes; nothing left is x")
    func identifiers() {
        #expect(HTMLText.identifier("Carrier <b>1</b> «Лебідь»") == "carrier-b-1-b")
        #expect(HTMLText.identifier("Лебідь") == "x")
    }
}

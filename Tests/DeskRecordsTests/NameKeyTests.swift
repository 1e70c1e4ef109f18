import DeskRecords
import Testing

@Suite("The name search key: case, apostrophes and letter composition")
struct NameKeyTests {
    @Test("the three apostrophes and their look-alikes give one key", arguments: ["Мар'яна", "Мар’яна", "Марʼяна", "Мар‘яна", "Мар`яна", "МАРʼЯНА", "Маряна"])
    func apostrophes(_ spelling: String) {
        #expect(NameKey.normalize(spelling) == "маряна")
    }

    @Test("Ukrainian capitals lower-case; і, ї, є stay distinct letters")
    func letters() {
        #expect(NameKey.normalize("ЇЖАК Євген ІВАНОВИЧ Ґудзь") == "їжак євген іванович ґудзь")
        #expect(NameKey.normalize("Іван") != NameKey.normalize("Їван"))
        #expect(NameKey.normalize("Євген") != NameKey.normalize("Евген"))
    }

    @Test("a decomposed ї or й is composed; a Latin i or ï becomes Cyrillic")
    func composition() {
        #expect(NameKey.normalize("Ки\u{456}\u{308}в") == "київ")
        #expect(NameKey.normalize("Андрі\u{438}\u{306}") == "андрій")
        #expect(NameKey.normalize("Oлексiй") == NameKey.normalize("Oлексій"))
        #expect(NameKey.normalize("Kиïв") == NameKey.normalize("Kиїв"))
    }

    @Test("words: spaces collapse, a hyphenated surname also gives its parts")
    func tokens() {
        #expect(NameKey.tokens("  Квітка-Основ’яненко   Григорій  ") == ["квітка-основяненко", "квітка", "основяненко", "григорій"])
        #expect(NameKey.tokens("' ’ -").isEmpty)
    }

    @Test("the prefix range's upper bound sorts after every extension of the prefix")
    func upperBound() {
        let bound = NameKey.upperBound(ofPrefix: "ков")
        for word in ["ков", "коваль", "ковальчук-ільїна", "ковяз"] {
            #expect(Array(word.utf8).lexicographicallyPrecedes(Array(bound.utf8)))
        }
        #expect(!Array("кож".utf8).lexicographicallyPrecedes(Array("ков".utf8)))
        #expect(!Array(bound.utf8).lexicographicallyPrecedes(Array("ков".utf8)))
    }
}

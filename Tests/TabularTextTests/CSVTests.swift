import PropertyTesting
import TabularText
import Testing

@Suite("CSV reading and writing")
struct CSVTests {
    static func read(_ bytes: [UInt8], separator: Unicode.Scalar = ";") throws -> [CSVRecord] {
        try CSVReader.records(try CSVText.decode(bytes), dialect: CSVDialect(separator: separator))
    }

    @Test("quoted fields hold separators, quotes and line breaks; lines are counted across them")
    func quotedFields() throws {
        let text = "a;\"b;c\";\"say \"\"hi\"\"\"\r\n\"two\nlines\";x;y\r\nlast;;\n"
        let records = try CSVReader.records(text, dialect: CSVDialect(separator: ";"))
        #expect(records.map(\.fields) == [["a", "b;c", "say \"hi\""], ["two\nlines", "x", "y"], ["last", "", ""]])
        #expect(records.map(\.line) == [1, 2, 4])
    }

    @Test("LF, CRLF and a lone CR end a record; a final line break adds no record")
    func lineBreaks() throws {
        let records = try CSVReader.records("a\nb\r\nc\rd\r\n", dialect: CSVDialect(separator: ","))
        #expect(records.map(\.fields) == [["a"], ["b"], ["c"], ["d"]])
        #expect(records.map(\.line) == [1, 2, 3, 4])
    }

    @Test("the byte order mark is dropped, and bytes that are not UTF-8 are named by line")
    func decoding() throws {
        #expect(try CSVText.decode(CSVText.byteOrderMark + Array("a;b".utf8)) == "a;b")
        #expect(throws: CSVText.NotUTF8(line: 3)) { try CSVText.decode(Array("a\nb\n".utf8) + [0xC3, 0x28]) }
        #expect(throws: CSVText.NotUTF8(line: 1)) { try CSVText.decode([0xEF, 0xBB]) }
    }

    @Test("the separator is the one the first line uses, `;` winning")
    func separatorDetection() {
        #expect(CSVText.separator(of: CSVText.firstLine(of: "a;b,c\nd,e")) == ";")
        #expect(CSVText.separator(of: CSVText.firstLine(of: "a,b\nd;e")) == ",")
    }

    @Test("a quote left open is an error on the line its record starts")
    func unclosedQuote() {
        #expect(throws: CSVSyntaxError(.unclosedQuote, line: 2)) {
            try CSVReader.records("a\n\"b\nc", dialect: CSVDialect(separator: ","))
        }
        #expect(throws: CSVSyntaxError(.unclosedQuote, line: 2)) {
            try CSVReader.records("a\n\"b\nc\"", dialect: CSVDialect(separator: ",", lineBreaksInQuotes: false))
        }
    }

    @Test("a stray quote is text, an error or the start of quoting, as the dialect says")
    func strayQuotes() throws {
        let text = "5\" wide;x"
        #expect(try CSVReader.records(text, dialect: CSVDialect(separator: ";")).map(\.fields) == [["5\" wide", "x"]])
        #expect(throws: CSVSyntaxError(.quoteInsideField, line: 1)) {
            try CSVReader.records(text, dialect: CSVDialect(separator: ";", strayQuote: .refused))
        }
        let lenient = try CSVReader.records("ab\"c;d\"e;f", dialect: CSVDialect(separator: ";", strayQuote: .opensQuote))
        #expect(lenient.map(\.fields) == [["abc;de", "f"]])
        #expect(try CSVReader.records("  \"x\" ;y", dialect: CSVDialect(separator: ";")).map(\.fields) == [["x ", "y"]])
    }

    @Test("a combining mark after a separator or a quote does not hide it")
    func combiningMarks() throws {
        let records = try CSVReader.records("a;\u{0301}b;\"\u{0301}\"", dialect: CSVDialect(separator: ";"))
        #expect(records.map(\.fields) == [["a", "\u{0301}b", "\u{0301}"]])
    }

    @Test("the Excel form: byte order mark, `;`, CRLF, quotes only where needed")
    func excelForm() {
        var writer = CSVWriter()
        writer.append(record: ["Лебідь", "a;b", "say \"hi\"", " padded", "1234,56"])
        writer.append(record: ["two\nlines", ""])
        let expected = "Лебідь;\"a;b\";\"say \"\"hi\"\"\";\" padded\";1234,56\r\n\"two\nlines\";\r\n"
        #expect(writer.bytes == CSVText.byteOrderMark + Array(expected.utf8))
    }

    // MARK: Properties

    static let alphabet: [Character] = ["a", "Я", "ї", " ", ";", ",", "\"", "\n", "\r", "\r\n", "\t", "1", "'", "\u{00A0}", "é", "🚌", "\u{0301}", "\u{200D}"]

    static func randomTable(_ generator: inout SeededGenerator) -> [[String]] {
        (0..<Int.random(in: 0...6, using: &generator)).map { _ in
            (0..<Int.random(in: 1...5, using: &generator)).map { _ in
                String((0..<Int.random(in: 0...8, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            }
        }
    }

    static func bytes(of table: [[String]], separator: Unicode.Scalar) -> [UInt8] {
        var writer = CSVWriter(separator: separator)
        for row in table { writer.append(record: row) }
        return writer.bytes
    }

    @Test("any table written reads back the same, with either separator", arguments: [";", ","] as [Unicode.Scalar])
    func roundTrip(separator: Unicode.Scalar) throws {
        var generator = SeededGenerator(seed: 0x4353_5601)
        for _ in 0..<2000 {
            let table = Self.randomTable(&generator)
            let records = try Self.read(Self.bytes(of: table, separator: separator), separator: separator)
            #expect(records.map(\.fields) == table)
        }
    }

    @Test("every truncation of a file is a clear error or a shorter table whose complete rows are the original's")
    func truncations() throws {
        var generator = SeededGenerator(seed: 0x4353_5602)
        for _ in 0..<300 {
            let table = Self.randomTable(&generator)
            let bytes = Self.bytes(of: table, separator: ";")
            for length in 0...bytes.count {
                let records: [CSVRecord]
                do {
                    records = try Self.read(Array(bytes.prefix(length)))
                } catch let error as CSVSyntaxError {
                    #expect(error.line >= 1)
                    continue
                } catch let error as CSVText.NotUTF8 {
                    #expect(error.line >= 1)
                    continue
                }
                #expect(records.count <= table.count)
                #expect(Array(records.map(\.fields).dropLast()) == Array(table.prefix(max(records.count - 1, 0))))
            }
        }
    }

    @Test("arbitrary text never crashes the reader, in any dialect")
    func arbitraryText() {
        var generator = SeededGenerator(seed: 0x4353_5603)
        let dialects = [
            CSVDialect(separator: ";"), CSVDialect(separator: ",", strayQuote: .refused, lineBreaksInQuotes: false),
            CSVDialect(separator: ";", strayQuote: .opensQuote),
        ]
        for _ in 0..<3000 {
            let text = String((0..<Int.random(in: 0...24, using: &generator)).map { _ in Self.alphabet.randomElement(using: &generator)! })
            for dialect in dialects {
                if let records = try? CSVReader.records(text, dialect: dialect) {
                    #expect(records.allSatisfy { !$0.fields.isEmpty && $0.line >= 1 })
                }
            }
        }
    }
}

import JSONText
import PropertyTesting
import Testing

@Suite("JSON kept exact")
struct JSONTextTests {
    @Test("objects keep their key order, refuse a key twice, and compare without order")
    func objects() throws {
        let value = try JSONValue(json: Array(#"{"b": 1, "a": [true, null], "c": 2.5}"#.utf8))
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == ["b", "a", "c"])
        #expect(object["c"] == .number(2.5))
        #expect(value == .object(["a": .array([.bool(true), .null]), "c": .number(2.5), "b": .integer(1)]))
        #expect(throws: JSONSyntaxError(reason: #"duplicate key "b""#, offset: 9)) { try JSONValue(json: Array(#"{"b": 1, "b": 2}"#.utf8)) }
        var edited = object
        #expect(edited.removeValue(forKey: "b") == .integer(1))
        #expect(edited.keys == ["a", "c"] && edited["c"] == .number(2.5) && edited["b"] == nil)
    }

    @Test("whole numbers only, and a byte order mark, where the caller asks")
    func options() throws {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(json: Array("1.5".utf8), allowsFractions: false) }
        #expect(try JSONValue(json: Array("1.5".utf8)) == .number(1.5))
        #expect(try JSONValue(json: [0xEF, 0xBB, 0xBF] + Array("7".utf8), skipsByteOrderMark: true) == .integer(7))
        #expect(throws: JSONSyntaxError.self) { try JSONValue(json: [0xEF, 0xBB, 0xBF] + Array("7".utf8)) }
    }

    static func randomValue(_ generator: inout SeededGenerator, depth: Int = 0) -> JSONValue {
        let strings = ["", "a", "Ґ", "\"", "\\", "\n\u{01}", "🚌", "e\u{301}"]
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .integer(Int64.random(in: .min ... .max, using: &generator))
        case 3: return .string(strings.randomElement(using: &generator)!)
        case 4: return .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in randomValue(&generator, depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                object.append(strings.randomElement(using: &generator)! + "k", randomValue(&generator, depth: depth + 1))
            }
            return .object(object)
        }
    }

    @Test("what it writes, canonical or indented, parses back to the same value")
    func roundTrip() throws {
        var generator = SeededGenerator(seed: 0x4A53_4F4E)
        for _ in 0..<500 {
            let value = Self.randomValue(&generator)
            #expect(try JSONValue(json: value.canonicalBytes, allowsFractions: false) == value)
            #expect(try JSONValue(json: value.prettyBytes) == value)
        }
    }

    @Test("every truncation of a document is an error or a whole shorter value, never a crash")
    func truncations() {
        var generator = SeededGenerator(seed: 0x4A53_4F4F)
        for _ in 0..<100 {
            let bytes = Self.randomValue(&generator).prettyBytes
            for length in 0..<bytes.count {
                do {
                    _ = try JSONValue(json: Array(bytes.prefix(length)))
                    // Only the final newline cut off, or a top-level number cut short of its
                    // digits, still parses.
                    #expect(length == bytes.count - 1 || bytes.first.map { $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) } == true)
                } catch {
                    #expect(error.offset <= length)
                }
            }
        }
    }
}

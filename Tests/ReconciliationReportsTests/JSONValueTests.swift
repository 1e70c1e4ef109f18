import Foundation
import Testing

@testable import ReconciliationReports

@Suite("Canonical JSON")
struct JSONValueTests {
    static let awkward = "лапки \" зворотна \\ риска\nрядок\r\tтаб \u{01}\u{1F} \u{7F} ґ 🚌 \u{2028} </script>"

    static let sample: JSONValue = .object([
        "ä": .integer(-9_223_372_036_854_775_808), "b": .array([.null, .bool(true), .bool(false), .object([:]), .array([])]),
        "a": .string(awkward), "Z": .object(["y": .integer(1), "x": .integer(2)]), "🚌": .integer(9_223_372_036_854_775_807),
        "emptyString": .string(""),
    ])

    @Test func isWhatPythonWrites() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("value.json")
        try Data(Self.sample.prettyBytes).write(to: file)
        // Python re-reads the file and writes it again both ways; our bytes must be its bytes.
        let script = """
            import json, sys
            value = json.load(open(sys.argv[1], encoding="utf-8"))
            pretty = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\\n"
            canonical = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            sys.stdout.write(pretty.encode("utf-8").hex() + " " + canonical.encode("utf-8").hex())
            """
        let run = try Support.python(script, [file.path])
        try #require(run.status == 0, "\(run.output)")
        let parts = run.output.split(separator: " ").map(String.init)
        #expect(parts.count == 2)
        #expect(parts.first == Self.hex(Self.sample.prettyBytes))
        #expect(parts.last == Self.hex(Self.sample.canonicalBytes))
    }

    @Test func theSameValueIsTheSameBytesWhateverTheOrderOfConstruction() throws {
        var forward: [String: JSONValue] = [:]
        var backward: [String: JSONValue] = [:]
        let keys = (0..<200).map { "key\($0)" } + ["Ґ", "a", "B", "é", "🚌", "Z"]
        for (index, key) in keys.enumerated() { forward[key] = .integer(Int64(index)) }
        for (index, key) in keys.enumerated().reversed() { backward[key] = .integer(Int64(index)) }
        #expect(JSONValue.object(forward).canonicalBytes == JSONValue.object(backward).canonicalBytes)
        #expect(JSONValue.object(forward).prettyBytes == JSONValue.object(backward).prettyBytes)
        // Code point order: uppercase before lowercase, Cyrillic after Latin, the emoji last.
        let text = String(decoding: JSONValue.object(forward).canonicalBytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"B":202,"Z":205,"a":201,"key0":0,"key1":1,"key10":10,"#))
        #expect(text.hasSuffix(#""key99":99,"é":203,"Ґ":200,"🚌":204}"#))
    }

    @Test func parsesWhatItWrites() throws {
        #expect(try JSONValue(parsing: Self.sample.prettyBytes) == Self.sample)
        #expect(try JSONValue(parsing: Self.sample.canonicalBytes) == Self.sample)
        #expect(try JSONValue(parsing: Array(#"{"a":"\u0041\ud83d\ude8c\/"}"#.utf8)) == .object(["a": .string("A🚌/")]))
        for bad in ["{", "[1,]", "{\"a\":1,\"a\":2}", "1.5", "01", "\"\u{01}\"", "[1] x", "\"\\ud800\"", "tru"] {
            #expect(throws: ReportError.self, "\(bad)") { try JSONValue(parsing: Array(bad.utf8)) }
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

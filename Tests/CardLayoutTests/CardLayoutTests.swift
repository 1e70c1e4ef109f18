import CardLayout
import PropertyBased
import Testing

@Suite("Schema and code agree")
struct SchemaAgreementTests {
    @Test("the schema file on disk is the schema the code validates against")
    func schemaFileMatchesEmbedded() throws {
        let onDisk = try JSONValue.parse(Repository.read("CardLayouts/card-layout.schema.json"))
        #expect(onDisk == (try JSONValue.parse(CardLayout.schemaText)))
    }

    static let definitions: [(String, Set<String>)] = [
        ("card", LayoutJSONKeys.card), ("application", LayoutJSONKeys.application), ("key", LayoutJSONKeys.key),
        ("access", LayoutJSONKeys.access), ("file", LayoutJSONKeys.file), ("format", LayoutJSONKeys.format),
        ("field", LayoutJSONKeys.field), ("part", LayoutJSONKeys.part),
    ]

    @Test("every key the schema allows is understood by the loader, and vice versa")
    func schemaKeysEqualLoaderKeys() throws {
        guard case .object(let schema) = try JSONValue.parse(CardLayout.schemaText),
              case .object(let rootProperties)? = schema["properties"],
              case .object(let definitions)? = schema["$defs"] else {
            Issue.record("schema has no properties or $defs")
            return
        }
        #expect(Set(rootProperties.keys) == LayoutJSONKeys.document)
        for (name, keys) in Self.definitions {
            guard case .object(let definition)? = definitions[name],
                  case .object(let properties)? = definition["properties"] else {
                Issue.record("$defs/\(name) has no properties")
                continue
            }
            #expect(Set(properties.keys) == keys, "$defs/\(name)")
        }
    }

    @Test("the fixture uses every key the schema allows, and it loads")
    func fixtureCoversEveryKey() throws {
        let document = try JSONValue.parse(fullFixture)
        var used: [String: Set<String>] = [:]
        func keys(_ value: JSONValue?) -> Set<String> {
            if case .object(let object)? = value { return Set(object.keys) }
            return []
        }
        guard case .object(let root) = document,
              case .object(let application)? = root["application"],
              case .array(let keyEntries)? = application["keys"],
              case .array(let files)? = root["files"],
              case .object(let formats)? = root["formats"] else {
            Issue.record("fixture shape")
            return
        }
        used["document"] = keys(document)
        used["card"] = keys(root["card"])
        used["application"] = keys(root["application"])
        used["key"] = keyEntries.reduce(into: Set()) { $0.formUnion(keys($1)) }
        used["file"] = files.reduce(into: Set()) { $0.formUnion(keys($1)) }
        used["access"] = files.reduce(into: Set()) { partial, file in
            if case .object(let object) = file { partial.formUnion(keys(object["access"])) }
        }
        used["part"] = files.reduce(into: Set()) { partial, file in
            if case .object(let object) = file, case .array(let parts)? = object["parts"] {
                for part in parts { partial.formUnion(keys(part)) }
            }
        }
        used["format"] = formats.members.reduce(into: Set()) { $0.formUnion(keys($1.value)) }
        used["field"] = formats.members.reduce(into: Set()) { partial, member in
            if case .object(let format) = member.value, case .array(let fields)? = format["fields"] {
                for field in fields { partial.formUnion(keys(field)) }
            }
        }
        #expect(used["document"] == LayoutJSONKeys.document)
        for (name, expected) in Self.definitions { #expect(used[name] == expected, "\(name)") }
        _ = try CardLayout(json: fullFixture)
    }

    @Test("the schema uses only keywords the validator implements")
    func validatorRefusesUnknownKeywords() throws {
        _ = try JSONSchemaValidator(schema: JSONValue.parse(CardLayout.schemaText))
        #expect(throws: CardLayoutError(.schemaViolation, "", path: "#/uniqueItems", rule: "unsupported-keyword")) {
            try JSONSchemaValidator(schema: JSONValue.parse(#"{"uniqueItems": true}"#))
        }
    }
}

/// One broken layout: a textual edit of the fixture and the exact error it must produce.
struct BrokenLayout: CustomTestStringConvertible, Sendable {
    let name: String
    let replace: String
    let with: String
    let code: CardLayoutError.Code
    let path: String
    let rule: String?
    var testDescription: String { name }

    init(_ name: String, _ replace: String, _ with: String, _ code: CardLayoutError.Code, at path: String, rule: String? = nil) {
        self.name = name
        self.replace = replace
        self.with = with
        self.code = code
        self.path = path
        self.rule = rule
    }
}

@Suite("Broken layouts are refused with the exact reason")
struct BrokenLayoutTests {
    static let cases: [BrokenLayout] = [
        .init("overlapping fields", #""name": "issued", "type": "date", "offset": 8"#, #""name": "issued", "type": "date", "offset": 7"#,
              .overlappingFields, at: "/formats/info/fields/1"),
        .init("field outside its record", #""type": "enum", "offset": 10"#, #""type": "enum", "offset": 16"#,
              .fieldOutsideRecord, at: "/formats/info/fields/2"),
        .init("record larger than its data file", #""size": 16, "format": "info""#, #""size": 12, "format": "info""#,
              .recordLargerThanFile, at: "/files/0"),
        .init("repeated records larger than the file", #""format": "info", "repeat": 1"#, #""format": "info", "repeat": 2"#,
              .recordLargerThanFile, at: "/files/0"),
        .init("record larger than the record size", #""recordSize": 8"#, #""recordSize": 6"#,
              .recordLargerThanFile, at: "/files/2"),
        .init("unknown file type", #""type": "standard""#, #""type": "stdd""#,
              .schemaViolation, at: "/files/0/type", rule: "enum"),
        .init("unknown field type", #""type": "bytes""#, #""type": "blob""#,
              .schemaViolation, at: "/formats/info/fields/0/type", rule: "enum"),
        .init("a key role missing", #"{ "number": 2, "role": "validate" },"#, "",
              .missingKeyRole, at: "/application/keys"),
        .init("duplicate key numbers", #"{ "number": 3, "role": "issue" }"#, #"{ "number": 2, "role": "issue" }"#,
              .duplicateKeyNumber, at: "/application/keys/3/number"),
        .init("duplicate key roles", #"{ "number": 3, "role": "issue" }"#, #"{ "number": 3, "role": "read" }"#,
              .duplicateKeyRole, at: "/application/keys/3/role"),
        .init("application master is not key 0", #""number": 0, "role": "applicationMaster""#, #""number": 5, "role": "applicationMaster""#,
              .applicationMasterNotKeyZero, at: "/application/keys"),
        .init("duplicate file numbers", #""number": 3, "name": "log""#, #""number": 1, "name": "log""#,
              .duplicateFileNumber, at: "/files/2/number"),
        .init("duplicate file names", #""number": 3, "name": "log""#, #""number": 3, "name": "purse""#,
              .duplicateFileName, at: "/files/2/name"),
        .init("access right naming an absent key", #""change": 0 }"#, #""change": 9 }"#,
              .badAccessRight, at: "/files/1/access/change"),
        .init("access right that is no key, role, free or never", #""write": "never", "readWrite": "issue", "change": "applicationMaster" }, "description""#,
              #""write": "everyone", "readWrite": "issue", "change": "applicationMaster" }, "description""#,
              .schemaViolation, at: "/files/0/access/write", rule: "oneOf"),
        .init("access right key number beyond 13", #""change": 0 }"#, #""change": 14 }"#,
              .schemaViolation, at: "/files/1/access/change", rule: "oneOf"),
        .init("AID of the card level", #""aid": "F00001""#, #""aid": "000000""#, .badAID, at: "/application/aid"),
        .init("AID too short", #""aid": "F00001""#, #""aid": "F0001""#, .schemaViolation, at: "/application/aid", rule: "pattern"),
        .init("AID not hex", #""aid": "F00001""#, #""aid": "F0000G""#, .schemaViolation, at: "/application/aid", rule: "pattern"),
        .init("too big for the card", #""capacityBytes": 2048"#, #""capacityBytes": 256"#, .tooBigForCard, at: "/card/capacityBytes"),
        .init("unknown format", #""format": "entry""#, #""format": "entries""#, .unknownFormat, at: "/files/2/format"),
        .init("initial value above the upper limit", #""initialValue": 0"#, #""initialValue": 2000"#, .badValueLimits, at: "/files/1"),
        .init("lower limit above the upper limit", #""lowerLimit": 0"#, #""lowerLimit": 5000"#, .badValueLimits, at: "/files/1"),
        .init("date one byte wide", #""name": "issued", "type": "date", "offset": 8, "width": 2"#, #""name": "issued", "type": "date", "offset": 8, "width": 1"#,
              .badFieldWidth, at: "/formats/info/fields/1/width"),
        .init("integer nine bytes wide", #""name": "amount", "type": "int", "offset": 4, "width": 2"#, #""name": "amount", "type": "int", "offset": 4, "width": 9"#,
              .badFieldWidth, at: "/formats/entry/fields/1/width"),
        .init("enum code wider than its field", #""b": 2 }"#, #""b": 256 }"#, .badCodeTable, at: "/formats/info/fields/2/values/b"),
        .init("enum codes repeated", #""b": 2 }"#, #""b": 1 }"#, .badCodeTable, at: "/formats/info/fields/2/values/b"),
        .init("flag bit beyond the field", #""y": 7 }"#, #""y": 8 }"#, .badCodeTable, at: "/formats/entry/fields/2/flags/y"),
        .init("duplicate field names", #""name": "issued""#, #""name": "serial""#, .duplicateFieldName, at: "/formats/info/fields/1/name"),
        .init("a key the schema does not know", #""communication": "plain""#, #""communication": "plain", "colour": "red""#,
              .schemaViolation, at: "/files/0/colour", rule: "additionalProperties"),
        .init("a value file with a size", #""type": "value", "lowerLimit""#, #""type": "value", "size": 4, "lowerLimit""#,
              .schemaViolation, at: "/files/1/size", rule: "false"),
        .init("a record file without a record size", #""recordSize": 8, "#, "",
              .schemaViolation, at: "/files/2", rule: "required"),
        .init("parts larger than their file", #""size": 40, "communication""#, #""size": 31, "communication""#,
              .recordLargerThanFile, at: "/files/3/parts"),
        .init("a part named like a file", #""name": "tail""#, #""name": "purse""#, .duplicateFileName, at: "/files/3/parts/1/name"),
        .init("a part of an unknown format", #""format": "entry", "repeat": 2"#, #""format": "nothing", "repeat": 2"#,
              .unknownFormat, at: "/files/3/parts/1/format"),
        .init("a file with a format and parts", #""size": 40, "communication""#, #""size": 40, "format": "info", "communication""#,
              .schemaViolation, at: "/files/3", rule: "oneOf"),
        .init("a cyclic file of one record", #""maxRecords": 3"#, #""maxRecords": 1"#,
              .schemaViolation, at: "/files/2/maxRecords", rule: "minimum"),
        .init("an enum without values", #", "values": { "a": 1, "b": 2 }"#, "",
              .schemaViolation, at: "/formats/info/fields/2", rule: "required"),
        .init("flags on a non-flags field", #""type": "dateTime", "offset": 0, "width": 4"#, #""type": "dateTime", "offset": 0, "width": 4, "flags": {"z": 1}"#,
              .schemaViolation, at: "/formats/entry/fields/0/flags", rule: "false"),
        .init("the version missing", #""version": 1,"#, "", .schemaViolation, at: "", rule: "required"),
        .init("a version that is a string", #""version": 1,"#, #""version": "1","#, .schemaViolation, at: "/version", rule: "type"),
        .init("a key type other than AES", #""keyType": "AES""#, #""keyType": "DES""#, .schemaViolation, at: "/application/keyType", rule: "enum"),
        .init("file number beyond 31", #""number": 3, "name": "log""#, #""number": 32, "name": "log""#,
              .schemaViolation, at: "/files/2/number", rule: "maximum"),
        .init("a trailing comma", #""change": "never" } }"#, #""change": "never" }, }"#, .malformedJSON, at: ""),
        .init("a key written twice", #""version": 1,"#, #""version": 1, "version": 2,"#, .malformedJSON, at: ""),
    ]

    @Test("the fixture itself loads")
    func fixtureLoads() throws {
        let layout = try CardLayout(json: fullFixture)
        #expect(layout.files.map(\.name) == ["info", "purse", "log", "shared"])
        // Parts are addressed like files, at their offsets in the file they lie in.
        #expect(layout.parts.map(\.name) == ["head", "tail"])
        #expect(layout.parts.map(\.offset) == [0, 16])
        #expect(layout.file(named: "tail")?.number == 4 && layout.file(named: "tail")?.partOf == "shared")
        #expect(layout.file(named: "tail")?.kind == .backup(size: 16))
        #expect(layout.file(number: 4)?.name == "shared")
        #expect(layout.memoryBudget.items.filter { $0.what.hasPrefix("file 4 ") }.map(\.bytes) == [128, 32])
    }

    @Test(arguments: cases)
    func refused(_ broken: BrokenLayout) throws {
        #expect(fullFixture.contains(broken.replace), "the edit must apply to the fixture")
        let text = fullFixture.replacingOccurrences(of: broken.replace, with: broken.with)
        let expected = CardLayoutError(broken.code, "", path: broken.path, rule: broken.rule)
        let error = #expect(throws: CardLayoutError.self) { try CardLayout(json: text) }
        #expect(error == expected, "got \(String(describing: error))")
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

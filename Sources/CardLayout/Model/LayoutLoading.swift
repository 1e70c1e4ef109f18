import Identifiers

/// The JSON keys each part of a layout may carry, as the loader understands them.
///
/// A test compares these sets with the `properties` of the schema, so a key the schema allows
/// but the code ignores (or the reverse) fails the build's tests.
public enum LayoutJSONKeys {
    /// Keys of the top-level document.
    public static let document: Set<String> = ["$schema", "id", "community", "name", "version", "description", "card", "application", "files", "formats"]
    /// Keys of `card`.
    public static let card: Set<String> = ["model", "capacityBytes"]
    /// Keys of `application`.
    public static let application: Set<String> = ["aid", "keyType", "keys"]
    /// Keys of one entry of `application.keys`.
    public static let key: Set<String> = ["number", "role", "description"]
    /// Keys of a file's `access`.
    public static let access: Set<String> = ["read", "write", "readWrite", "change"]
    /// Keys of one entry of `files`.
    public static let file: Set<String> = [
        "number", "name", "type", "communication", "access", "description", "size", "format", "repeat", "parts",
        "recordSize", "maxRecords", "lowerLimit", "upperLimit", "initialValue", "limitedCredit",
    ]
    /// Keys of one entry of a file's `parts`.
    public static let part: Set<String> = ["name", "format", "repeat", "description"]
    /// Keys of one record format.
    public static let format: Set<String> = ["size", "description", "fields"]
    /// Keys of one field.
    public static let field: Set<String> = ["name", "type", "offset", "width", "byteOrder", "description", "values", "flags"]
}

/// Reads members of a schema-valid JSON object and insists the code asks only for declared keys
/// and that nothing present goes unread.
private struct ObjectReader {
    let object: JSONObject
    let path: String
    let declared: Set<String>
    var consumed: Set<String> = []

    init(_ value: JSONValue, path: String, declared: Set<String>) throws(CardLayoutError) {
        guard case .object(let object) = value else {
            throw CardLayoutError(.schemaViolation, "expected an object", path: path, rule: "type")
        }
        self.object = object
        self.path = path
        self.declared = declared
    }

    mutating func take(_ key: String) -> JSONValue? {
        precondition(declared.contains(key), "the loader reads \(key), which LayoutJSONKeys does not declare")
        consumed.insert(key)
        return object[key]
    }

    mutating func string(_ key: String) throws(CardLayoutError) -> String {
        guard case .string(let text)? = take(key) else { throw missing(key) }
        return text
    }
    mutating func optionalString(_ key: String) -> String? {
        if case .string(let text)? = take(key) { return text }
        return nil
    }
    mutating func integer(_ key: String) throws(CardLayoutError) -> Int64 {
        guard case .integer(let number)? = take(key) else { throw missing(key) }
        return number
    }
    mutating func optionalInteger(_ key: String) -> Int64? {
        if case .integer(let number)? = take(key) { return number }
        return nil
    }
    mutating func value(_ key: String) throws(CardLayoutError) -> JSONValue {
        guard let value = take(key) else { throw missing(key) }
        return value
    }
    func missing(_ key: String) -> CardLayoutError {
        CardLayoutError(.schemaViolation, "lacks the required property \(key)", path: path, rule: "required")
    }
    func finish() throws(CardLayoutError) {
        for key in object.keys where !consumed.contains(key) {
            throw CardLayoutError(.schemaViolation, "has the property \(key), which the loader does not understand",
                                  path: "\(path)/\(key)", rule: "additionalProperties")
        }
    }
}

extension CardLayout {
    /// Loads and validates a layout from JSON text.
    public init(json text: String) throws(CardLayoutError) {
        try self.init(document: JSONValue.parse(text))
    }

    /// Loads and validates a layout from UTF-8 JSON bytes.
    public init(json bytes: [UInt8]) throws(CardLayoutError) {
        try self.init(document: JSONValue.parse(bytes))
    }

    /// The validator for `schemaText`, parsed once.
    public static let schemaValidator: JSONSchemaValidator = {
        do {
            return try JSONSchemaValidator(schema: JSONValue.parse(schemaText))
        } catch {
            fatalError("the embedded card layout schema is broken: \(error)")
        }
    }()

    /// Validates a parsed document against the schema, then against the rules the schema cannot
    /// express; throws the first problem found.
    public init(document: JSONValue) throws(CardLayoutError) {
        if let violation = Self.schemaValidator.violations(of: document).first {
            throw CardLayoutError(.schemaViolation, violation.message, path: violation.path, rule: violation.rule)
        }
        var root = try ObjectReader(document, path: "", declared: LayoutJSONKeys.document)
        _ = root.take("$schema")
        id = try root.string("id")
        community = try root.string("community")
        name = try root.string("name")
        version = Int(try root.integer("version"))
        description = root.optionalString("description")
        card = try Self.readCard(root.value("card"))
        application = try Self.readApplication(root.value("application"))
        formats = try Self.readFormats(root.value("formats"))
        guard case .array(let fileValues) = try root.value("files") else { throw root.missing("files") }
        var files: [FileSpec] = []
        var parts: [FileSpec] = []
        for (index, fileValue) in fileValues.enumerated() {
            let (file, fileParts) = try Self.readFile(fileValue, path: "/files/\(index)", application: application, formats: formats)
            if files.contains(where: { $0.number == file.number }) {
                throw CardLayoutError(.duplicateFileNumber, "file number \(file.number) is used twice", path: "/files/\(index)/number")
            }
            // Files and parts share one name space: code asks for either by name.
            let named = [file] + fileParts
            for (position, spec) in named.enumerated()
            where (files + parts + named.prefix(position)).contains(where: { $0.name == spec.name }) {
                throw CardLayoutError(.duplicateFileName, "file name \(spec.name) is used twice",
                                      path: position == 0 ? "/files/\(index)/name" : "/files/\(index)/parts/\(position - 1)/name")
            }
            files.append(file)
            parts += fileParts
        }
        self.files = files
        self.parts = parts
        try root.finish()
        let budget = memoryBudget
        if budget.totalBytes > card.capacityBytes {
            throw CardLayoutError(.tooBigForCard,
                "the application needs \(budget.totalBytes) bytes, the \(card.model) offers \(card.capacityBytes)",
                path: "/card/capacityBytes")
        }
    }

    private static func readCard(_ value: JSONValue) throws(CardLayoutError) -> CardModel {
        var reader = try ObjectReader(value, path: "/card", declared: LayoutJSONKeys.card)
        let card = CardModel(model: try reader.string("model"), capacityBytes: Int(try reader.integer("capacityBytes")))
        try reader.finish()
        return card
    }

    private static func readApplication(_ value: JSONValue) throws(CardLayoutError) -> ApplicationSpec {
        var reader = try ObjectReader(value, path: "/application", declared: LayoutJSONKeys.application)
        let aidText = try reader.string("aid")
        guard let aidBytes = Hex.decode(aidText), aidBytes.count == 3 else {
            throw CardLayoutError(.badAID, "an AID is six hex digits, found \(aidText)", path: "/application/aid")
        }
        guard aidBytes != [0, 0, 0] else {
            throw CardLayoutError(.badAID, "000000 is the card (PICC) level, not an application", path: "/application/aid")
        }
        _ = try reader.string("keyType")
        guard case .array(let keyValues) = try reader.value("keys") else { throw reader.missing("keys") }
        var keys: [KeySpec] = []
        for (index, keyValue) in keyValues.enumerated() {
            let path = "/application/keys/\(index)"
            var keyReader = try ObjectReader(keyValue, path: path, declared: LayoutJSONKeys.key)
            let number = UInt8(try keyReader.integer("number"))
            let roleName = try keyReader.string("role")
            guard let role = CardKeyRole(rawValue: roleName) else {
                throw CardLayoutError(.schemaViolation, "unknown role \(roleName)", path: "\(path)/role", rule: "enum")
            }
            if keys.contains(where: { $0.number == number }) {
                throw CardLayoutError(.duplicateKeyNumber, "key number \(number) is declared twice", path: "\(path)/number")
            }
            if keys.contains(where: { $0.role == role }) {
                throw CardLayoutError(.duplicateKeyRole, "role \(roleName) has two keys", path: "\(path)/role")
            }
            keys.append(KeySpec(number: number, role: role, description: keyReader.optionalString("description")))
            try keyReader.finish()
        }
        for role in CardKeyRole.allCases where !keys.contains(where: { $0.role == role }) {
            throw CardLayoutError(.missingKeyRole, "no key has the role \(role.rawValue)", path: "/application/keys")
        }
        if let master = keys.first(where: { $0.role == .applicationMaster }), master.number != 0 {
            throw CardLayoutError(.applicationMasterNotKeyZero,
                                  "DESFire's application master key is key 0, the layout says \(master.number)",
                                  path: "/application/keys")
        }
        try reader.finish()
        return ApplicationSpec(aid: ApplicationID(bytes: aidBytes), keyType: .aes, keys: keys)
    }

    private static func readFormats(_ value: JSONValue) throws(CardLayoutError) -> [String: RecordFormat] {
        guard case .object(let object) = value else {
            throw CardLayoutError(.schemaViolation, "expected an object", path: "/formats", rule: "type")
        }
        var formats: [String: RecordFormat] = [:]
        for (formatName, formatValue) in object.members {
            let path = "/formats/\(formatName)"
            var reader = try ObjectReader(formatValue, path: path, declared: LayoutJSONKeys.format)
            let size = Int(try reader.integer("size"))
            let description = reader.optionalString("description")
            guard case .array(let fieldValues) = try reader.value("fields") else { throw reader.missing("fields") }
            var fields: [FieldSpec] = []
            for (index, fieldValue) in fieldValues.enumerated() {
                let field = try readField(fieldValue, path: "\(path)/fields/\(index)")
                let fieldPath = "\(path)/fields/\(index)"
                if fields.contains(where: { $0.name == field.name }) {
                    throw CardLayoutError(.duplicateFieldName, "\(formatName) has two fields named \(field.name)",
                                          path: "\(fieldPath)/name")
                }
                guard field.type.allowedWidths.contains(field.width) else {
                    throw CardLayoutError(.badFieldWidth,
                        "a \(field.type.typeName) field is \(field.type.allowedWidths.lowerBound)…\(field.type.allowedWidths.upperBound) bytes wide, \(field.name) is \(field.width)",
                        path: "\(fieldPath)/width")
                }
                guard field.offset + field.width <= size else {
                    throw CardLayoutError(.fieldOutsideRecord,
                        "\(field.name) spans bytes \(field.offset)..<\(field.offset + field.width) but \(formatName) is \(size) bytes",
                        path: fieldPath)
                }
                if let other = fields.first(where: { $0.range.overlaps(field.range) }) {
                    throw CardLayoutError(.overlappingFields,
                        "\(field.name) (bytes \(field.offset)..<\(field.offset + field.width)) overlaps \(other.name) (bytes \(other.offset)..<\(other.offset + other.width))",
                        path: fieldPath)
                }
                try checkCodeTable(field, path: fieldPath)
                fields.append(field)
            }
            try reader.finish()
            formats[formatName] = RecordFormat(name: formatName, size: size, fields: fields, description: description)
        }
        return formats
    }

    private static func readField(_ value: JSONValue, path: String) throws(CardLayoutError) -> FieldSpec {
        var reader = try ObjectReader(value, path: path, declared: LayoutJSONKeys.field)
        let name = try reader.string("name")
        let typeName = try reader.string("type")
        let offset = Int(try reader.integer("offset"))
        let width = Int(try reader.integer("width"))
        let byteOrderName = reader.optionalString("byteOrder") ?? "big"
        let description = reader.optionalString("description")
        let values = reader.take("values")
        let flags = reader.take("flags")
        let type: FieldType
        switch typeName {
        case "uint": type = .unsignedInteger
        case "int": type = .signedInteger
        case "date": type = .date
        case "dateTime": type = .dateTime
        case "bytes": type = .bytes
        case "enum":
            var table: [String: UInt64] = [:]
            if case .object(let object)? = values {
                for case (let key, .integer(let code)) in object.members { table[key] = UInt64(code) }
            }
            type = .enumeration(table)
        case "flags":
            var table: [String: Int] = [:]
            if case .object(let object)? = flags {
                for case (let key, .integer(let bit)) in object.members { table[key] = Int(bit) }
            }
            type = .flags(table)
        default:
            throw CardLayoutError(.schemaViolation, "unknown field type \(typeName)", path: "\(path)/type", rule: "enum")
        }
        guard let byteOrder = ByteOrder(rawValue: byteOrderName) else {
            throw CardLayoutError(.schemaViolation, "unknown byte order \(byteOrderName)", path: "\(path)/byteOrder", rule: "enum")
        }
        try reader.finish()
        return FieldSpec(name: name, type: type, offset: offset, width: width, byteOrder: byteOrder, description: description)
    }

    private static func checkCodeTable(_ field: FieldSpec, path: String) throws(CardLayoutError) {
        let bits = field.width * 8
        switch field.type {
        case .enumeration(let table):
            var seen: [UInt64: String] = [:]
            for (name, code) in table.sorted(by: { $0.key < $1.key }) {
                if bits < 64, code >> UInt64(bits) != 0 {
                    throw CardLayoutError(.badCodeTable, "\(field.name).\(name) = \(code) does not fit \(field.width) byte(s)",
                                          path: "\(path)/values/\(name)")
                }
                if let other = seen[code] {
                    throw CardLayoutError(.badCodeTable, "\(field.name): \(name) and \(other) share code \(code)",
                                          path: "\(path)/values/\(name)")
                }
                seen[code] = name
            }
        case .flags(let table):
            var seen: [Int: String] = [:]
            for (name, bit) in table.sorted(by: { $0.key < $1.key }) {
                if bit >= bits {
                    throw CardLayoutError(.badCodeTable, "\(field.name).\(name) is bit \(bit) of a \(bits)-bit field",
                                          path: "\(path)/flags/\(name)")
                }
                if let other = seen[bit] {
                    throw CardLayoutError(.badCodeTable, "\(field.name): \(name) and \(other) share bit \(bit)",
                                          path: "\(path)/flags/\(name)")
                }
                seen[bit] = name
            }
        default: break
        }
    }

    private static func accessRight(
        _ value: JSONValue, path: String, application: ApplicationSpec
    ) throws(CardLayoutError) -> AccessRight {
        switch value {
        case .integer(let number):
            guard application.role(ofKey: UInt8(number)) != nil else {
                throw CardLayoutError(.badAccessRight, "key \(number) is not one of the application's keys", path: path)
            }
            return .key(UInt8(number))
        case .string("free"): return .free
        case .string("never"): return .never
        case .string(let roleName):
            guard let role = CardKeyRole(rawValue: roleName) else {
                throw CardLayoutError(.badAccessRight, "\(roleName) is not a key role, free or never", path: path)
            }
            return .key(application.keyNumber(for: role))
        default:
            throw CardLayoutError(.badAccessRight, "an access right is a key number, a role, free or never", path: path)
        }
    }
}


extension CardLayout {
    private static func readFile(
        _ value: JSONValue, path: String, application: ApplicationSpec, formats: [String: RecordFormat]
    ) throws(CardLayoutError) -> (file: FileSpec, parts: [FileSpec]) {
        var reader = try ObjectReader(value, path: path, declared: LayoutJSONKeys.file)
        let number = UInt8(try reader.integer("number"))
        let name = try reader.string("name")
        let typeName = try reader.string("type")
        let communicationName = try reader.string("communication")
        guard let communication = CommunicationMode(rawValue: communicationName) else {
            throw CardLayoutError(.schemaViolation, "unknown communication mode", path: "\(path)/communication", rule: "enum")
        }
        var accessReader = try ObjectReader(try reader.value("access"), path: "\(path)/access", declared: LayoutJSONKeys.access)
        var rights: [String: AccessRight] = [:]
        for key in ["read", "write", "readWrite", "change"] {
            rights[key] = try accessRight(try accessReader.value(key), path: "\(path)/access/\(key)", application: application)
        }
        try accessReader.finish()
        let access = AccessRights(read: rights["read"]!, write: rights["write"]!,
                                  readWrite: rights["readWrite"]!, change: rights["change"]!)
        let description = reader.optionalString("description")
        let formatName = reader.optionalString("format")
        let repeatCount = Int(reader.optionalInteger("repeat") ?? 1)
        let size = reader.optionalInteger("size").map(Int.init)
        let recordSize = reader.optionalInteger("recordSize").map(Int.init)
        let maxRecords = reader.optionalInteger("maxRecords").map(Int.init)
        let lowerLimit = reader.optionalInteger("lowerLimit")
        let upperLimit = reader.optionalInteger("upperLimit")
        let initialValue = reader.optionalInteger("initialValue")
        var limitedCredit = false
        if case .bool(let flag)? = reader.take("limitedCredit") { limitedCredit = flag }
        let partValues = reader.take("parts")
        try reader.finish()

        let kind: FileKind
        switch (typeName, size, recordSize, maxRecords, lowerLimit, upperLimit, initialValue) {
        case ("standard", let size?, nil, nil, nil, nil, nil): kind = .standard(size: size)
        case ("backup", let size?, nil, nil, nil, nil, nil): kind = .backup(size: size)
        case ("linearRecord", nil, let recordSize?, let maxRecords?, nil, nil, nil):
            kind = .linearRecord(recordSize: recordSize, maxRecords: maxRecords)
        case ("cyclicRecord", nil, let recordSize?, let maxRecords?, nil, nil, nil):
            kind = .cyclicRecord(recordSize: recordSize, maxRecords: maxRecords)
        case ("value", nil, nil, nil, let lower?, let upper?, let initial?):
            kind = .value(ValueFileSpec(lowerLimit: Int32(lower), upperLimit: Int32(upper),
                                        initialValue: Int32(initial), limitedCredit: limitedCredit))
        default:
            throw CardLayoutError(.schemaViolation, "the properties do not fit a \(typeName) file", path: path, rule: "allOf")
        }

        if let formatName {
            guard let format = formats[formatName] else {
                throw CardLayoutError(.unknownFormat, "\(name) uses format \(formatName), which is not defined",
                                      path: "\(path)/format")
            }
            switch kind {
            case .standard(let size), .backup(let size):
                if format.size * repeatCount > size {
                    throw CardLayoutError(.recordLargerThanFile,
                        "\(repeatCount) × \(formatName) (\(format.size) bytes) = \(format.size * repeatCount) bytes exceed \(name)'s \(size) bytes",
                        path: path)
                }
            case .linearRecord(let recordSize, _), .cyclicRecord(let recordSize, _):
                if format.size > recordSize {
                    throw CardLayoutError(.recordLargerThanFile,
                        "\(formatName) is \(format.size) bytes but \(name)'s records are \(recordSize) bytes",
                        path: path)
                }
            case .value: break
            }
        }
        if case .value(let limits) = kind {
            guard limits.lowerLimit <= limits.upperLimit,
                  (limits.lowerLimit...limits.upperLimit).contains(limits.initialValue) else {
                throw CardLayoutError(.badValueLimits,
                    "need lowerLimit ≤ initialValue ≤ upperLimit, found \(limits.lowerLimit), \(limits.initialValue), \(limits.upperLimit)",
                    path: path)
            }
        }
        let file = FileSpec(number: number, name: name, kind: kind, communication: communication, access: access,
                            formatName: formatName, repeatCount: repeatCount, description: description, offset: 0, partOf: nil)
        var parts: [FileSpec] = []
        if case .array(let entries)? = partValues {
            // Parts lie back to back from offset 0, each `repeat` records of its format.
            var offset = 0
            for (partIndex, entry) in entries.enumerated() {
                let partPath = "\(path)/parts/\(partIndex)"
                var partReader = try ObjectReader(entry, path: partPath, declared: LayoutJSONKeys.part)
                let partName = try partReader.string("name")
                let partFormat = try partReader.string("format")
                let partRepeat = Int(partReader.optionalInteger("repeat") ?? 1)
                let partDescription = partReader.optionalString("description")
                try partReader.finish()
                guard let format = formats[partFormat] else {
                    throw CardLayoutError(.unknownFormat, "\(partName) uses format \(partFormat), which is not defined", path: "\(partPath)/format")
                }
                let size = format.size * partRepeat
                let partKind: FileKind
                switch kind {
                case .standard: partKind = .standard(size: size)
                case .backup: partKind = .backup(size: size)
                default:
                    throw CardLayoutError(.schemaViolation, "only standard and backup files have parts", path: partPath, rule: "allOf")
                }
                parts.append(FileSpec(
                    number: number, name: partName, kind: partKind, communication: communication, access: access,
                    formatName: partFormat, repeatCount: partRepeat, description: partDescription, offset: offset, partOf: name))
                offset += size
            }
            if offset > file.logicalSize {
                throw CardLayoutError(.recordLargerThanFile,
                    "the parts of \(name) take \(offset) bytes, the file has \(file.logicalSize)", path: "\(path)/parts")
            }
        }
        return (file, parts)
    }
}

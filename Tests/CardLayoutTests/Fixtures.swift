import CardLayout
import PropertyTesting

/// Where the repository's `CardLayouts/` folder is, found from this file's path.
enum Repository {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3) // Tests/CardLayoutTests/Fixtures.swift
        return parts.joined(separator: "/")
    }()

    static func read(_ relativePath: String) throws -> String {
        try readText(atPath: root + "/" + relativePath)
    }
}

/// A layout that uses every key the schema allows, small enough to read at a glance.
let fullFixture = """
{
  "$schema": "card-layout.schema.json",
  "id": "test-card-v1", "community": "test", "name": "Test card", "version": 1,
  "description": "fixture",
  "card": { "model": "EV1 2K", "capacityBytes": 2048 },
  "application": { "aid": "F00001", "keyType": "AES", "keys": [
    { "number": 0, "role": "applicationMaster", "description": "master" },
    { "number": 1, "role": "read" },
    { "number": 2, "role": "validate" },
    { "number": 3, "role": "issue" } ] },
  "files": [
    { "number": 1, "name": "info", "type": "standard", "size": 16, "format": "info", "repeat": 1, "communication": "plain",
      "access": { "read": "read", "write": "never", "readWrite": "issue", "change": "applicationMaster" }, "description": "d" },
    { "number": 2, "name": "purse", "type": "value", "lowerLimit": 0, "upperLimit": 1000, "initialValue": 0, "limitedCredit": false, "communication": "mac",
      "access": { "read": "validate", "write": "never", "readWrite": "issue", "change": 0 } },
    { "number": 3, "name": "log", "type": "cyclicRecord", "recordSize": 8, "maxRecords": 3, "format": "entry", "communication": "enciphered",
      "access": { "read": "read", "write": "validate", "readWrite": "issue", "change": "never" } },
    { "number": 4, "name": "shared", "type": "backup", "size": 40, "communication": "enciphered",
      "access": { "read": "validate", "write": "never", "readWrite": "issue", "change": "applicationMaster" },
      "parts": [ { "name": "head", "format": "info", "description": "p" }, { "name": "tail", "format": "entry", "repeat": 2 } ] }
  ],
  "formats": {
    "info": { "size": 16, "description": "card info", "fields": [
      { "name": "serial", "type": "bytes", "offset": 0, "width": 8, "description": "s" },
      { "name": "issued", "type": "date", "offset": 8, "width": 2 },
      { "name": "kind", "type": "enum", "offset": 10, "width": 1, "values": { "a": 1, "b": 2 } } ] },
    "entry": { "size": 8, "fields": [
      { "name": "time", "type": "dateTime", "offset": 0, "width": 4 },
      { "name": "amount", "type": "int", "offset": 4, "width": 2, "byteOrder": "little" },
      { "name": "bits", "type": "flags", "offset": 6, "width": 1, "flags": { "x": 0, "y": 7 } } ] }
  }
}
"""

/// Builds a random, valid layout from `rng`: 1–4 formats packed with random fields, each in a
/// file of a random type, on a large card.
func randomLayoutJSON(_ rng: inout SeededGenerator) -> String {
    let types = ["uint", "int", "date", "dateTime", "enum", "bytes", "flags"]
    var formats: [String] = []
    var files: [String] = []
    let formatCount = Int.random(in: 1...4, using: &rng)
    for formatIndex in 0..<formatCount {
        let size = Int.random(in: 1...64, using: &rng)
        var fields: [String] = []
        var offset = 0
        var fieldIndex = 0
        while offset < size {
            offset += Int.random(in: 0...2, using: &rng)
            let type = types.randomElement(using: &rng)!
            let allowed: ClosedRange<Int> = switch type {
            case "date": 2...4
            case "dateTime": 4...8
            case "bytes": 1...16
            default: 1...8
            }
            guard offset + allowed.lowerBound <= size else { break }
            let width = Int.random(in: allowed.lowerBound...min(allowed.upperBound, size - offset), using: &rng)
            let order = Bool.random(using: &rng) ? "big" : "little"
            var extra = ""
            if type == "enum" {
                let maxCode = width >= 8 ? UInt64.max : (UInt64(1) << UInt64(width * 8)) - 1
                let codes = Set((0..<Int.random(in: 1...5, using: &rng)).map { _ in UInt64.random(in: 0...min(maxCode, UInt64(Int64.max)), using: &rng) })
                extra = ", \"values\": {" + codes.enumerated().map { "\"c\($0.offset)\": \($0.element)" }.joined(separator: ", ") + "}"
            }
            if type == "flags" {
                let bits = Set((0..<Int.random(in: 1...6, using: &rng)).map { _ in Int.random(in: 0..<(width * 8), using: &rng) })
                extra = ", \"flags\": {" + bits.enumerated().map { "\"f\($0.offset)\": \($0.element)" }.joined(separator: ", ") + "}"
            }
            fields.append("{\"name\": \"f\(fieldIndex)\", \"type\": \"\(type)\", \"offset\": \(offset), \"width\": \(width), \"byteOrder\": \"\(order)\"\(extra)}")
            offset += width
            fieldIndex += 1
        }
        if fields.isEmpty {
            fields.append("{\"name\": \"only\", \"type\": \"uint\", \"offset\": 0, \"width\": 1}")
        }
        formats.append("\"format\(formatIndex)\": {\"size\": \(size), \"fields\": [\(fields.joined(separator: ", "))]}")
        let access = "\"access\": {\"read\": \"read\", \"write\": \"validate\", \"readWrite\": \"issue\", \"change\": \"applicationMaster\"}"
        switch Int.random(in: 0...3, using: &rng) {
        case 0, 1:
            let repeatCount = Int.random(in: 1...3, using: &rng)
            let type = Bool.random(using: &rng) ? "standard" : "backup"
            files.append("{\"number\": \(formatIndex), \"name\": \"file\(formatIndex)\", \"type\": \"\(type)\", \"size\": \(size * repeatCount + Int.random(in: 0...10, using: &rng)), \"format\": \"format\(formatIndex)\", \"repeat\": \(repeatCount), \"communication\": \"plain\", \(access)}")
        default:
            let type = Bool.random(using: &rng) ? "linearRecord" : "cyclicRecord"
            files.append("{\"number\": \(formatIndex), \"name\": \"file\(formatIndex)\", \"type\": \"\(type)\", \"recordSize\": \(size + Int.random(in: 0...4, using: &rng)), \"maxRecords\": \(Int.random(in: 2...6, using: &rng)), \"format\": \"format\(formatIndex)\", \"communication\": \"mac\", \(access)}")
        }
    }
    return """
    {"id": "random-v1", "community": "random", "name": "Random", "version": 1,
     "card": {"model": "big", "capacityBytes": 65536},
     "application": {"aid": "F12345", "keyType": "AES", "keys": [{"number": 0, "role": "applicationMaster"}, {"number": 1, "role": "read"}, {"number": 2, "role": "validate"}, {"number": 3, "role": "issue"}]},
     "files": [\(files.joined(separator: ", "))],
     "formats": {\(formats.joined(separator: ", "))}}
    """
}

/// A random value that fits `field`.
func randomValue(for field: FieldSpec, _ rng: inout SeededGenerator) -> FieldValue {
    let bits = field.width * 8
    let mask: UInt64 = bits >= 64 ? .max : (UInt64(1) << UInt64(bits)) - 1
    switch field.type {
    case .unsignedInteger: return .unsigned(rng.next() & mask)
    case .signedInteger:
        let raw = rng.next() & mask
        if bits >= 64 { return .signed(Int64(bitPattern: raw)) }
        let shift = Int64(64 - bits)
        return .signed(Int64(bitPattern: raw << UInt64(shift)) >> shift)
    case .date: return .date(CardDate(daysSince2000: UInt32(truncatingIfNeeded: rng.next() & mask)))
    case .dateTime: return .dateTime(CardDateTime(secondsSince2000: rng.next() & mask))
    case .enumeration(let table): return .enumeration(table.keys.sorted().randomElement(using: &rng)!)
    case .bytes: return .bytes((0..<field.width).map { _ in UInt8.random(in: 0...255, using: &rng) })
    case .flags(let table): return .flags(Set(table.keys.filter { _ in Bool.random(using: &rng) }))
    }
}

/// A random record of `format`.
func randomRecord(of format: RecordFormat, _ rng: inout SeededGenerator) -> LayoutRecord {
    var record = LayoutRecord()
    for field in format.fields { record[field.name] = randomValue(for: field, &rng) }
    return record
}

import Identifiers

/// Text forms of a ledger for auditors and finance officers: JSON lines and CSV.
///
/// Every JSON entry line carries the canonical bytes in hex, so an auditor's script can check
/// the chain from the export alone (docs/ledger-format.md); the decoded fields beside them are
/// for reading. CSV is for spreadsheets and carries the decoded fields and the hash.
public enum LedgerExport {
    /// The first JSON line: format, device, its public key and where the chain starts.
    public static func jsonHeader(start: ChainHead, devicePublicKey: [UInt8]?) -> String {
        var object = JSONObject()
        object.add("type", string: "ledger")
        object.add("format", number: 1)
        object.add("device", number: Int64(start.deviceID.rawValue))
        if let devicePublicKey { object.add("devicePublicKey", string: Hex.encode(devicePublicKey)) }
        object.add("startSequence", number: start.sequence)
        object.add("startHash", string: start.hash.hex)
        return object.text
    }

    /// One JSON line for an entry.
    public static func jsonLine(_ entry: LedgerEntry) -> String {
        let record = entry.record
        var object = JSONObject()
        object.add("type", string: "entry")
        object.add("device", number: Int64(entry.deviceID.rawValue))
        object.add("sequence", number: entry.sequence)
        object.add("kind", string: record.kind.name)
        object.add("time", number: record.deviceTime.rawValue)
        object.add("timeUTC", string: record.deviceTime.description)
        if let value = record.cardSerial { object.add("card", string: value.printed) }
        if let value = record.layoutVersion { object.add("layout", number: Int64(value.rawValue)) }
        if let value = record.entitlementID { object.add("entitlement", number: Int64(value.rawValue)) }
        if let value = record.category { object.add("category", number: Int64(value.rawValue)) }
        if let value = record.fareKopecks { object.add("fareKopecks", number: value) }
        if let value = record.fullFareKopecks { object.add("fullFareKopecks", number: value) }
        if let value = record.purseBalanceAfterKopecks { object.add("purseBalanceAfterKopecks", number: value) }
        if let value = record.route { object.add("route", number: Int64(value.rawValue)) }
        if let value = record.vehicle { object.add("vehicle", number: Int64(value.rawValue)) }
        if let value = record.relatedSequence { object.add("relatedSequence", number: value) }
        if let value = record.clockCorrectionSeconds { object.add("clockCorrectionSeconds", number: value) }
        if let value = record.amountKopecks { object.add("amountKopecks", number: value) }
        if let value = record.receiptNumber { object.add("receiptNumber", number: value) }
        if let value = record.otherCardSerial { object.add("otherCard", string: value.printed) }
        if let terms = record.entitlementTerms {
            object.add("product", number: Int64(terms.product.rawValue))
            object.add("validFrom", string: terms.validFrom.description)
            object.add("validUntil", string: terms.validUntil.description)
            if let value = terms.rideLimit { object.add("rideLimit", number: Int64(value)) }
            if let value = terms.ridePeriod { object.add("ridePeriod", number: Int64(value.rawValue)) }
            if let value = terms.discountPercent { object.add("discountPercent", number: Int64(value)) }
        }
        if let counters = record.cardCounters {
            object.add("cardTripSequence", number: Int64(counters.tripSequence))
            if let value = counters.countedRides { object.add("countedRides", number: Int64(value)) }
            if let value = counters.countPeriodStart { object.add("countPeriodStart", string: value.description) }
        }
        if !record.detail.isEmpty { object.add("detail", string: record.detail) }
        object.add("previousHash", string: entry.previousHash.hex)
        object.add("hash", string: entry.hash.hex)
        object.add("bytes", string: Hex.encode(entry.canonicalBytes))
        return object.text
    }

    /// One JSON line for a checkpoint.
    public static func jsonLine(_ checkpoint: Checkpoint) -> String {
        var object = JSONObject()
        object.add("type", string: "checkpoint")
        object.add("device", number: Int64(checkpoint.deviceID.rawValue))
        object.add("sequence", number: checkpoint.sequence)
        object.add("chainHash", string: checkpoint.chainHash.hex)
        object.add("signature", string: Hex.encode(checkpoint.signature))
        return object.text
    }

    /// One JSON line for an accounting receipt, with the service key recorded beside it.
    public static func jsonLine(_ receipt: Receipt, servicePublicKey: [UInt8]) -> String {
        var object = JSONObject()
        object.add("type", string: "receipt")
        object.add("device", number: Int64(receipt.deviceID.rawValue))
        object.add("sequence", number: receipt.sequence)
        object.add("chainHash", string: receipt.chainHash.hex)
        object.add("signature", string: Hex.encode(receipt.signature))
        object.add("servicePublicKey", string: Hex.encode(servicePublicKey))
        return object.text
    }

    /// One JSON line for a prune anchor: entries up to `sequence` were pruned, the last one's hash kept.
    public static func jsonPruneAnchorLine(_ anchor: ChainHead) -> String {
        var object = JSONObject()
        object.add("type", string: "prune-anchor")
        object.add("sequence", number: anchor.sequence)
        object.add("chainHash", string: anchor.hash.hex)
        return object.text
    }

    /// The CSV header row: the format 1 fields, the detail and the hash, then the entry's format
    /// and the format 2 extension fields (docs/ledger-format.md, "Format 2"), so that a sheet or
    /// script that reads the first seventeen columns of an older export still reads them.
    public static let csvHeader = [
        "sequence", "device", "kind", "time_utc", "card", "layout", "entitlement", "category", "fare_kopecks",
        "full_fare_kopecks", "purse_balance_after_kopecks", "route", "vehicle", "related_sequence",
        "clock_correction_seconds", "detail", "hash",
        "format", "amount_kopecks", "receipt_number", "other_card", "card_trip_sequence", "counted_rides", "count_period_start",
        "product", "valid_from", "valid_until", "ride_period", "ride_limit", "discount_percent",
    ].joined(separator: ",")

    /// One CSV row for an entry (absent fields are empty cells).
    public static func csvRow(_ entry: LedgerEntry) -> String {
        let record = entry.record
        func cell<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "" }
        let terms = record.entitlementTerms
        let counters = record.cardCounters
        let cells = [
            String(entry.sequence), String(entry.deviceID.rawValue), record.kind.name, record.deviceTime.description,
            record.cardSerial?.printed ?? "", cell(record.layoutVersion?.rawValue), cell(record.entitlementID?.rawValue),
            cell(record.category?.rawValue), cell(record.fareKopecks), cell(record.fullFareKopecks),
            cell(record.purseBalanceAfterKopecks), cell(record.route?.rawValue), cell(record.vehicle?.rawValue),
            cell(record.relatedSequence), cell(record.clockCorrectionSeconds), record.detail, entry.hash.hex,
            String(record.format), cell(record.amountKopecks), cell(record.receiptNumber), record.otherCardSerial?.printed ?? "",
            cell(counters?.tripSequence), cell(counters?.countedRides), cell(counters?.countPeriodStart?.description),
            cell(terms?.product.rawValue), cell(terms?.validFrom.description), cell(terms?.validUntil.description),
            cell(terms?.ridePeriod?.rawValue), cell(terms?.rideLimit), cell(terms?.discountPercent),
        ]
        return cells.map(csvEscaped).joined(separator: ",")
    }

    /// Quotes a CSV cell when it holds a comma, quote or line break (RFC 4180).
    static func csvEscaped(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A flat JSON object written in insertion order (exports are read by people too).
struct JSONObject {
    private var members: [String] = []

    mutating func add(_ key: String, string value: String) {
        members.append("\"\(key)\":\(Self.quoted(value))")
    }

    mutating func add<N: BinaryInteger>(_ key: String, number value: N) {
        members.append("\"\(key)\":\(value)")
    }

    var text: String { "{" + members.joined(separator: ",") + "}" }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var out = ""
        for character in self { out += String(character) == target ? replacement : String(character) }
        return out
    }
}

import AccountingCore
import FuzzDriver
import Identifiers
import Reconciliation
import TabularText

/// CSV files as a carrier, a registry export or a clerk makes them, read by the shared reader in
/// each dialect and by the imports built on it: never a crash, and whatever the reader reads
/// writes out (`CSVWriter`) to a file that reads back to the same fields.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(start, count)
    guard let text = try? CSVText.decode(input) else { return 0 }
    let separator = CSVText.separator(of: CSVText.firstLine(of: text))
    let dialects = [
        CSVDialect(separator: separator), CSVDialect(separator: separator, strayQuote: .refused, lineBreaksInQuotes: false),
        CSVDialect(separator: separator, strayQuote: .opensQuote),
    ]
    for dialect in dialects {
        guard let records = try? CSVReader.records(text, dialect: dialect) else { continue }
        var writer = CSVWriter(separator: separator)
        for record in records { writer.append(record: record.fields) }
        let again = (try? CSVText.decode(writer.bytes)).flatMap { try? CSVReader.records($0, dialect: CSVDialect(separator: separator)) }
        precondition(again?.map(\.fields) == records.map(\.fields), "records written must read back the same")
    }
    _ = try? CarrierClaimFile.parse(input, carrier: CarrierID(rawValue: 1))
    _ = try? ReferenceCSV.purseCredits(from: input)
    _ = try? ReferenceCSV.issuedEntitlements(from: input)
    return 0
}

@_cdecl("FuzzCSV_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput: fuzzOne)
}

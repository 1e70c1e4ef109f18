import FuzzDriver
import LedgerCore

/// Ledger entry bytes as an auditor's export or an upload carries them: never a crash, and an
/// entry that decodes is exactly its canonical bytes.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(start, count)
    if let entry = try? LedgerEntry(canonicalBytes: input) {
        precondition(entry.canonicalBytes == input, "a decoded entry must be its canonical bytes")
    }
    return 0
}

@_cdecl("FuzzLedger_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput: fuzzOne)
}

import AccountingCore
import FuzzDriver

/// An upload batch's HTTP body, as any client on the network may send it, read the way the
/// service reads it (the canonical form straight from the bytes, anything else through
/// `JSONDecoder`): never a crash, and a body that decodes writes back (`jsonBody()`) to a body
/// that decodes to the same batch.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(start, count)
    if let batch = try? UploadBatch(jsonBody: input) {
        let written = try? batch.jsonBody()
        precondition(written.flatMap { try? UploadBatch(jsonBody: $0) } == batch, "a decoded batch must read back the same")
    }
    return 0
}

@_cdecl("FuzzUploadBatch_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput: fuzzOne)
}

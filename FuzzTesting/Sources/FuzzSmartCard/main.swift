import FuzzDriver
import SmartCard

/// Command/response APDUs and BER-TLV from arbitrary bytes: never a crash, and whatever parses
/// re-encodes to its input.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(start, count)
    if let command = try? CommandAPDU(bytes: input) {
        precondition(command.bytes == input, "a parsed command must re-encode to its input")
    }
    if let response = try? ResponseAPDU(bytes: input) {
        precondition(response.bytes == input, "a parsed response must re-encode to its input")
    }
    _ = try? TLV.parseAll(input)
    return 0
}

@_cdecl("FuzzSmartCard_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput: fuzzOne)
}

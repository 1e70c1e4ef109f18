import Bundles
import FuzzDriver

/// Signed bundle envelopes and their payloads, as a validator downloads them: never a crash, and
/// an envelope that decodes re-encodes to its input.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(start, count)
    if let bundle = try? SignedBundle(decoding: input) {
        precondition((try? bundle.encoded()) == input, "bundle envelope encoding must be canonical")
        _ = try? BundlePayload(decoding: bundle.payload, under: bundle.header)
    }
    _ = try? TrustPayload(decoding: input)
    return 0
}

@_cdecl("FuzzBundles_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput: fuzzOne)
}

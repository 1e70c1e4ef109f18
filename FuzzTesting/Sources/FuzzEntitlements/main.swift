import Entitlements
import FuzzDriver

/// Entitlement and certificate bytes as a card or a bundle would carry them: never a crash, and
/// whatever decodes re-encodes to exactly its input (the encodings are canonical).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(start, count)
    if let entitlement = try? Entitlement(decoding: input) {
        precondition((try? entitlement.encoded()) == input, "entitlement encoding must be canonical")
    }
    _ = try? Entitlement(decodingZeroPadded: input)
    if let terms = try? EntitlementTerms(decoding: input) {
        precondition((try? terms.encoded()) == input, "entitlement terms encoding must be canonical")
    }
    if let terms = try? EntitlementTerms(decoding: input, as: .compact) {
        precondition((try? terms.encoded(.compact)) == input, "compact entitlement terms encoding must be canonical")
    }
    if let certificate = try? Certificate(decoding: input) {
        precondition((try? certificate.encoded()) == input, "certificate encoding must be canonical")
    }
    return 0
}

@_cdecl("FuzzEntitlements_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput: fuzzOne)
}

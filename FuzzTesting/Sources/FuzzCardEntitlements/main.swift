import Entitlements
import FuzzDriver
import Identifiers

/// An entitlement slot as a card stores it, in either encoding (format 1, or format 2 without
/// the card serial and layout version). The input's first ten bytes are the card info's serial
/// and layout version, the rest the slot. Never a crash; whatever decodes re-encodes to exactly
/// the slot's bytes up to its zero padding (both encodings are canonical), and a compact one's
/// portable form decodes back to the same entitlement.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(start, count)
    guard input.count >= 10 else { return 0 }
    let serial = CardSerial(input[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    let layout = LayoutVersion(UInt16(input[8]) << 8 | UInt16(input[9]))
    let slot = Array(input[10...])
    guard let entitlement = try? Entitlement(decodingCardSlot: slot, cardSerial: serial, layoutVersion: layout) else { return 0 }
    guard let stored = try? entitlement.cardEncoded() else { preconditionFailure("a decoded entitlement must encode") }
    precondition(Array(slot.prefix(stored.count)) == stored, "the card encoding must be canonical")
    precondition(slot.dropFirst(stored.count).allSatisfy { $0 == 0 }, "only zero padding may follow the signature")
    if entitlement.encoding == .compact {
        precondition(entitlement.cardSerial == serial && entitlement.layoutVersion == layout, "a compact entitlement takes the card's binding")
        precondition((try? Entitlement(decoding: entitlement.encoded())) == entitlement, "the portable form must round-trip")
    }
    return 0
}

@_cdecl("FuzzCardEntitlements_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput: fuzzOne)
}

import FuzzDriver
import VirtualCard

/// Sequences of arbitrary APDUs sent to a factory-fresh virtual DESFire card (what a hostile
/// reader could send): never a crash, and every answer ends with two status bytes.
/// Input: repeated [length byte][APDU bytes]; a length byte of 0xFF makes the card leave the field.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(start, count)
    let card = VirtualDESFireCard(
        image: CardImage.factoryNew(uid: [0x04, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60]),
        challenges: ScriptedChallengeSource([[0x5A, 0xA5, 0x3C, 0xC3]]))
    card.powerOn()
    var index = 0
    while index < input.count {
        let length = Int(input[index])
        index += 1
        if length == 0xFF {
            card.leaveField()
            continue
        }
        let end = min(input.count, index + length)
        let response = card.respond(to: Array(input[index..<end]))
        precondition(response.count >= 2, "every answer carries a status word")
        index = end
    }
    return 0
}

@_cdecl("FuzzVirtualCard_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput: fuzzOne)
}

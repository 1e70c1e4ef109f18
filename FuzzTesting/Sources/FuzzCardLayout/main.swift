import CardLayout
import Foundation
import FuzzDriver

/// The Nemishaieve layout, read once from the repository.
let nemishaieve: CardLayout = {
    let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("CardLayouts/nemishaieve-social-v1.json")
    return try! CardLayout(json: [UInt8](Data(contentsOf: url)))
}()

/// Card file contents decoded through the layout (what a validator reads from a stranger's card),
/// and layout documents themselves: never a crash; a record that decodes re-encodes to its bytes.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(start, count)
    guard let selector = input.first else { return 0 }
    let body = Array(input.dropFirst())
    if selector & 0x80 != 0 {
        _ = try? CardLayout(json: body)
        return 0
    }
    let file = nemishaieve.files[Int(selector) % nemishaieve.files.count]
    if let format = nemishaieve.format(of: file), let record = try? format.decode(body) {
        precondition((try? format.encode(record)) != nil, "a decoded record must encode again")
    }
    _ = try? nemishaieve.decodeRecords(of: file, from: body)
    return 0
}

@_cdecl("FuzzCardLayout_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput: fuzzOne)
}

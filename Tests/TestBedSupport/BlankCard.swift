import Foundation
import VirtualCard

/// A factory-fresh virtual card image in its own temporary directory, for the suites that put a
/// card in a test bed reader (the desk, the office, the web app, the social card end to end).
public struct BlankCard: Sendable {
    /// The card's directory; `remove()` deletes it.
    public let directory: URL
    /// The card's image file, which a `VirtualDESFireCard` reads and writes.
    public let file: CardImageFile
    /// The card's UID.
    public let uid: [UInt8]
    /// The factory-fresh image's bytes, to put the card back as it came (`resetToBlank()`).
    public let blankBytes: Data

    /// A new card with `uid`, as it leaves the factory.
    public init(uid: [UInt8]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-card-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        file = CardImageFile(path: directory.appendingPathComponent("card.json").path)
        self.uid = uid
        try file.save(CardImage.factoryNew(uid: uid))
        blankBytes = try Data(contentsOf: URL(fileURLWithPath: file.path))
    }

    /// Deletes the card's directory.
    public func remove() { try? FileManager.default.removeItem(at: directory) }
    /// The card's image as it is now.
    public func image() throws -> CardImage { try file.load() }
    /// Puts the factory-fresh image back.
    public func resetToBlank() throws { try blankBytes.write(to: URL(fileURLWithPath: file.path)) }
    /// Puts `image` on the card.
    public func restore(_ image: CardImage) throws { try file.save(image) }

    /// Runs `body` with this card in `reader`'s field.
    public func placed<Result>(on reader: TestReader, _ body: () async throws -> Result) async throws -> Result {
        let emulator = try VirtualDESFireCard(imageFile: file)
        return try await reader.withVirtualCard(emulator) { _ in try await body() }
    }

    /// Runs a program of this package (`name`, built beside `hromada-vcard`) with `arguments`
    /// while this card is in `reader`'s field, the field torn after `tearAfterAPDUs` answers if
    /// given; returns its exit status and output.
    public func run(
        program name: String, _ arguments: [String], on reader: TestReader, tearAfterAPDUs: Int? = nil
    ) async throws -> (status: Int32, output: String) {
        let path = URL(fileURLWithPath: VcardExecutable.path()).deletingLastPathComponent().appendingPathComponent(name).path
        let emulator = try VirtualDESFireCard(imageFile: file)
        return try await reader.withVirtualCard(emulator, tearAfterAPDUs: tearAfterAPDUs) { _ in
            try await withProcess(path, arguments: arguments) { process in
                let status = await process.waitForExit()
                return (status, process.output())
            }
        }
    }
}

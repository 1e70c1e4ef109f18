// hromada-vcard: a virtual MIFARE DESFire EV1 card in a vpcd reader's field.
//
// Thin on purpose: it parses arguments, loads or creates the card image, and hands a
// VirtualDESFireCard to the vpcd link. Everything it does is library code in VirtualCard.

import ArgumentParser
import Console
import Dispatch
import Identifiers
import VirtualCard

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct HromadaVirtualCard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-vcard",
        abstract: "Put a virtual MIFARE DESFire EV1 card into a vpcd reader's field.",
        discussion: """
            Connects to pcscd's vpcd driver on HOST:PORT as an inserted card and answers its APDUs \
            until the tap time ends, the tear point is reached, the reader closes, or SIGTERM/SIGINT \
            arrives; then the card leaves the field (uncommitted transactions roll back) and the \
            program exits. The card's state lives in the image file and is saved atomically after \
            every change a real card would keep.

            Exit status: 0 the card left the field normally; 64 bad arguments; 65 the image is \
            corrupt or inconsistent; 69 vpcd could not be reached; 74 the image could not be read \
            or written; 70 anything else.
            """
    )

    @Option(help: "The vpcd reader's TCP port (35963 is the first reader of the packaged configuration).")
    var port: UInt16

    @Option(help: "The card image file.")
    var image: String

    @Flag(help: "Create a factory-state card at the image path if no file is there (an existing image is kept).")
    var blank = false

    @Option(help: "UID for a card created by --blank: 14 hex digits starting with 04 (default: random).")
    var uid: String?

    @Option(help: "Leave the field after this many seconds (default: stay until the reader closes or a signal).")
    var tap: Double?

    @Option(name: .customLong("tear-after"), help: "Tear the card away right after answering this many APDUs.")
    var tearAfter: Int?

    @Option(help: "The host running pcscd with vpcd.")
    var host = "127.0.0.1"

    func validate() throws {
        if let uid {
            guard let bytes = Hex.decode(uid), bytes.count == 7, bytes[0] == 0x04 else {
                throw ValidationError("--uid must be 14 hex digits starting with 04 (an NXP 7-byte UID), got \"\(uid)\"")
            }
        }
        if let tap, !(tap > 0 && tap.isFinite) { throw ValidationError("--tap must be a positive number of seconds") }
        if let tearAfter, tearAfter < 1 { throw ValidationError("--tear-after must be 1 or more") }
    }

    func run() async throws {
        let file = CardImageFile(path: image)
        let cardImage: CardImage
        do {
            if blank {
                let requestedUID = uid.flatMap({ Hex.decode($0) })
                let (loaded, created) = try file.loadOrCreate {
                    var random = GeneratorChallengeSource()
                    let newUID = requestedUID ?? ([0x04] + random.bytes(6))
                    return CardImage.factoryNew(uid: newUID, batchNumber: [0xBA] + random.bytes(4))
                }
                if !created, let requestedUID, requestedUID != loaded.uid {
                    Self.fail(65, "\(image) already holds card \(Hex.encode(loaded.uid, case: .upper)), not \(Hex.encode(requestedUID, case: .upper)); keeping it")
                }
                cardImage = loaded
                Self.note(created ? "created a factory-state card \(Hex.encode(loaded.uid, case: .upper)) at \(image)" : "using existing card \(Hex.encode(loaded.uid, case: .upper)) at \(image)")
            } else {
                guard file.exists else { Self.fail(74, "no card image at \(image) (use --blank to create one)") }
                cardImage = try file.load()
                if let requested = uid.flatMap({ Hex.decode($0) }), requested != cardImage.uid {
                    Self.fail(65, "\(image) holds card \(Hex.encode(cardImage.uid, case: .upper)), not \(Hex.encode(requested, case: .upper))")
                }
            }
        } catch let error as CardImageError {
            Self.fail(error.code == .io ? 74 : 65, "cannot use card image: \(error.reason)")
        }

        let card = VirtualDESFireCard(image: cardImage, store: file)
        let stop = VpcdStopSignal()
        let signalSources = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.stop() }
            source.resume()
            return source
        }
        defer { signalSources.forEach { $0.cancel() } }

        let options = VpcdLinkOptions(
            host: host, port: port,
            fieldTime: tap.map { .milliseconds(Int64(($0 * 1000).rounded())) },
            tearAfterAPDUs: tearAfter
        )
        let end: VpcdSessionEnd
        let servedCard: VirtualDESFireCard
        do {
            (end, servedCard) = try await serveVpcdSession(card: card, options: options, stop: stop)
        } catch let error as VpcdLinkError {
            let unreachable: Set<VpcdLinkError.Code> = [.unknownHost, .connectionRefused, .connectTimeout]
            Self.fail(unreachable.contains(error.code) ? 69 : 70, "vpcd link to \(host):\(port) failed: \(error.reason)")
        }
        if let saveError = servedCard.lastSaveError {
            Self.fail(74, "the card image could not be saved: \(saveError)")
        }
        let why = switch end {
        case .fieldTimeElapsed: "the tap time ended"
        case .torn: "torn away"
        case .readerClosed: "the reader closed"
        case .stopped: "stopped by a signal"
        }
        Self.note("card \(Hex.encode(servedCard.image.uid, case: .upper)) left the field after \(end.apdus) APDUs (\(why))")
    }

    static func note(_ message: String) {
        var standardError = Console.StandardError()
        print("hromada-vcard: \(message)", to: &standardError)
    }

    static func fail(_ status: Int32, _ message: String) -> Never {
        note("error: \(message)")
        #if canImport(Glibc)
        Glibc.exit(status)
        #else
        Darwin.exit(status)
        #endif
    }
}

import Entitlements
import Foundation
import Identifiers
import PCSC
import SmartCard
import SocialCard
import TestBedSupport
import Validator
import VirtualCard

/// One accepted ride of each kind on a v1, a v2 and a v3 card, through the real stack (libpcsclite →
/// pcscd → vpcd → in-process emulator) and the validator's pipeline, in one run: APDUs (read and
/// write halves), bytes each way, the tap's median time with the card in the field, and the
/// estimate for a physical card (APDUs × 8 ms over the air + the software time, i.e. the tap's
/// median less its APDUs at the echo round trip measured in the same run).
enum RideBenchmark {
    struct Ride {
        var name: String
        var grants: [(Product, CategoryCode)]
        var purse: Int32
    }

    static let passFrom = CivilDate(year: 2026, month: 11, day: 1)!
    static let passThrough = CivilDate(year: 2026, month: 12, day: 31)!
    static let rides: [Ride] = [
        Ride(name: "counted benefit ride", grants: [(Product.rides(count: 255, per: .month), CategoryCode(9))], purse: 0),
        Ride(name: "free ride", grants: [(Product.free, CategoryCode(2))], purse: 0),
        Ride(name: "pass", grants: [(Product.pass(from: passFrom, through: passThrough), CategoryCode(10))], purse: 0),
        Ride(name: "paid ride (purse, no entitlement)", grants: [], purse: 400_000),
        Ride(name: "discount (entitlement + purse)", grants: [(Product.discount(percent: 50), CategoryCode(1))], purse: 400_000),
    ]

    static let layouts = [("v1", "nemishaieve-social-v1.json"), ("v2", "nemishaieve-social-v2.json"), ("v3", "nemishaieve-social-v3.json")]

    static func run(iterations: Int) async throws {
        try await TestBed.shared.withReader { reader in
            let echo = try await reader.withVirtualCard(EchoCard()) { _ in
                try await PCSCClient().withCard(reader: reader.name) { channel in
                    let command = CommandAPDU(cla: 0x90, ins: 0xBD, data: [UInt8](repeating: 0xA5, count: 16), le: 0)
                    return try await Samples.measure("baseline: echo APDU round trip (16 B)", iterations: 2_000) {
                        _ = try await channel.transmit(command)
                    }
                }
            }
            report(echo)
            print("rides through the validator pipeline (\(iterations) taps each with the card in the field; physical = APDUs × 8 ms + software):")
            print("  layout  ride                                 APDUs  read  write  sent B  recv B  tap median  software  physical")
            for (label, file) in layouts {
                let bench = try Bench(layoutFile: file)
                defer { bench.remove() }
                for (index, ride) in rides.enumerated() {
                    let card = try await bench.issue(serial: CardSerial(0xC000 + UInt64(index)), grants: ride.grants, purse: ride.purse, uid: UInt8(0x60 + index), on: reader)
                    let readAPDUs = try await bench.readOnly(card, on: reader)
                    let (result, apdus, sent, received) = try await bench.countedTap(card, on: reader)
                    guard result.verdict == .accepted else { throw ValidatorError(.cardFailed, "\(label) \(ride.name) not accepted: \(result)") }
                    let taps = try await bench.tapsInField(card, on: reader, iterations: iterations, name: "\(label) \(ride.name)")
                    // On a busy machine the echo median can exceed a tap's per-APDU share: the
                    // software time is then below the noise, shown as "< 0" and counted as 0.
                    let software = taps.median - Double(apdus) * echo.median
                    let physical = Double(apdus) * 8_000_000 + max(0, software)
                    let name: String = ride.name.padding(toLength: 36, withPad: " ", startingAt: 0)
                    let counts: String = "\(pad(apdus, 5))  \(pad(readAPDUs, 4))  \(pad(apdus - readAPDUs, 5))  \(pad(sent, 6))  \(pad(received, 6))"
                    let median: String = humanTime(taps.median).padding(toLength: 10, withPad: " ", startingAt: 0)
                    let softwareText: String = (software < 0 ? "< 0" : humanTime(software)).padding(toLength: 8, withPad: " ", startingAt: 0)
                    print("  \(label)      \(name) \(counts)  \(median)  \(softwareText)  \(humanTime(physical))")
                }
            }
        }
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

extension Bench {
    /// The APDUs of the validator's read alone (the read half of a tap).
    func readOnly(_ card: Card, on reader: TestReader) async throws -> Int {
        let layout = self.layout
        let keyring = self.validatorKeyring
        return try await reader.withVirtualCard(try VirtualDESFireCard(imageFile: card.file)) { _ in
            try await PCSCClient().withCard(reader: reader.name) { channel in
                let counting = CountingChannel(channel)
                var session = SocialCardSession(channel: counting, layouts: [layout], keyring: keyring)
                var generator = SystemRandomNumberGenerator()
                _ = try await session.read(using: &generator)
                return counting.apdus
            }
        }
    }
}

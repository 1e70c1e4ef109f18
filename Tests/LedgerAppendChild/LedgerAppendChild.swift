import ArgumentParser
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import LedgerStore

import Foundation

/// The child process of the crash test (`LedgerStoreTests/CrashTests`): appends entries and
/// prints each sequence number once `append` returned, until it is killed.
///
/// It lives under Tests/ and is no product: a production validator has no command that writes
/// made-up rides into a ledger.
@main
struct LedgerAppendChild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-append-child", abstract: "Append test entries, printing each durable sequence (crash test only).")
    @Option(name: .long, help: "The ledger database file.") var db: String
    @Option(name: .long) var device: UInt32
    @Option(name: .long, help: "The device key's 32-byte seed in hex (test keys only).") var seed: String
    @Option(name: .long) var count: Int = 1_000_000
    @Option(name: .long) var checkpointInterval: UInt64 = 10

    // Synchronous on purpose: the child does one thing on one thread until SIGKILL, and the
    // crash test must see exactly the appends that returned.
    func run() throws {
        guard let seedBytes = Hex.decode(seed), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seedBytes) else {
            throw ValidationError("--seed: 64 hex digits")
        }
        let store = try LedgerStore(
            path: db, deviceID: DeviceID(device), deviceKey: key,
            configuration: .init(checkpointInterval: checkpointInterval, checkIntegrityOnOpen: false))
        let now = UnixTime(Date())
        for index in 0..<count {
            let entry = try store.append(
                .rideAccepted(
                    at: now.adding(seconds: Int64(index)), card: CardSerial(0x00AA_0000_0000_0000 | UInt64(index)),
                    layout: 1, fareKopecks: 1500, route: 7, vehicle: 11))
            // One write per line, unbuffered.
            FileHandle.standardOutput.write(Data("\(entry.sequence)\n".utf8))
        }
    }
}

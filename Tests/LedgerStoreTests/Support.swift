import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import Testing

@testable import LedgerStore

/// Temporary directories, keys and records for the store tests.
enum Support {
    static let device: DeviceID = 501
    static let deviceSeed = [UInt8](repeating: 0x11, count: 32)
    static let deviceKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: deviceSeed)
    static let serviceKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x22, count: 32))

    /// A fresh directory under the system temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func ride(_ index: Int, at time: UnixTime = UnixTime(1_781_503_200)) -> LedgerRecord {
        .rideAccepted(
            at: time.adding(seconds: Int64(index)), card: CardSerial(UInt64(0x00AA_0000_0000_0000) | UInt64(index)),
            layout: 1, fareKopecks: 1500, route: 7, vehicle: 11)
    }

    static func open(_ path: String, _ configuration: LedgerStore.Configuration = .init(checkpointInterval: 10))
        throws -> LedgerStore
    {
        try LedgerStore(path: path, deviceID: device, deviceKey: deviceKey, configuration: configuration)
    }

    /// Runs a tool (chattr) and says whether it succeeded.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}


import ArgumentParser
import CommunityKeys
import Desk
import DeskOffice
import Entitlements
import Foundation
import Identifiers

struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload the desk ledger to the accounting service (as a validator uploads its own) and stop when all of it is receipted.",
        discussion: "The service must know the desk as a device with role desk (hromada-accounting register-device --role desk).")

    @Option(help: "The community key directory (the desk's device key and the accounting service's key are read from it).") var keys: String
    @Option(help: "The desk ledger (SQLite).") var ledger: String
    @Option(help: "The desk's device id.") var device: UInt32
    @Option(help: "The accounting service's base URL, e.g. http://127.0.0.1:8443.") var accounting: String
    @Option(help: "Give up after this many seconds.") var timeout = 60

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let directory: CommunityDirectory
            do {
                directory = try CommunityDirectory(opening: keys)
            } catch {
                throw DeskError(.filesUnreadable, ukrainian: "не вдалося відкрити теку ключів \(keys): \(error)", english: "cannot open the key directory \(keys): \(error)")
            }
            let now = UnixTime(Date())
            let identity = try DeskDevice(directory: directory, deviceID: DeviceID(rawValue: device), now: now)
            let deskLedger = try DeskLedger(path: ledger, deviceID: identity.deviceID, deviceKey: identity.key)
            let report = try await DeskLedgerUpload.uploadAll(
                deskLedger, device: identity, serviceURL: accounting, servicePublicKey: try DeskDevice.accountingKey(directory, now: now), timeout: .seconds(timeout))
            print("Журнал пункту вивантажено: записи 1–\(report.receiptedThrough) підтверджено сервісом обліку")
            print("Desk ledger uploaded: entries 1–\(report.receiptedThrough) receipted by the accounting service")
        }
    }
}

import Foundation
import LedgerCore
import LedgerStore
import Testing
import Uploader
import Validator

/// The validator daemon's own ledger actor (`TapLedger`, which the tap path appends through)
/// uploads through `TapLedgerUploads`, as `hromada-validator run` wires it, while taps go on.
@Suite("The daemon's ledger uploads while taps go on")
struct DaemonLedgerUploadTests {
    @Test func tapLedgerUploadsEverythingOnceWhileAppending() async throws {
        let directory = try temporaryDirectory()
        let service = LiveService(databasePath: "\(directory)/accounting.sqlite")
        let port = try await service.start()
        let validator = TestValidator(id: 31, seed: 3, directory: directory)
        try await service.register(validator.id, certificate: validator.certificate)
        let store = try LedgerStore(
            path: validator.ledgerPath, deviceID: validator.id, deviceKey: validator.key,
            configuration: .init(checkpointInterval: 50, checkIntegrityOnOpen: false))
        let ledger = try TapLedger(store: store)
        let uploader = Uploader(
            configuration: validator.uploaderConfiguration(port: port, batchSize: 40),
            ledger: TapLedgerUploads(ledger: ledger, deviceID: validator.id), environment: testEnvironment(seed: 9))
        let task = Task { try await uploader.run() }

        // Taps keep appending while the uploader sends batches.
        for index in 0..<300 {
            _ = try await ledger.append(TestValidator.ride(index))
            if index % 50 == 0 { await Task.yield() }
        }
        try await eventually("all 300 receipted") { try await ledger.latestReceiptSequence() == 300 }
        task.cancel()
        _ = try? await task.value
        try await expectServiceHoldsExactly(validator, count: 300, storage: service.storage!)
        try await service.stop()
    }
}

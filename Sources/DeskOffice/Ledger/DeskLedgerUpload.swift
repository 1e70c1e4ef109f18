import CommunityKeys
import Crypto
import Entitlements
import Identifiers
import Uploader

/// Uploads the desk ledger to the accounting service once, as a validator's uploader does
/// (same batches, checkpoints and receipts), and stops when everything written is receipted.
public enum DeskLedgerUpload {
    /// How an upload ended.
    public struct Report: Hashable, Sendable {
        /// The sequence the service holds up to (receipted).
        public var receiptedThrough: UInt64
        /// Batches sent in this run.
        public var batches: Int
    }

    /// Runs the uploader over `ledger` until the service has receipted its head, or throws after
    /// `timeout` (the service unreachable or refusing: the last failure is in the error).
    public static func uploadAll(
        _ ledger: DeskLedger, device: DeskDevice, serviceURL: String, servicePublicKey: Curve25519.Signing.PublicKey, timeout: Duration = .seconds(60)
    ) async throws -> Report {
        let head = await ledger.headSequence()
        let (events, continuation) = AsyncStream.makeStream(of: UploaderEvent.self)
        let configuration = UploaderConfiguration(
            serviceURL: serviceURL, certificate: device.certificate, deviceKey: device.key, servicePublicKey: servicePublicKey,
            backoff: Backoff(), idleInterval: .milliseconds(200))
        let uploader = Uploader(configuration: configuration, ledger: ledger, onEvent: { continuation.yield($0) })
        return try await withThrowingTaskGroup(of: Report?.self) { group in
            group.addTask {
                try await uploader.run()
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            group.addTask {
                var batches = 0
                var lastFailure = ""
                for await event in events {
                    switch event {
                    case .uploaded: batches += 1
                    case .caughtUp(let sequence) where sequence >= head: return Report(receiptedThrough: sequence, batches: batches)
                    case .failed(let reason, _): lastFailure = reason
                    case .chainConflict:
                        throw DeskOfficeError(.refused, ukrainian: "сервіс обліку відмовив: ланцюжок суперечить тому, що він має", english: "the accounting service refuses the ledger: its chain conflicts with what it holds")
                    default: break
                    }
                    _ = lastFailure
                }
                return nil
            }
            defer {
                continuation.finish()
                group.cancelAll()
            }
            while let next = try await group.next() {
                if let report = next { return report }
                break
            }
            throw DeskOfficeError(
                .recordIncomplete, ukrainian: "журнал пункту не вивантажено вчасно; сервіс обліку недоступний або відмовляє — повторіть hromada-desk upload",
                english: "the desk ledger was not uploaded in time; the accounting service is unreachable or refusing: run hromada-desk upload again")
        }
    }
}

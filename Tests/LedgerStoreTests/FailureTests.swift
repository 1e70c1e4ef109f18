import Crypto
import Entitlements
import Foundation
import LedgerCore
import Testing

@testable import LedgerStore

/// A store that cannot record must say so by name and go out of service, never charge silently.
@Suite struct FailureTests {
    @Test func aFullDiskTakesTheStoreOutOfServiceAndLosesNothingRecorded() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        let store = try Support.open(path, .init(checkpointInterval: 10, maximumPageCount: 24))
        var recorded: [LedgerEntry] = []
        var failure: LedgerStoreError?
        for index in 0..<10_000 {
            do {
                recorded.append(try store.append(Support.ride(index)))
            } catch let error as LedgerStoreError {
                failure = error
                break
            }
        }
        let error = try #require(failure, "a 24-page database must fill up")
        #expect(error.code == .diskFull)
        #expect(error.isOutOfService)
        #expect(store.serviceState == .outOfService(error))
        #expect(!store.isInService)
        #expect(store.head == ChainHead(after: recorded.last!))
        #expect(error.operatorMessage.hasPrefix("Диск заповнено"))
        #expect(throws: LedgerStoreError(.outOfService, "")) { try store.append(Support.ride(0)) }
        // Resuming with the disk still full: back in service, and the next append fails again by name.
        try store.resumeService()
        #expect(store.isInService)
        #expect(throws: LedgerStoreError(.diskFull, "")) { try store.append(Support.ride(0)) }
        store.close()

        // With space again, everything that append returned is there and the chain verifies.
        let reopened = try Support.open(path)
        #expect(try reopened.lastEntries(recorded.count + 5) == recorded)
        #expect(try reopened.verify().isIntact)
        #expect(try reopened.append(Support.ride(1)).sequence == UInt64(recorded.count + 1))
    }

    static let chattr = ["/usr/bin/chattr", "/bin/chattr"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// As root, permission bits do not stop writes; the immutable attribute does (like a
    /// filesystem remounted read-only after errors).
    @Test(.enabled(if: chattr != nil, "needs chattr"))
    func aReadOnlyFileIsRefusedByName() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        do {
            let store = try Support.open(path)
            for index in 0..<5 { try store.append(Support.ride(index)) }
        }
        // A clean close leaves no WAL; make the file immutable.
        try #require(Support.run(Self.chattr!, ["+i", path]), "chattr +i must work on this filesystem")
        defer { Support.run(Self.chattr!, ["-i", path]) }
        #expect(throws: LedgerStoreError(.readOnly, "")) { try Support.open(path) }
        do {
            _ = try Support.open(path)
        } catch let error as LedgerStoreError {
            #expect(error.isOutOfService)
            #expect(error.operatorMessage == "Журнал лише для читання / The ledger is read-only")
        }
        // Reading (verify, export) still works.
        #expect(try LedgerStore(readingAt: path).verify().isIntact)
    }

    @Test func aFileThatIsNotADatabaseIsCorrupt() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        try Data(String(repeating: "not a ledger at all\n", count: 300).utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: LedgerStoreError(.corrupt, "")) { try Support.open(path) }
        #expect(throws: LedgerStoreError(.corrupt, "")) { try LedgerStore(readingAt: path) }
    }

    @Test func aDamagedPageIsFoundOnOpen() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        do {
            let store = try Support.open(path)
            for index in 0..<400 { try store.append(Support.ride(index)) }
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let pageSize = 4096
        #expect(bytes.count > 8 * pageSize)
        // Scribble over the middle of the file (b-tree pages of the entries table).
        for offset in stride(from: 3 * pageSize + 8, to: 6 * pageSize, by: 7) { bytes[offset] ^= 0x5A }
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            _ = try Support.open(path)
            Issue.record("a damaged database must not open")
        } catch let error as LedgerStoreError {
            #expect(error.code == .corrupt)
            #expect(error.isOutOfService)
        }
    }

    @Test func aMissingDirectoryCannotBeOpened() throws {
        #expect(throws: LedgerStoreError(.cannotOpen, "")) { try Support.open("/nonexistent-\(UUID())/ledger.db") }
    }
}

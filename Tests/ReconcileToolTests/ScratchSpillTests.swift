import AccountingStore
import Foundation
import Logging
import Reconciliation
import Testing

@testable import ReconcileTool

/// The card pass's scratch files (`ScratchSpill`): chunks come back whole and in order, the
/// files go away, and a failure is said, not swallowed.
@Suite struct ScratchSpillTests {
    static func parent() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func chunksComeBackInOrderByPartitionAndTheFilesGo() throws {
        let parent = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let spill = try ScratchSpill(under: parent)
        #expect(spill.directory.hasPrefix("\(parent)/hromada-reconcile-"))
        let chunks: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 0xAB, count: 70_000), [9]]
        for (index, chunk) in chunks.enumerated() { spill.append(chunk, toPartition: index % 2) }
        spill.append([7, 7], toPartition: 5)
        #expect(spill.takeChunks(ofPartition: 0) == [chunks[0], chunks[2]])
        #expect(spill.takeChunks(ofPartition: 1) == [chunks[1], chunks[3]])
        #expect(spill.takeChunks(ofPartition: 3) == [])
        // Taken partitions' files are gone; the untaken one goes with the directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: spill.directory) == ["cards-5"])
        try spill.check()
        spill.remove()
        #expect(!FileManager.default.fileExists(atPath: spill.directory))
    }

    @Test func aDirectoryThatCannotBeMadeIsRefusedUpFront() throws {
        let parent = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        // A regular file where the scratch directory's parent should be.
        let file = "\(parent)/not-a-directory"
        FileManager.default.createFile(atPath: file, contents: Data([1]))
        #expect {
            _ = try ScratchSpill(under: file)
        } throws: { error in
            "\(error)".contains("cannot make a scratch directory under \(file)") && "\(error)".contains("--scratch")
        }
    }

    @Test func aWriteThatFailsStopsTheSpillAndIsThrown() throws {
        let parent = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let spill = try ScratchSpill(under: parent)
        spill.append([1], toPartition: 0)
        // The directory removed underneath (as a cleaner might): the next write cannot open its file.
        try FileManager.default.removeItem(atPath: spill.directory)
        spill.append([2], toPartition: 1)
        #expect(spill.takeChunks(ofPartition: 0) == [])
        #expect {
            try spill.check()
        } throws: { error in
            "\(error)".contains("no report was made") && "\(error)".contains("cannot open \(spill.directory)/cards-1")
        }
    }

    @Test func aFullDiskStopsTheSpillAndSaysSo() throws {
        let parent = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let spill = try ScratchSpill(under: parent)
        defer { spill.remove() }
        spill.append([1, 2], toPartition: 0)
        // Partition 2's file is the kernel's full device: every write to it fails with ENOSPC,
        // as on a disk that filled up in the middle of the month.
        try FileManager.default.createSymbolicLink(atPath: "\(spill.directory)/cards-2", withDestinationPath: "/dev/full")
        spill.append(Array(repeating: 0x5A, count: 300_000), toPartition: 2)
        // Nothing is written after the first failure, and the first failure is what is said.
        spill.append([3], toPartition: 0)
        #expect(spill.takeChunks(ofPartition: 0) == [])
        #expect {
            try spill.check()
        } throws: { error in
            "\(error)".contains("cannot write \(spill.directory)/cards-2") && "\(error)".contains(String(cString: strerror(ENOSPC)))
        }
    }

    @Test func theReportCommandRefusesAnUnusableScratchDirectory() async throws {
        let parent = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let file = "\(parent)/file"
        FileManager.default.createFile(atPath: file, contents: Data())
        try await freshLocation(.sqlite).withStorage(logger: Logger(label: "test")) { storage in
            await #expect(throws: ReconcileToolError.self) {
                _ = try await StoreInput.reconcile(from: storage, period: try ReportingPeriod(month: "2026-11"), scratch: file)
            }
        }
    }
}

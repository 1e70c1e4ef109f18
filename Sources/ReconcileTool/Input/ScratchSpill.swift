import Foundation
import Reconciliation
import Synchronization

/// The card pass's facts waiting on disk (`FactSpill`): one file per partition of the cards, in
/// a directory of its own made when a report starts and removed when it ends.
///
/// A month of ten million entries holds several hundred megabytes of such facts; written out a
/// partition at a time, memory holds one partition while the cards are judged
/// (docs/reconciliation.md, "The card pass"). The files are this process's scratch, read back
/// by the same process, never a format anyone else reads.
///
/// A write or read that fails (a full disk, a directory removed underneath) is kept and the
/// spill stops; `check()` then throws it, so the report made from the incomplete facts is
/// discarded rather than printed.
final class ScratchSpill: FactSpill {
    /// The directory of this run's files.
    let directory: String
    /// The first failure, if any.
    private let failure = Mutex<String?>(nil)

    /// Where scratch goes when no directory is given: `TMPDIR`, else `/var/tmp` (a disk on
    /// Debian; `/tmp` may be memory).
    static var defaultParent: String {
        ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/var/tmp"
    }

    /// Makes a fresh directory under `parent`.
    init(under parent: String) throws {
        var template = Array("\(parent)/hromada-reconcile-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ReconcileToolError(
                "cannot make a scratch directory under \(parent) (\(Self.describe(errno))): give --scratch a directory on a disk with room")
        }
        directory = String(cString: made)
    }

    deinit { remove() }

    private func path(of partition: Int) -> String { "\(directory)/cards-\(partition)" }

    func append(_ chunk: [UInt8], toPartition partition: Int) {
        failure.withLock { failure in
            guard failure == nil else { return }
            let descriptor = open(path(of: partition), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                failure = "cannot open \(path(of: partition)): \(Self.describe(errno))"
                return
            }
            defer { close(descriptor) }
            // Each chunk behind its length, so the file reads back as the chunks appended.
            var framed = withUnsafeBytes(of: UInt64(chunk.count).littleEndian) { Array($0) }
            framed += chunk
            if let problem = Self.writeAll(framed, to: descriptor) {
                failure = "cannot write \(path(of: partition)): \(problem)"
            }
        }
    }

    func takeChunks(ofPartition partition: Int) -> [[UInt8]] {
        failure.withLock { failure -> [[UInt8]] in
            guard failure == nil else { return [] }
            let file = path(of: partition)
            guard let data = FileManager.default.contents(atPath: file) else {
                // A partition that never passed the threshold has no file.
                if access(file, F_OK) != 0, errno == ENOENT { return [] }
                failure = "cannot read \(file): \(Self.describe(errno))"
                return []
            }
            unlink(file)
            var chunks: [[UInt8]] = []
            var offset = data.startIndex
            while offset < data.endIndex {
                guard data.endIndex - offset >= 8 else {
                    failure = "\(file) ends inside a chunk's length"
                    return []
                }
                let length = data[offset..<offset + 8].withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
                offset += 8
                guard length >= 0, data.endIndex - offset >= length else {
                    failure = "\(file) ends inside a chunk"
                    return []
                }
                chunks.append(Array(data[offset..<offset + length]))
                offset += length
            }
            return chunks
        }
    }

    /// Throws the first failure of a write or read, if there was one.
    func check() throws {
        if let problem = failure.withLock({ $0 }) {
            throw ReconcileToolError("the reconciliation's scratch files failed, so no report was made: \(problem)")
        }
    }

    /// Removes the files and the directory.
    func remove() {
        if let names = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            for name in names { unlink("\(directory)/\(name)") }
        }
        rmdir(directory)
    }

    /// Writes every byte, or says why not.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> String? {
        bytes.withUnsafeBytes { buffer -> String? in
            var done = 0
            while done < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + done, buffer.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    return describe(errno)
                }
                done += written
            }
            return nil
        }
    }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}

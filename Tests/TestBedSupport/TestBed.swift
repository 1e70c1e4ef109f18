import Foundation
import PCSC

#if canImport(Glibc)
import Glibc
#endif

/// One virtual reader of the test bed: the vpcd TCP port a card connects to and the name
/// pcscd gives the reader.
public struct TestReader: Hashable, Sendable, CustomStringConvertible {
    /// The vpcd port a virtual card connects to.
    public let port: UInt16
    /// The PC/SC reader name.
    public let name: String

    public init(port: UInt16, name: String) {
        self.port = port
        self.name = name
    }

    public var description: String { "\(name) (vpcd port \(port))" }
}

/// The PC/SC test bed shared by every hardware-in-the-loop test in the process: pcscd with
/// virtual vpcd readers, and a pool that lends each test a reader of its own.
///
/// Swift Testing runs tests in parallel; two cards on one vpcd port, or two tests waiting on
/// one reader, give flaky results. So tests never pick a reader themselves: they lease one
/// with ``withReader(_:)`` and give it back when done. A test that must have the whole bed
/// (it restarts pcscd) takes it with ``withWholeTestBed(_:)``, which waits for every lease to
/// return and holds new ones back.
public actor TestBed {
    /// The test bed for this process, configured from the environment
    /// (`HROMADA_TESTBED_DIR`, `HROMADA_TESTBED_PORT`, as for `Tools/testbed`).
    public static let shared = TestBed()

    /// The test bed's state directory.
    public nonisolated let directory: String
    /// The `Tools/testbed` script.
    public nonisolated let tool: String

    private var readers: [TestReader]?
    private var startedHere = false
    private var free: [TestReader] = []
    private var leased = 0
    private var wholeBedHeld = false
    private var readerWaiters: [CheckedContinuation<TestReader, Never>] = []
    private var wholeBedWaiters: [CheckedContinuation<[TestReader], Never>] = []

    /// A test bed in `directory` (default: `$HROMADA_TESTBED_DIR` or `/tmp/hromada-testbed`).
    public init(directory: String? = nil, tool: String? = nil) {
        let environment = ProcessInfo.processInfo.environment
        self.directory = directory ?? environment["HROMADA_TESTBED_DIR"] ?? "/tmp/hromada-testbed"
        self.tool = tool ?? environment["HROMADA_TESTBED_TOOL"] ?? Self.toolNextToSources()
    }

    /// `Tools/testbed` of this package, found from this file's path.
    private static func toolNextToSources(file: String = #filePath) -> String {
        // file = <package>/Tests/TestBedSupport/TestBed.swift
        URL(fileURLWithPath: file)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tools/testbed").path
    }

    /// The readers of the running test bed, starting it first if needed.
    ///
    /// Reuses a running bed when `readers.tsv` is present and pcscd reports every reader it
    /// lists; otherwise runs `Tools/testbed start`.
    public func allReaders() throws -> [TestReader] {
        if let readers { return readers }
        let found: [TestReader]
        if let existing = try? readReaderList(), serviceReports(existing) {
            found = existing
        } else {
            try runTool("start")
            startedHere = true
            found = try readReaderList()
            if ProcessInfo.processInfo.environment["HROMADA_TESTBED_KEEP"] != "1" {
                Self.stopAtExit(directory: directory)
            }
        }
        readers = found
        free = found
        return found
    }

    /// Whether this process started the running pcscd (so a test may restart it).
    public var ownsService: Bool { startedHere }

    /// Lends a reader to `body` for its duration; no other test gets it meanwhile.
    @discardableResult
    public nonisolated(nonsending) func withReader<Result>(
        _ body: (TestReader) async throws -> Result
    ) async throws -> Result {
        let reader = try await lease()
        do {
            let result = try await body(reader)
            await giveBack(reader)
            return result
        } catch {
            await giveBack(reader)
            throw error
        }
    }

    /// Lends every reader to `body`, after all current leases have come back.
    @discardableResult
    public nonisolated(nonsending) func withWholeTestBed<Result>(
        _ body: ([TestReader]) async throws -> Result
    ) async throws -> Result {
        let readers = try await leaseWholeBed()
        do {
            let result = try await body(readers)
            await giveBackWholeBed()
            return result
        } catch {
            await giveBackWholeBed()
            throw error
        }
    }

    /// Stops the pcscd and starts it again (only while holding the whole bed, and only a
    /// pcscd this process started). `whileStopped` runs between the two.
    public func restartService(whileStopped: @Sendable () async throws -> Void = {}) async throws {
        precondition(wholeBedHeld, "restartService needs withWholeTestBed")
        guard startedHere else {
            throw TestBedError(.serviceNotOwned, "pcscd was running before this test run; not restarting it")
        }
        try runTool("stop")
        do {
            try await whileStopped()
        } catch {
            try runTool("start")
            throw error
        }
        try runTool("start")
        let restarted = try readReaderList()
        guard Set(restarted) == Set(readers ?? []) else {
            throw TestBedError(.badReaderList, "readers changed across a restart: \(restarted)")
        }
    }

    // MARK: Pool

    private func lease() async throws -> TestReader {
        _ = try allReaders()
        if !wholeBedHeld && wholeBedWaiters.isEmpty, let reader = free.popLast() {
            leased += 1
            return reader
        }
        return await withCheckedContinuation { readerWaiters.append($0) }
    }

    private func giveBack(_ reader: TestReader) {
        leased -= 1
        free.append(reader)
        dispatch()
    }

    private func leaseWholeBed() async throws -> [TestReader] {
        let all = try allReaders()
        if !wholeBedHeld && leased == 0 {
            wholeBedHeld = true
            return all
        }
        return await withCheckedContinuation { wholeBedWaiters.append($0) }
    }

    private func giveBackWholeBed() {
        wholeBedHeld = false
        dispatch()
    }

    private func dispatch() {
        guard !wholeBedHeld else { return }
        if !wholeBedWaiters.isEmpty {
            guard leased == 0 else { return }
            wholeBedHeld = true
            wholeBedWaiters.removeFirst().resume(returning: readers ?? [])
            return
        }
        while !readerWaiters.isEmpty, let reader = free.popLast() {
            leased += 1
            readerWaiters.removeFirst().resume(returning: reader)
        }
    }

    // MARK: The bed itself

    private var readerListPath: String { directory + "/readers.tsv" }

    private func readReaderList() throws -> [TestReader] {
        guard let text = try? String(contentsOfFile: readerListPath, encoding: .utf8) else {
            throw TestBedError(.badReaderList, "cannot read \(readerListPath)")
        }
        var readers: [TestReader] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            let fields = line.split(separator: "\t", maxSplits: 1)
            guard fields.count == 2, let port = UInt16(fields[0]) else {
                throw TestBedError(.badReaderList, "\(readerListPath): bad line '\(line)'")
            }
            readers.append(TestReader(port: port, name: String(fields[1])))
        }
        guard !readers.isEmpty else { throw TestBedError(.badReaderList, "\(readerListPath) lists no readers") }
        return readers
    }

    private func serviceReports(_ readers: [TestReader]) -> Bool {
        guard let names = try? PCSCClient().readers() else { return false }
        return Set(readers.map(\.name)).isSubset(of: Set(names))
    }

    private func runTool(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [command]
        var environment = ProcessInfo.processInfo.environment
        environment["HROMADA_TESTBED_DIR"] = directory
        process.environment = environment
        // A file, not a pipe: a pipe's end never comes if any descendant keeps it open.
        let messagePath = FileManager.default.temporaryDirectory
            .appendingPathComponent("hromada-testbed-\(UUID().uuidString).log").path
        guard FileManager.default.createFile(atPath: messagePath, contents: nil),
              let messages = FileHandle(forWritingAtPath: messagePath)
        else {
            throw TestBedError(.toolFailed, "cannot create \(messagePath)")
        }
        defer { try? FileManager.default.removeItem(atPath: messagePath) }
        process.standardError = messages
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try launchWithDefaultSignalMask(process)
        } catch {
            try? messages.close()
            throw TestBedError(.toolFailed, "cannot run \(tool): \(error)")
        }
        try? messages.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOfFile: messagePath, encoding: .utf8)) ?? ""
            throw TestBedError(.toolFailed, "\(tool) \(command) exited with \(process.terminationStatus): \(message)")
        }
    }

    /// Stops, when the test process exits, the pcscd this process started: a test bed started
    /// by tests is stopped by them (by PID, checked against the bed's configuration).
    private static func stopAtExit(directory: String) {
        pcscdToStopAtExit.withLock { $0 = directory }
        atexit {
            guard let directory = pcscdToStopAtExit.withLock({ $0 }) else { return }
            stopPcscd(directory: directory)
        }
    }
}

import Synchronization

private let pcscdToStopAtExit = Mutex<String?>(nil)

/// SIGTERM to the test bed's pcscd, if the PID file names a pcscd using this bed's
/// configuration; never any other process. Async-signal-unsafe work is avoided: this runs in
/// `atexit`, where a clean, quick stop is all that is wanted.
private func stopPcscd(directory: String) {
    guard let pidText = try? String(contentsOfFile: directory + "/pcscd.pid", encoding: .utf8),
          let pid = Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)),
          let commandLine = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
    else { return }
    let arguments = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    guard let first = arguments.first, first.hasSuffix("pcscd"), arguments.contains(directory + "/conf") else { return }
    kill(pid, SIGTERM)
}

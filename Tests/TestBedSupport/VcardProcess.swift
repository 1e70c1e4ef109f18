import Foundation
import PCSC
import SmartCard
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A `hromada-vcard` (or any) process started by a test, stopped by PID when the test ends.
public final class TestProcess: Sendable {
    /// The process ID.
    public let pid: Int32
    /// Where its standard output and error go.
    public let outputPath: String
    private let exit = Mutex<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    fileprivate init(pid: Int32, outputPath: String) {
        self.pid = pid
        self.outputPath = outputPath
    }

    /// The exit status, once it has exited (for a signal: 128 + the signal number).
    public var exitStatus: Int32? { exit.withLock { $0.status } }

    /// What it has written so far to standard output and error.
    public func output() -> String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    /// Waits for it to exit and returns its status.
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status: Int32? = exit.withLock { state in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited after `grace`. Only this PID, which this
    /// object reaps, so it cannot have been reused by another process meanwhile.
    public func terminate(grace: Duration = .seconds(3)) async {
        guard exitStatus == nil else { return }
        kill(pid, SIGTERM)
        let killer = Task {
            try await Task.sleep(for: grace)
            if self.exitStatus == nil { kill(self.pid, SIGKILL) }
        }
        _ = await waitForExit()
        killer.cancel()
    }

    fileprivate func exited(_ status: Int32) {
        let waiters = exit.withLock { state in
            state.status = status
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.forEach { $0.resume(returning: status) }
    }
}

/// Starting the `hromada-vcard` executable from tests.
public enum VcardExecutable {
    /// The `hromada-vcard` built next to the test bundle (`$HROMADA_VCARD` overrides).
    public static func path() -> String {
        if let override = ProcessInfo.processInfo.environment["HROMADA_VCARD"] { return override }
        // The test bundle runs from the build directory (.build/<triple>/debug), where SwiftPM
        // also puts the package's executables.
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let buildDirectory = URL(fileURLWithPath: me).deletingLastPathComponent()
        return buildDirectory.appendingPathComponent("hromada-vcard").path
    }
}

/// Runs `executable` with `arguments` for the duration of `body`, then stops it by PID
/// (SIGTERM, then SIGKILL) — also when `body` throws.
///
/// With `cardIn` set, waits first (with `SCardGetStatusChange`) until pcscd reports a card in
/// that reader, so `body` starts with the card in the field. Output goes to a temporary file
/// (``TestProcess/output()``) so a chatty process never blocks on a full pipe.
@discardableResult
public func withProcess<Result>(
    _ executable: String = VcardExecutable.path(),
    arguments: [String],
    environment: [String: String] = [:],
    cardIn reader: TestReader? = nil,
    timeout: Duration = .seconds(10),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (TestProcess) async throws -> Result
) async throws -> Result {
    guard FileManager.default.isExecutableFile(atPath: executable) else {
        throw TestBedError(.launchFailed, "\(executable) is not an executable file (build it first: swift build --product hromada-vcard)")
    }
    let outputPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("hromada-test-\(UUID().uuidString).log").path
    guard FileManager.default.createFile(atPath: outputPath, contents: nil),
          let output = FileHandle(forWritingAtPath: outputPath) else {
        throw TestBedError(.launchFailed, "cannot create \(outputPath)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    let exitBox = Mutex<TestProcess?>(nil)
    process.terminationHandler = { finished in
        let status = finished.terminationReason == .uncaughtSignal ? 128 + finished.terminationStatus : finished.terminationStatus
        exitBox.withLock { $0 }?.exited(status)
    }
    do {
        try launchWithDefaultSignalMask(process)
    } catch {
        try? output.close()
        throw TestBedError(.launchFailed, "cannot start \(executable): \(error)")
    }
    try? output.close()
    let running = TestProcess(pid: process.processIdentifier, outputPath: outputPath)
    exitBox.withLock { $0 = running }
    if !process.isRunning { running.exited(process.terminationStatus) }
    do {
        if let reader {
            do {
                _ = try await PCSCClient().waitForCard(in: reader.name, present: true, timeout: timeout)
            } catch let error as ReaderError where error.code == .timeout {
                throw TestBedError(.cardNotSeen, "no card in \(reader.name) within \(timeout) of starting \(executable); its output:\n\(running.output())")
            }
        }
        let result = try await body(running)
        await running.terminate()
        return result
    } catch {
        await running.terminate()
        throw error
    }
}

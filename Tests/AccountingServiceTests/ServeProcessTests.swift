import CommunityKeys
import Entitlements
import Testing

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `hromada-accounting serve` as a real process under the open-file limit most machines have.
@Suite("hromada-accounting serve under a connection flood", .serialized)
struct ServeProcessTests {
    /// The `hromada-accounting` built next to the test bundle.
    static var executable: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("hromada-accounting").path
    }

    /// Raises this process's soft open-file limit to `wanted` (the test itself holds the flood's sockets).
    static func raiseOpenFileLimit(to wanted: rlim_t) -> Bool {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
        if limit.rlim_cur >= wanted { return true }
        guard limit.rlim_max >= wanted else { return false }
        limit.rlim_cur = wanted
        return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
    }

    @Test func elevenHundredIdleConnectionsAgainstAnOpenFileLimitOf1024DoNotStopHealth() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "swift build --product hromada-accounting")
        try #require(Self.raiseOpenFileLimit(to: 2048), "the test needs an open-file hard limit of at least 2048")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-serve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var rng = SystemRandomNumberGenerator()
        _ = try CommunityDirectory.create(at: "\(directory)/keys", community: "test-town", now: UnixTime(Date()).adding(seconds: -3600), using: &rng)

        // The service as a unit without LimitNOFILE would run it: 1024 descriptors, default limits.
        let logPath = "\(directory)/service.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "ulimit -n 1024 && exec \"$0\" \"$@\"", Self.executable, "serve", "--db", "sqlite:\(directory)/accounting.sqlite",
            "--listen", "127.0.0.1:0", "--keys", "\(directory)/keys",
        ]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var port: Int?
        let start = ContinuousClock.now
        while port == nil, ContinuousClock.now - start < .seconds(30), process.isRunning {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) {
                port = Int(line.split(separator: ":").last ?? "")
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let listening = try #require(port, "the service did not start: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")

        var idle: [RawConnection] = []
        for index in 0..<1100 {
            idle.append(try RawConnection(port: listening))
            if index % 50 == 49 { try await Task.sleep(for: .milliseconds(5)) }
        }
        // With 1100 connections held open, /health still answers, and at once.
        let health = try await RawConnection.exchange(port: listening, RawConnection.request("GET", "/health"), timeout: .seconds(10))
        #expect(health.status == 200)
        // The service closed the oldest idle ones to stay below its limit (900 by default).
        try await Task.sleep(for: .milliseconds(200))
        var closed = 0
        for connection in idle {
            connection.poll()
            if connection.closedByPeer { closed += 1 }
        }
        #expect(closed >= 1100 - 900, "only \(closed) of 1100 idle connections were closed by the service")

        // SIGTERM with hundreds of connections open: the process exits within its shutdown deadline.
        process.terminate()
        let stopped = ContinuousClock.now
        while process.isRunning, ContinuousClock.now - stopped < .seconds(30) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "hromada-accounting was still running 30 s after SIGTERM")
        for connection in idle { connection.close() }
        try log.close()
    }
}

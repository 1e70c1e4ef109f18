import AccountingCore
import AccountingService
import AccountingStore
import HTTPTypes
import Hummingbird
import LedgerCore
import Logging
import ServiceLifecycle
import Testing

import Foundation

/// The service over real sockets under connection floods (docs/accounting.md, "Connections and floods").
@Suite("Connection floods", .runsStorage, .serialized)
struct FloodTests {
    /// Uploads `batch` as a validator would, on a connection of its own; the status.
    func upload(_ batch: UploadBatch, as device: TestDevice, port: Int) async throws -> Int {
        let body = try batch.jsonBody()
        let headers = device.headers(method: "POST", path: "/v1/ledger/batches", body: body)
        return try await RawConnection.exchange(port: port, RawConnection.request("POST", "/v1/ledger/batches", headers: headers, body: body)).status
    }

    @Test func idleConnectionsBeyondTheLimitDoNotStopHealthOrUploads() async throws {
        let service = try await TestService(.sqlite)
        let limit = 100
        let flood = 300
        let limits = ConnectionLimits(
            maximumConnections: limit, idleTimeout: .seconds(60), requestReadTimeout: .seconds(60), shutdownGracePeriod: .seconds(1))
        let chain = service.device.chain(count: 60)
        try await service.withLiveServer(limits: limits) { port, connections in
            // An attacker opens three times the limit and never sends a byte, while the
            // validator uploads its ledger in six batches and a monitor asks /health.
            let attacker = Task {
                var idle: [RawConnection] = []
                for _ in 0..<flood {
                    idle.append(try RawConnection(port: port))
                    if idle.count % 25 == 0 { try await Task.sleep(for: .milliseconds(10)) }
                }
                return idle
            }
            var statuses: [Int] = []
            for batch in 0..<6 {
                statuses.append(try await upload(service.device.batch(chain[(batch * 10)..<(batch * 10 + 10)]), as: service.device, port: port))
                #expect(try await RawConnection.exchange(port: port, RawConnection.request("GET", "/health")).status == 200)
            }
            let idle = try await attacker.value
            // Once the flood is in, the service still answers at once.
            #expect(try await RawConnection.exchange(port: port, RawConnection.request("GET", "/health")).status == 200)
            #expect(statuses == [200, 200, 200, 200, 200, 200])
            let statistics = connections.statistics
            #expect(statistics.peak <= limit, "peak \(statistics.peak) connections open with a limit of \(limit)")
            #expect(statistics.evicted >= flood - limit, "\(statistics)")
            // The evicted ones are closed by the server; the newest ones it still holds.
            var closed = 0
            for connection in idle {
                connection.poll()
                if connection.closedByPeer { closed += 1 }
                connection.close()
            }
            #expect(closed >= flood - limit)
        }
        #expect(try await service.storage.entryCount() == 60)
    }

    @Test func evictionsAreCountedOnMetrics() async throws {
        let service = try await TestService(.sqlite)
        let limits = ConnectionLimits(
            maximumConnections: 3, idleTimeout: .seconds(60), requestReadTimeout: .seconds(60), shutdownGracePeriod: .seconds(1))
        try await service.withLiveServer(limits: limits) { port, connections in
            var idle: [RawConnection] = []
            for _ in 0..<6 { idle.append(try RawConnection(port: port)) }
            try await Task.sleep(for: .milliseconds(200))
            let response = try await RawConnection.exchange(port: port, RawConnection.request("GET", "/metrics"))
            for connection in idle { connection.close() }
            #expect(response.status == 200)
            let evicted = connections.statistics.evicted
            #expect(evicted >= 3, "\(connections.statistics)")
            // The page is rendered after the request's own connection was admitted (and may have
            // evicted one more), so it shows at least the evictions before it, and at most all.
            let line = String(decoding: response.body, as: UTF8.self).split(separator: "\n")
                .first { $0.hasPrefix("hromada_connections_evicted_total ") }
            let shown = line.flatMap { Int($0.split(separator: " ").last ?? "") }
            #expect(shown.map { $0 >= 3 && $0 <= evicted } == true, "\(line ?? "no hromada_connections_evicted_total line")")
        }
    }

    @Test func aNewConnectionIsTurnedAwayWhenEveryOpenOneIsMidRequest() async throws {
        let service = try await TestService(.sqlite)
        let limits = ConnectionLimits(
            maximumConnections: 10, idleTimeout: .seconds(60), requestReadTimeout: .seconds(60), shutdownGracePeriod: .seconds(1))
        try await service.withLiveServer(limits: limits) { port, connections in
            // Ten uploads whose bodies are still coming: busy, so none of them is evicted.
            var busy: [RawConnection] = []
            for _ in 0..<10 {
                let connection = try RawConnection(port: port)
                _ = try await connection.send(Array("POST /v1/ledger/batches HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"device\"".utf8))
                busy.append(connection)
            }
            try await Task.sleep(for: .milliseconds(200))
            let eleventh = try RawConnection(port: port)
            #expect(try await eleventh.waitForClose(timeout: .seconds(10)), "an eleventh connection was held beyond the limit")
            #expect(connections.statistics.refused >= 1)
            #expect(connections.statistics.peak <= 10)
            #expect(busy.allSatisfy { connection in
                connection.poll()
                return !connection.closedByPeer
            })
            // Once they are gone, the service answers again.
            for connection in busy { connection.close() }
            eleventh.close()
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await RawConnection.exchange(port: port, RawConnection.request("GET", "/health")).status == 200)
        }
    }

    @Test func slowRequestsAreClosedAfterTheTimeouts() async throws {
        let service = try await TestService(.sqlite)
        let limits = ConnectionLimits(
            maximumConnections: 100, idleTimeout: .seconds(1), requestReadTimeout: .seconds(2), shutdownGracePeriod: .seconds(1))
        try await service.withLiveServer(limits: limits) { port, connections in
            // Fifty connections trickle a request head a byte every 100 ms (it would take
            // 30 s to finish), one trickles a body after a complete head (100 s to finish).
            let head = Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: \(String(repeating: "a", count: 250))\r\n\r\n".utf8)
            let slowHeads = try (0..<50).map { _ in try RawConnection(port: port) }
            let slowBody = try RawConnection(port: port)
            let deny = Array("{\"cardSerial\":\"00BB000000000001\",\"reason\":\"lost\"}".utf8)
            #expect(
                try await slowBody.send(
                    Array("POST /v1/deny-list-entries HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(service.desk)\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n".utf8)))
            let start = ContinuousClock.now
            var index = 0
            while index < head.count {
                for connection in slowHeads where !connection.closedByPeer {
                    _ = connection.sendSome(head[index...index])
                    connection.poll()
                }
                if !slowBody.closedByPeer { _ = slowBody.sendSome(deny[(index % deny.count)...(index % deny.count)]) }
                slowBody.poll()
                if slowHeads.allSatisfy(\.closedByPeer), slowBody.closedByPeer { break }
                index += 1
                try await Task.sleep(for: .milliseconds(100))
            }
            let elapsed = ContinuousClock.now - start
            #expect(slowHeads.allSatisfy { $0.closedByPeer }, "a trickled head outlived the idle timeout")
            #expect(slowBody.closedByPeer, "a trickled body outlived the read timeout")
            #expect(index < head.count, "closed only after the whole head was sent (\(elapsed))")
            #expect(slowBody.received.isEmpty || slowBody.status == nil, "the slow body was answered instead of closed")
            #expect(connections.statistics.timedOut >= 1)
            // The service is not hurt.
            #expect(try await RawConnection.exchange(port: port, RawConnection.request("GET", "/health")).status == 200)
            for connection in slowHeads { connection.close() }
            slowBody.close()
        }
        #expect(try await service.storage.denyListRequests().isEmpty)
    }

    @Test(arguments: [true, false])
    func anOversizedBodyIsRefusedAtTheLimitAndTheConnectionClosed(declaringLength: Bool) async throws {
        let limit = 64 * 1024
        let service = try await TestService(.sqlite, limits: AccountingLimits(maximumBatchEntries: 1000, maximumBodyBytes: limit))
        let limits = ConnectionLimits(
            maximumConnections: 100, idleTimeout: .seconds(30), requestReadTimeout: .seconds(30), shutdownGracePeriod: .seconds(1))
        try await service.withLiveServer(limits: limits) { port, _ in
            // A client that means to send 1 GiB, either declared up front or chunked without a length.
            let gibibyte = 1 << 30
            let connection = try RawConnection(port: port)
            let framing = declaringLength ? "Content-Length: \(gibibyte)" : "Transfer-Encoding: chunked"
            _ = try await connection.send(Array("POST /v1/ledger/batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(framing)\r\n\r\n".utf8))
            let piece = [UInt8](repeating: 0x20, count: 60 * 1024)
            let chunk = declaringLength ? piece : Array("\(String(piece.count, radix: 16))\r\n".utf8) + piece + Array("\r\n".utf8)
            var sent = 0
            var stalled = 0
            var offset = 0
            while sent < gibibyte, !connection.closedByPeer, stalled < 2000 {
                guard let count = connection.sendSome(chunk[offset...]) else { break }
                sent += count
                offset = (offset + count) % chunk.count
                stalled = count == 0 ? stalled + 1 : 0
                connection.poll()
                if count == 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
            let response = try await connection.response(timeout: .seconds(10))
            #expect(response.status == 413)
            #expect(response.headers["connection"] == "close")
            #expect(try await connection.waitForClose(timeout: .seconds(10)))
            // The limit, plus what the loopback socket buffers hold, never the gibibyte.
            #expect(sent < 32 << 20, "the client got \(sent) bytes into the connection before it was closed")
            connection.close()
            #expect(try await RawConnection.exchange(port: port, RawConnection.request("GET", "/health")).status == 200)
        }
    }

    @Test func shutdownDoesNotWaitForeverOnAHalfOpenRequest() async throws {
        let location = try await Backend.sqlite.freshLocation()
        var logger = Logger(label: "flood")
        logger.logLevel = .critical
        let storage = try location.makeStorage(logger: logger)
        let engine = AccountingEngine(storage: storage, configuration: Community.configuration(), logger: logger)
        let limits = ConnectionLimits(
            maximumConnections: 100, idleTimeout: .seconds(300), requestReadTimeout: .seconds(300), shutdownGracePeriod: .seconds(1))
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let group = AccountingServer.serviceGroup(
            engine: engine, host: "127.0.0.1", port: 0, connections: ConnectionGuard(limits: limits), logger: logger
        ) { port in portContinuation.yield(port) }
        // The first of: the group ended (true), or 30 s passed (false).
        let (outcome, outcomeContinuation) = AsyncStream<Bool>.makeStream()
        let running = Task {
            defer { outcomeContinuation.yield(true) }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        // A request whose body never comes: without a deadline the server waits for it.
        let halfOpen = try RawConnection(port: port)
        _ = try await halfOpen.send(Array("POST /v1/ledger/batches HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"device".utf8))
        try await Task.sleep(for: .milliseconds(200))
        await group.triggerGracefulShutdown()
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(30))
            outcomeContinuation.yield(false)
        }
        var outcomes = outcome.makeAsyncIterator()
        let ended = await outcomes.next() ?? false
        watchdog.cancel()
        #expect(ended, "the service group was still running 30 s after a graceful shutdown with a 1 s grace period")
        halfOpen.close()
        running.cancel()
    }
}

import Entitlements
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerCore
import Logging
import ServiceLifecycle
import TestBedSupport
import Testing
import Validator
import VirtualCard

/// The daemon's service in-process: reader events to JSON lines and metrics, timeouts, graceful
/// shutdown with its ledger entries.
@Suite("Validator service", .serialized)
struct ServiceTests {
    @Test("watches two readers; one JSON line per tap; a silent card times out; SIGTERM-style shutdown drains and closes the ledger")
    func serviceLifecycle() async throws {
        let community = try TestCommunity()
        let harness = try ValidatorHarness(community: community)
        defer { harness.removeFiles() }
        let paying = try TestCard(number: 1, salt: 0x80)
        let benefit = try TestCard(number: 2, salt: 0x80)
        defer {
            paying.remove()
            benefit.remove()
        }
        try await withTwoReaders { readerA, readerB in
            try await harness.issue(paying, try community.plan(serial: 0x8001, grants: [], purse: 4_000), on: readerA)
            try await harness.issue(benefit, try community.plan(serial: 0x8002, grants: [.init(product: .free, category: 2)]), on: readerB)

            let lines = LineCollector()
            let metrics = ValidatorMetrics()
            let service = ValidatorService(
                pipeline: harness.pipeline, tapper: harness.tapper, readers: .named([readerA.name, readerB.name]),
                tapTimeout: .milliseconds(1000), metrics: metrics, logger: Logger(label: "test"), clock: { Clock.now },
                emit: { lines.append($0) }, startUpDetail: "test", configurationDetail: "test bundles",
                idleFlushDelay: .milliseconds(200))
            let server = MetricsServer(port: 0, metrics: metrics)
            let group = ServiceGroup(services: [server, service], logger: Logger(label: "test"))
            let running = Task { try await group.run() }

            // Both cards at once, on two readers.
            try await readerA.withVirtualCard(try VirtualDESFireCard(imageFile: paying.file)) { _ in
                try await readerB.withVirtualCard(try VirtualDESFireCard(imageFile: benefit.file)) { _ in
                    #expect(await lines.wait(forCount: 2, timeout: .seconds(10)))
                }
            }
            // No tap follows yet: the deferred entries (the rides' charges and confirmations) still
            // reach the disk, synced by the idle validator.
            let ledger = harness.pipeline.ledger
            var synced = false
            for _ in 0..<50 where !synced {
                synced = await ledger.durableSequence == ledger.headSequence
                if !synced { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(synced, "deferred ledger entries were not synced while idle")
            // A card that stops answering: the tap is abandoned after the timeout.
            try await readerA.withVirtualCard(ForeignCard(.silent)) { _ in
                #expect(await lines.wait(forCount: 3, timeout: .seconds(10)))
            }
            let decisions = (0..<3).compactMap { lines.object($0) }
            #expect(decisions.count == 3)
            let byReason = Dictionary(decisions.map { ($0["reason"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            let full = try #require(byReason["accepted-full-fare"])
            #expect(full["fare"] as? Int == 1_500 && full["balance"] as? Int == 2_500 && full["decision"] as? String == "accept")
            #expect((full["message"] as? [String: Any])?["uk"] as? String == "Сплачено 15,00 грн. Залишок: 25,00 грн")
            let free = try #require(byReason["accepted-free"])
            #expect(free["category"] as? Int == 2 && free["card"] as? String == "0000-0000-0000-8002")
            let timeout = try #require(byReason["card-timeout"])
            #expect(timeout["decision"] as? String == "decline" && (timeout["message"] as? [String: Any])?["key"] as? String == "tap-again")
            for decision in decisions {
                #expect(Set(decision.keys) == ["apdus", "balance", "card", "category", "decision", "fare", "latencyMs", "ledgerSequence", "message", "reader", "reason", "resolvedPending", "ridesLeft", "time"])
            }

            // /metrics over loopback HTTP, as swift-prometheus renders the service's registry.
            let port = try await server.boundPort
            let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(decoding: body, as: UTF8.self)
            #expect(text.contains("\nhromada_validator_taps_total 3\n"))
            #expect(text.contains("\nhromada_validator_accepts_total 2\n"))
            #expect(text.contains("\nhromada_validator_repeats_total 0\n"))
            #expect(text.contains("\nhromada_validator_declines_total{reason=\"card-timeout\"} 1\n"))
            #expect(text.contains("\nhromada_validator_tap_latency_seconds_count 3\n"))
            #expect(text.contains("\nhromada_validator_tap_latency_seconds_bucket{le=\"+Inf\"} 3\n"))
            // The timed-out tap took longer than its one-second timeout, so at most the two rides
            // are in the one-second bucket.
            let withinASecond = text.split(separator: "\n").first { $0.hasPrefix("hromada_validator_tap_latency_seconds_bucket{le=\"1.0\"} ") }
            #expect(withinASecond.flatMap { $0.split(separator: " ").last.flatMap { Int($0) } }.map { $0 <= 2 } == true)
            #expect(text.contains("\nhromada_validator_tap_apdus_count 2\n"))
            #expect(text.contains("\nhromada_validator_ledger_in_service 1.0\n"))
            #expect(text.contains("\nhromada_validator_pending_transactions 0.0\n"))
            #expect(text.contains("# TYPE hromada_validator_ledger_backlog_entries gauge\n"))
            let (_, missing) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/other")!)
            #expect((missing as? HTTPURLResponse)?.statusCode == 404)

            await group.triggerGracefulShutdown()
            try await running.value
        }
        let kinds = try harness.entries().map(\.record.kind)
        #expect(kinds.first == .startUp)
        #expect(kinds.dropFirst().first == .configurationChanged)
        #expect(kinds.last == .shutdown)
        #expect(kinds.filter { $0 == .cardTransactionConfirmed }.count == 2)
        #expect(kinds.filter { $0 == .tapDeclined }.count == 1)
        #expect(try harness.verify())
        #expect(await !harness.ledger.isInService)
    }
}

import Entitlements
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerCore
import TestBedSupport
import Testing
import Validator
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// The real `hromada-validator run` serves `/metrics` on the configured loopback port.
@Suite("Validator daemon metrics", .serialized)
struct DaemonMetricsTests {
    @Test("`metricsPort` in the configuration: the daemon's /metrics counts a ride tapped through pcscd")
    func daemonServesMetrics() async throws {
        let community = try TestCommunity()
        let card = try TestCard(number: 7, salt: 0xA0)
        defer { card.remove() }
        try await withTwoReaders { readerA, readerB in
            let issuer = try ValidatorHarness(community: community)
            defer { issuer.removeFiles() }
            try await issuer.issue(card, try community.plan(serial: 0xA007, grants: [], purse: 4_000), on: readerA)
            let port = try Self.freeLoopbackPort()
            let files = try DaemonFiles(community: community, readers: [readerB.name], tariff: community.tariff, metricsPort: port)
            defer { files.remove() }
            let daemon = try DaemonProcess(files: files, index: 1)
            defer { daemon.killIfRunning() }
            #expect(await daemon.waitUntilStarted(), "the daemon did not start: \(files.directory)")

            try await readerB.withVirtualCard(try VirtualDESFireCard(imageFile: card.file)) { _ in
                #expect(await daemon.lines.wait(forCount: 1, timeout: .seconds(10)))
            }
            #expect(daemon.lines.object(0)?["reason"] as? String == "accepted-full-fare")

            let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            let text = String(decoding: body, as: UTF8.self)
            #expect(text.contains("\nhromada_validator_taps_total 1\n"))
            #expect(text.contains("\nhromada_validator_accepts_total 1\n"))
            #expect(text.contains("\nhromada_validator_tap_apdus_count 1\n"))
            #expect(text.contains("\nhromada_validator_ledger_in_service 1.0\n"))

            kill(daemon.pid, SIGTERM)
            #expect(await daemon.waitForExit() == 0)
        }
    }

    /// A port nothing listens on right now (bound to port 0 and released).
    static func freeLoopbackPort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw MissingFile(description: "no free loopback port (errno \(errno))") }
        return UInt16(bigEndian: address.sin_port)
    }
}

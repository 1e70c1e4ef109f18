import AccountingCore
import AccountingService
import AccountingStore
import Logging
import Testing

/// The nonce window is stored with the ledger data (docs/accounting.md, "Device
/// authentication"), so a captured request cannot be replayed by waiting for a restart.
@Suite("The replay window survives a restart", .runsStorage)
struct ReplayWindowTests {
    private static func authenticate(_ engine: AccountingEngine, _ headers: [String: String]) async throws -> DeviceAuthentication {
        try await engine.authenticateDevice(method: "GET", path: "/v1/ledger/position", headers: headers, body: [])
    }

    private static func headers(of device: TestDevice, nonce: String) -> [String: String] {
        let fields = device.headers(method: "GET", path: "/v1/ledger/position", body: [], nonce: nonce)
        return Dictionary(fields.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    @Test(arguments: Backend.all)
    func aSignedRequestReplayedAfterTheStoreIsReopenedIsRefused(backend: Backend) async throws {
        let location = try await backend.freshLocation()
        let device = TestDevice(id: 17, seed: 2)
        let captured = Self.headers(of: device, nonce: "captured-0123456789")

        let before = try await StorageScope.open(location)
        try await before.register(
            DeviceRegistration(deviceID: device.id, certificate: device.certificate, label: "bus-017", registeredAt: Community.now))
        let first = AccountingEngine(storage: before, configuration: Community.configuration(), logger: Logger(label: "test"))
        guard case .authenticated(let authenticated) = try await Self.authenticate(first, captured) else {
            Issue.record("the original request was not authenticated")
            return
        }
        #expect(authenticated.deviceID == device.id)
        #expect(try await Self.authenticate(first, captured) == .refused(.replayedNonce))
        try await before.close()

        // The service restarts: a new engine over the same database, still inside the window.
        let after = try await StorageScope.open(location)
        let second = AccountingEngine(storage: after, configuration: Community.configuration(), logger: Logger(label: "test"))
        #expect(try await Self.authenticate(second, captured) == .refused(.replayedNonce))
        // The refusal is the nonce's, not the device's: a new request of the same device passes.
        guard case .authenticated = try await Self.authenticate(second, Self.headers(of: device, nonce: "fresh-0123456789ab")) else {
            Issue.record("a fresh request after the restart was not authenticated")
            return
        }
    }
}
